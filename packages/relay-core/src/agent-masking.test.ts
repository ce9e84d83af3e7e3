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
    const agent = await connectAgent(h, h.agentKey('m1'));
    agent.ws.send(Buffer.from([1, 2, 3]), { mask: false });
    expect((await agent.closed).code).toBe(1002);
  });
});
