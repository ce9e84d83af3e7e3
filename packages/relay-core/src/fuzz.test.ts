import {
  AGENT_SENDS,
  Channel,
  CloseReason,
  closeEntryForReason,
  createEnvelope,
  decodeEnvelope,
  type EnvelopeInit,
  encodeEnvelope,
  ProtocolError,
  ProtocolErrorCode,
  VIEWER_SENDS,
} from '@guruconnect/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelayError } from './relay-error.js';
import {
  connectAgent,
  connectViewer,
  type Harness,
  ORIGIN,
  startHarness,
  TestClient,
} from './test-support/relay-harness.js';

// Small limits so that oversized frames are cheap to make.
const MAX_FRAME = 16 * 1024;
const MAX_CONTROL = 2 * 1024;
const STAMP_RESERVE = 64;
const FRAMES_PER_ENDPOINT = 100_000;
const FRAMES_PER_SOCKET = 50;
const CONCURRENCY = 40;

/** Deterministic PRNG (mulberry32), so a failure can be replayed from the seed it prints. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Role = 'agent' | 'viewer';
const code = (reason: CloseReason): number => closeEntryForReason(reason).code;

/** The close code the documentation promises for a frame the relay must refuse, or undefined if acceptable. */
function expectedCode(role: Role, frame: Uint8Array | string): number | undefined {
  if (typeof frame === 'string') return code(CloseReason.PROTOCOL_ERROR);
  const reserve = role === 'viewer' ? STAMP_RESERVE : 0;
  if (frame.byteLength > MAX_FRAME) return code(CloseReason.MESSAGE_TOO_BIG);
  try {
    const envelope = decodeEnvelope(frame, {
      maxFrameBytes: MAX_FRAME - reserve,
      maxControlBytes: MAX_CONTROL - reserve,
    });
    const kind = envelope.payload.case;
    if (kind === undefined) return code(CloseReason.POLICY_VIOLATION);
    if (!(role === 'agent' ? AGENT_SENDS : VIEWER_SENDS).has(kind)) return code(CloseReason.POLICY_VIOLATION);
    if (kind === 'agentHello' || kind === 'viewerHello') return code(CloseReason.POLICY_VIOLATION); // second hello
    return undefined;
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    if (error.code === ProtocolErrorCode.TooLarge) return code(CloseReason.MESSAGE_TOO_BIG);
    if (error.code === ProtocolErrorCode.EmptyPayload) return code(CloseReason.POLICY_VIOLATION);
    return code(CloseReason.PROTOCOL_ERROR);
  }
}

function isHello(frame: Uint8Array | string): boolean {
  if (typeof frame === 'string') return false;
  try {
    const kind = decodeEnvelope(frame, { maxFrameBytes: 1 << 30, maxControlBytes: 1 << 30 }).payload.case;
    return kind === 'agentHello' || kind === 'viewerHello';
  } catch (error) {
    if (error instanceof ProtocolError) return false;
    throw error;
  }
}

function bytes(rand: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (rand() * 256) | 0;
  return out;
}

function benign(role: Role, rand: () => number): EnvelopeInit {
  const text = String.fromCharCode(...bytes(rand, (rand() * 40) | 0).map((b) => 32 + (b % 90)));
  const pick = (rand() * 4) | 0;
  if (role === 'agent') {
    return [
      { payload: { case: 'chat', value: { id: text, text } } },
      { payload: { case: 'cursorPosition', value: { x: (rand() * 4000) | 0, y: 7 } } },
      { payload: { case: 'heartbeat', value: { nonce: BigInt((rand() * 1e9) | 0), reply: true } } },
      {
        payload: {
          case: 'videoFrame',
          value: {
            sequence: BigInt((rand() * 1e6) | 0),
            rects: [{ payload: bytes(rand, (rand() * 2000) | 0) }],
          },
        },
      },
    ][pick] as EnvelopeInit;
  }
  return [
    { payload: { case: 'chat', value: { id: text, text } } },
    { payload: { case: 'frameAck', value: { sequence: BigInt((rand() * 1e6) | 0) } } },
    { payload: { case: 'heartbeat', value: { nonce: BigInt((rand() * 1e9) | 0), reply: rand() < 0.5 } } },
    { payload: { case: 'clipboard', value: { text } } },
  ][pick] as EnvelopeInit;
}

const OTHER_ROLE_ONLY: Record<Role, EnvelopeInit[]> = {
  agent: [
    { payload: { case: 'keyEvent', value: { keysym: 1 } } },
    { payload: { case: 'pointerEvent', value: { x: 1 } } },
    { payload: { case: 'viewerHello', value: { token: 't' } } },
    { payload: { case: 'sessionState', value: {} } },
    { payload: { case: 'frameAck', value: {} } },
  ],
  viewer: [
    { payload: { case: 'videoFrame', value: { sequence: 1n } } },
    { payload: { case: 'consentResponse', value: { accepted: true } } },
    { payload: { case: 'agentHello', value: {} } },
    { payload: { case: 'viewerPresence', value: {} } },
    { payload: { case: 'helloResult', value: {} } },
  ],
};

