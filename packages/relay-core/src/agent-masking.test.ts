import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { createEnvelope, encodeEnvelope } from '@guruconnect/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connectAgent,
  connectViewer,
  type Harness,
  startHarness,
  videoFrame,
} from './test-support/relay-harness.js';

// The agent masks its frames with an all-zero key (packages/agent-core AgentConnection, issue
// #8): the relay must take such frames as they are, and must still refuse unmasked ones.

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Upgrades a raw TCP socket to /v1/agent and returns it with the bytes read past the 101. */
async function rawAgentSocket(port: number): Promise<{ socket: Socket; rest: Buffer[] }> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.write(
    'GET /v1/agent HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  const rest: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      if (!head.subarray(0, end).toString().startsWith('HTTP/1.1 101')) {
        reject(new Error(`upgrade refused: ${head.subarray(0, end).toString()}`));
        return;
      }
      rest.push(head.subarray(end + 4));
      resolve();
    };
    socket.on('data', onData);
  });
  return { socket, rest };
}

describe('agent frame masking', () => {
  it('accepts an agent whose mask is all zeros and forwards its frames byte for byte', async () => {
    h = await startHarness();
    let masks = 0;
    const agent = await connectAgent(h, h.agentKey('m1'), false, {
      generateMask: (mask: Buffer) => {
        masks += 1;
        mask.fill(0);
      },
    });
    const viewer = await connectViewer(h, h.viewerToken({ sessionId: 's1', machineId: 'm1' }), 's1');
    await agent.waitForKind('viewerPresence');
    const before = masks;
    const frames = [1, 2, 3].map((seq) =>
      encodeEnvelope(createEnvelope(videoFrame(seq, 200_000, seq === 1))),
    );
    for (const frame of frames) agent.sendRaw(frame);
    await viewer.waitFor((e) => e.payload.case === 'videoFrame' && e.payload.value.sequence === 3n);
    // The frames really went out under the zero key (ws asks for a key per frame).
    expect(masks - before).toBe(3);
    const got = viewer.raw.filter((_, i) => viewer.received[i]?.payload.case === 'videoFrame');
    expect(got).toHaveLength(3);
    expect(got.map((bytes) => Buffer.from(bytes))).toEqual(frames.map((frame) => Buffer.from(frame)));
    expect(h.relay.stats().violations).toBe(0);
  });

  it('still closes with 1002 an agent that sends a frame without a mask', async () => {
    h = await startHarness();
    const { socket, rest } = await rawAgentSocket(h.port);
    const errors: Error[] = [];
    const closed = new Promise<Buffer>((resolve) => {
      socket.on('data', (chunk: Buffer) => rest.push(chunk));
      socket.on('error', (error) => errors.push(error));
      socket.once('close', () => resolve(Buffer.concat(rest)));
    });
    // FIN + binary, mask bit clear, 3-byte payload.
    socket.write(Buffer.from([0x82, 0x03, 1, 2, 3]));
    const reply = await closed;
    expect(reply[0]).toBe(0x88); // the first frame back is a close frame
    expect(reply.readUInt16BE(2)).toBe(1002);
    expect(errors).toEqual([]);
  });
});
