import { create } from '@bufbuild/protobuf';
import { Codec, type Envelope, VideoFrameSchema } from '@guruconnect/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BufferPool } from '../encode/buffer-pool.js';
import { RelayPeer } from '../test-support/relay-peer.js';
import { AgentConnection, agentUrl } from './agent-connection.js';
import type { ConnectionState } from './connection-state.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function connection(
  server: string,
  options: Partial<ConstructorParameters<typeof AgentConnection>[0]> = {},
): { conn: AgentConnection; states: ConnectionState[]; messages: Envelope[] } {
  const states: ConnectionState[] = [];
  const messages: Envelope[] = [];
  const conn = new AgentConnection({
    server,
    hello: () => ({
      credential: { case: 'agentKey', value: 'cak_test' },
      agentVersion: '0.1.0',
      capabilities: [],
      machineUid: 'uid',
      deviceId: '',
      hostname: 'host',
      protocolVersion: '1.0.0',
    }),
    onMessage: (e) => messages.push(e),
    onConnected: () => undefined,
    onDisconnected: () => undefined,
    ...options,
  });
  conn.onStateChange((s) => states.push(s));
  cleanups.push(() => conn.close());
  return { conn, states, messages };
}

async function until(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('agentUrl', () => {
  it('maps http to ws and https to wss and appends /v1/agent', () => {
    expect(agentUrl('http://127.0.0.1:8080')).toBe('ws://127.0.0.1:8080/v1/agent');
    expect(agentUrl('https://gc.example.com/base/')).toBe('wss://gc.example.com/base/v1/agent');
    expect(() => agentUrl('ftp://x')).toThrow(expect.objectContaining({ code: 'GC_ERR_AGENT_CONFIG' }));
  });
});

describe('AgentConnection', () => {
  it('says hello, answers and sends heartbeats', async () => {
    const peer = await RelayPeer.start({ heartbeatIntervalMs: 1000 });
    cleanups.push(() => peer.close());
    const { conn, states } = connection(peer.url);
    conn.start();
    await until(() => conn.state.kind === 'connected');
    expect(states.map((s) => s.kind)).toEqual(['connecting', 'handshaking', 'connected']);
    expect(peer.messages('agentHello')[0]?.credential).toEqual({ case: 'agentKey', value: 'cak_test' });
    peer.send({ payload: { case: 'heartbeat', value: { nonce: 77n, reply: false } } });
    await peer.waitFor((p) => p.messages('heartbeat').some((h) => h.reply && h.nonce === 77n));
    await peer.waitFor((p) => p.messages('heartbeat').some((h) => !h.reply), 3000);
  });

  it('masks its frames with a zero key (valid framing, nothing to XOR)', async () => {
    const raw: Buffer[] = [];
    const peer = await RelayPeer.start({ onRawData: (chunk) => raw.push(chunk) });
    cleanups.push(() => peer.close());
    const { conn } = connection(peer.url);
    conn.start();
    await until(() => conn.state.kind === 'connected');
    // The first frame is the AgentHello: FIN + binary, the mask bit set, then a zero key.
    const bytes = Buffer.concat(raw);
    expect(bytes[0]).toBe(0x82);
    expect(bytes[1]! & 0x80).toBe(0x80);
    const length = bytes[1]! & 0x7f;
    const keyAt = length === 126 ? 4 : length === 127 ? 10 : 2;
    expect([...bytes.subarray(keyAt, keyAt + 4)]).toEqual([0, 0, 0, 0]);
    expect(peer.messages('agentHello')).toHaveLength(1);
  });

  it('sends video frames from reused buffers, each one whole, even when the socket backs up', async () => {
    const acquire = vi.spyOn(BufferPool.prototype, 'acquire');
    cleanups.push(async () => acquire.mockRestore());
    const peer = await RelayPeer.start();
    cleanups.push(() => peer.close());
    const { conn } = connection(peer.url);
    conn.start();
    await until(() => conn.state.kind === 'connected');
    // 40 frames of 300 KB, each filled with its own byte, sent in one go: the socket buffers
    // most of them, so a buffer reused before it was written would show another frame's bytes.
    for (let i = 1; i <= 40; i++) {
      const frame = create(VideoFrameSchema, {
        sequence: BigInt(i),
        rects: [
          { x: 0, y: 0, width: 1, height: 1, codec: Codec.JPEG, payload: new Uint8Array(300_000).fill(i) },
        ],
      });
      expect(conn.send({ payload: { case: 'videoFrame', value: frame } })).toBe(true);
    }
    await peer.waitFor((p) => p.messages('videoFrame').length === 40, 10_000);
    for (const frame of peer.messages('videoFrame')) {
      const payload = frame.rects[0]!.payload;
      expect(payload.byteLength).toBe(300_000);
      expect(payload.every((b) => b === Number(frame.sequence))).toBe(true);
    }
    // Every buffer was written and released by now: the next frame is encoded into one of them.
    const acquired = acquire.mock.results.map((r) => (r.value as Buffer).buffer);
    const next = create(VideoFrameSchema, {
      sequence: 41n,
      rects: [{ x: 0, y: 0, width: 1, height: 1, codec: Codec.JPEG, payload: new Uint8Array(300_000) }],
    });
    expect(conn.send({ payload: { case: 'videoFrame', value: next } })).toBe(true);
    expect(acquire).toHaveBeenCalledTimes(41);
    expect(acquired).toContain((acquire.mock.results[40]!.value as Buffer).buffer);
  });

  it('drops a relay that stops answering heartbeats and reconnects', async () => {
    const peer = await RelayPeer.start({ heartbeatIntervalMs: 1000, answerHeartbeats: false });
    cleanups.push(() => peer.close());
    const { conn, states } = connection(peer.url, { backoff: { random: () => 0 } });
    conn.start();
    await until(() => states.some((s) => s.kind === 'waiting'), 8000);
    expect(states.find((s) => s.kind === 'waiting')).toMatchObject({ closeCode: 4010 });
    await until(() => peer.helloCount.value >= 2);
  }, 15_000);

  it('reconnects after the relay dies, within the backoff bound, with jittered delays', async () => {
    const peer = await RelayPeer.start();
    cleanups.push(() => peer.close());
    const draws = [0.9, 0.7, 0.3, 0.8];
    let i = 0;
    const { conn, states } = connection(peer.url, {
      backoff: { baseMs: 200, capMs: 2000, random: () => draws[i++ % 4]! },
    });
    conn.start();
    await until(() => conn.state.kind === 'connected');
    const port = peer.port;
    await peer.kill();
    await new Promise((r) => setTimeout(r, 1000)); // the relay is down for a second
    const back = Date.now();
    await peer.listen(port);
    await until(() => conn.state.kind === 'connected');
    const waits = states.filter((s) => s.kind === 'waiting').map((s) => (s as { delayMs: number }).delayMs);
    // Each delay is draw × min(cap, base·2^attempt): 0.9·200, 0.7·400, 0.3·800, 0.8·1600…
    expect(waits.slice(0, 3)).toEqual([180, 280, 240]);
    // Back within one backoff ceiling of the relay's return (plus connect time).
    const ceiling = Math.min(2000, 200 * 2 ** (waits.length - 1));
    expect(Date.now() - back).toBeLessThan(ceiling + 500);
    expect(peer.helloCount.value).toBe(2);
  });

  it('stops a one-shot agent on a refused credential with a clear error', async () => {
    const peer = await RelayPeer.start({ authenticate: () => ({ accept: false, code: 4001 }) });
    cleanups.push(() => peer.close());
    const { conn } = connection(peer.url, { persistent: false });
    conn.start();
    const stopped = await conn.done;
    expect(stopped.closeCode).toBe(4001);
    expect(stopped.error).toMatchObject({ code: 'GC_ERR_AGENT_UNAUTHORIZED', message: /unauthorized/ });
  });

  it('keeps a persistent agent retrying at the cap after a refused key', async () => {
    const peer = await RelayPeer.start({ authenticate: () => ({ accept: false, code: 4009 }) });
    cleanups.push(() => peer.close());
    const { conn, states } = connection(peer.url, { persistent: true, backoff: { baseMs: 10, capMs: 300 } });
    conn.start();
    await until(() => peer.helloCount.value >= 3, 5000);
    const waits = states.filter((s) => s.kind === 'waiting');
    expect(waits.every((w) => (w as { delayMs: number }).delayMs === 300)).toBe(true);
    expect(conn.state.kind).not.toBe('stopped');
    await conn.close();
    expect(conn.state.kind).toBe('stopped');
  });

  it('never tight-loops while the relay is unreachable', async () => {
    const peer = await RelayPeer.start();
    const url = peer.url;
    await peer.close();
    const { conn, states } = connection(url, { persistent: true, backoff: { baseMs: 100, capMs: 400 } });
    conn.start();
    await new Promise((r) => setTimeout(r, 1500));
    const attempts = states.filter((s) => s.kind === 'connecting').length;
    // Ceilings 100, 200, 400, 400…: expected mean delays sum well above 1.5 s / 20.
    expect(attempts).toBeGreaterThan(1);
    expect(attempts).toBeLessThan(20);
  });
});