/** One offending frame of a random category, with the code the relay must close with. */
function offending(role: Role, rand: () => number): { frame: Uint8Array | string; expected: number } {
  for (;;) {
    const category = (rand() * 5) | 0;
    let frame: Uint8Array | string;
    if (category === 0) {
      frame = bytes(rand, 1 + ((rand() * 300) | 0)); // random bytes
    } else if (category === 1) {
      const whole = encodeEnvelope(createEnvelope(benign(role, rand)), {
        maxFrameBytes: 1 << 30,
        maxControlBytes: 1 << 30,
      });
      frame = whole.subarray(0, (rand() * whole.byteLength) | 0); // truncated
      if (frame.byteLength === 0) continue;
    } else if (category === 2) {
      const control = rand() < 0.5;
      const size = control ? MAX_CONTROL + 1 + ((rand() * 500) | 0) : MAX_FRAME + 1 + ((rand() * 5000) | 0);
      frame = encodeEnvelope(
        createEnvelope(
          control
            ? { payload: { case: 'chat', value: { text: 'x'.repeat(size) } } }
            : { payload: { case: 'clipboard', value: { text: 'y'.repeat(size) } } },
        ),
        { maxFrameBytes: 1 << 30, maxControlBytes: 1 << 30 },
      ); // oversized
    } else if (category === 3) {
      const list = OTHER_ROLE_ONLY[role];
      frame = encodeEnvelope(createEnvelope(list[(rand() * list.length) | 0] as EnvelopeInit)); // wrong role
    } else {
      frame = 'text frame';
    }
    if (isHello(frame)) continue; // a hello is not an offence before authentication
    const expected = expectedCode(role, frame);
    if (expected !== undefined) return { frame, expected };
  }
}

describe('fuzzing both endpoints', () => {
  let h: Harness;
  const failures: unknown[] = [];
  const onFailure = (error: unknown) => failures.push(error);
  const internalErrors: RelayError[] = [];

  beforeAll(async () => {
    process.on('unhandledRejection', onFailure);
    process.on('uncaughtException', onFailure);
    h = await startHarness({
      maxFrameBytes: MAX_FRAME,
      maxControlBytes: MAX_CONTROL,
      maxBufferedBytes: 64 * MAX_FRAME,
      onError: (e) => internalErrors.push(e),
    });
  });
  afterAll(async () => {
    await h.close();
    process.off('unhandledRejection', onFailure);
    process.off('uncaughtException', onFailure);
  });

  for (const role of ['agent', 'viewer'] as const) {
    it(`${role}: ${FRAMES_PER_ENDPOINT} fuzzed frames, every offending socket closed with its code`, async () => {
      const seed = Date.now() >>> 0;
      console.info(`fuzz ${role} seed ${seed}`);
      const rand = prng(seed);
      // The viewers' session has a live agent, so their benign frames are forwarded for real.
      const host = role === 'viewer' ? await connectAgent(h, h.agentKey('fuzz-host')) : undefined;
      const allChannels = [
        Channel.VIEW,
        Channel.CONTROL,
        Channel.CLIPBOARD,
        Channel.CHAT,
        Channel.FILES,
        Channel.TERMINAL,
      ];
      let sent = 0;
      let sockets = 0;
      const mismatches: string[] = [];
      const one = async (index: number): Promise<void> => {
        const preHello = index % 4 === 0; // a quarter are fuzzed before they authenticate
        let client: TestClient;
        if (preHello) {
          client = new TestClient(
            `ws://127.0.0.1:${h.port}/v1/${role}`,
            role === 'viewer' ? { origin: ORIGIN } : {},
          );
          await client.opened;
        } else if (role === 'agent') {
          client = await connectAgent(h, h.agentKey(`fz-${index}`));
        } else {
          client = await connectViewer(
            h,
            h.viewerToken({ sessionId: 'fz', machineId: 'fuzz-host', channels: allChannels }),
            'fz',
          );
        }
        const bad = offending(role, rand);
        const badAt = preHello ? 0 : (rand() * FRAMES_PER_SOCKET) | 0;
        for (let i = 0; i < FRAMES_PER_SOCKET; i++) {
          if (i === badAt) client.sendRaw(bad.frame, typeof bad.frame !== 'string');
          else client.send(benign(role, rand));
        }
        sent += FRAMES_PER_SOCKET;
        sockets += 1;
        const { code: got } = await client.closed;
        if (got !== bad.expected) mismatches.push(`socket ${index}: expected ${bad.expected}, got ${got}`);
      };
      let next = 0;
      const total = FRAMES_PER_ENDPOINT / FRAMES_PER_SOCKET;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < total) await one(next++);
        }),
      );
      await host?.close();
      expect(sent).toBe(FRAMES_PER_ENDPOINT);
      expect(sockets).toBe(total);
      expect(mismatches.slice(0, 5)).toEqual([]);
      expect(failures).toEqual([]);
      expect(internalErrors).toEqual([]);
      expect(h.relay.stats().violations).toBeGreaterThanOrEqual(total);
    }, 120_000);
  }
});
