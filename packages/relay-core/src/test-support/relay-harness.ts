// Loopback harness for relay tests: a real Node HTTP server on 127.0.0.1:0 whose upgrade
// handler is the relay's, token/key tables for the hooks, and real ws clients.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  Channel,
  CloseReason,
  createEnvelope,
  decodeEnvelope,
  type Envelope,
  type EnvelopeInit,
  encodeEnvelope,
  SessionMode,
} from '@guruconnect/protocol';
import { type ClientOptions, WebSocket } from 'ws';
import type { AgentIdentity, RelayEvent, ViewerGrant } from '../hooks.js';
import { createRelay, type Relay } from '../relay.js';
import type { RelayOptions } from '../relay-options.js';

export const ORIGIN = 'https://console.test';
const BIG = { maxFrameBytes: 64 * 1024 * 1024, maxControlBytes: 64 * 1024 * 1024 };

export interface Harness {
  relay: Relay;
  server: Server;
  port: number;
  events: RelayEvent[];
  /** Registers an agent key for a machine (unattended). Returns the key. */
  agentKey(machineId: string): string;
  /** Registers a support code opening an attended session on a machine. Returns the code. */
  supportCode(machineId: string, sessionId: string): string;
  /** Registers a viewer token. Returns the token. */
  viewerToken(grant: Partial<ViewerGrant> & { sessionId: string; machineId: string }): string;
  hookCalls: { agent: number; viewer: number };
  close(): Promise<void>;
}

export type HarnessOptions = Partial<RelayOptions>;

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const keys = new Map<string, AgentIdentity>();
  const tokens = new Map<string, ViewerGrant>();
  const events: RelayEvent[] = [];
  const hookCalls = { agent: 0, viewer: 0 };
  let n = 0;
  const relay = createRelay({
    allowedOrigins: [ORIGIN],
    authenticateAgent: async (hello) => {
      hookCalls.agent += 1;
      const credential = hello.credential.value ?? '';
      const identity = keys.get(credential);
      return identity === undefined
        ? { ok: false, reason: CloseReason.UNAUTHORIZED, message: 'unknown key' }
        : { ok: true, value: identity };
    },
    authorizeViewer: async (token) => {
      hookCalls.viewer += 1;
      const grant = tokens.get(token);
      return grant === undefined
        ? { ok: false, reason: CloseReason.TOKEN_EXPIRED, message: 'unknown token' }
        : { ok: true, value: grant };
    },
    onEvent: (event) => events.push(event),
    ...options,
  });
  const server = createServer((_req, res) => {
    res.statusCode = 404;
    res.end();
  });
  server.on('upgrade', (req, socket, head) => {
    if (!relay.handleUpgrade(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    relay,
    server,
    port,
    events,
    hookCalls,
    agentKey(machineId) {
      const key = `cak_${machineId}_${n++}`;
      keys.set(key, {
        machineId,
        machineName: `host-${machineId}`,
        mode: SessionMode.UNATTENDED,
        keyId: key,
      });
      return key;
    },
    supportCode(machineId, sessionId) {
      const code = `sc_${n++}`;
      keys.set(code, { machineId, machineName: `host-${machineId}`, mode: SessionMode.ATTENDED, sessionId });
      return code;
    },
    viewerToken(grant) {
      const token = `tok_${n++}`;
      tokens.set(token, {
        mode: SessionMode.UNATTENDED,
        channels: [Channel.VIEW, Channel.CONTROL, Channel.CHAT, Channel.CLIPBOARD],
        viewerName: 'Tech',
        ...grant,
      });
      return token;
    },
    async close() {
      await relay.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A real ws client with a queue of decoded envelopes. */
export class TestClient {
  readonly ws: WebSocket;
  readonly received: Envelope[] = [];
  readonly raw: Buffer[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string }>;
  #waiters: Array<() => void> = [];
  /** Answer relay heartbeats automatically. */
  autoHeartbeat = true;

  /** `options` go to the ws client as they are (e.g. `generateMask`). */
  constructor(url: string, headers: Record<string, string> = {}, options: ClientOptions = {}) {
    this.ws = new WebSocket(url, {
      headers,
      perMessageDeflate: false,
      maxPayload: BIG.maxFrameBytes,
      ...options,
    });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('unexpected-response', (_req, res) =>
        reject(new Error(`unexpected response ${res.statusCode}`, { cause: res.statusCode })),
      );
      this.ws.once('error', reject);
    });
    // The rejection is observed by whoever awaits `opened`; this keeps it from being unhandled.
    this.opened.catch(() => undefined);
    this.closed = new Promise((resolve) => {
      this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
    this.ws.on('error', () => undefined); // the close event carries what tests check
    this.ws.on('message', (data: Buffer) => {
      const envelope = decodeEnvelope(data, BIG);
      if (this.autoHeartbeat && envelope.payload.case === 'heartbeat' && !envelope.payload.value.reply) {
        this.send({
          payload: { case: 'heartbeat', value: { nonce: envelope.payload.value.nonce, reply: true } },
        });
      }
      this.received.push(envelope);
      this.raw.push(data);
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const wake of waiters) wake();
    });
  }

  send(init: EnvelopeInit): void {
    this.ws.send(encodeEnvelope(createEnvelope(init), BIG));
  }

  sendRaw(data: Uint8Array | string, binary = true): void {
    this.ws.send(data, { binary });
  }

  /** Resolves with the first received envelope (from `from` on) matching `predicate`. */
  async waitFor(predicate: (envelope: Envelope) => boolean, timeoutMs = 5000, from = 0): Promise<Envelope> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.slice(from).find(predicate);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a message');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  waitForKind(kind: NonNullable<Envelope['payload']['case']>, timeoutMs = 5000): Promise<Envelope> {
    return this.waitFor((e) => e.payload.case === kind, timeoutMs);
  }

  kinds(): string[] {
    return this.received.map((e) => e.payload.case ?? '');
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      this.ws.close(1000);
    }
    return this.closed;
  }
}

export async function connectAgent(
  h: Harness,
  credential: string,
  viaSupportCode = false,
  options: ClientOptions = {},
): Promise<TestClient> {
  const agent = new TestClient(`ws://127.0.0.1:${h.port}/v1/agent`, {}, options);
  await agent.opened;
  agent.send({
    payload: {
      case: 'agentHello',
      value: {
        credential: viaSupportCode
          ? { case: 'supportCode', value: credential }
          : { case: 'agentKey', value: credential },
        agentVersion: 'test',
        protocolVersion: '1.0.0',
        capabilities: ['desktop'],
      },
    },
  });
  await agent.waitForKind('helloResult');
  return agent;
}

export async function connectViewer(
  h: Harness,
  token: string,
  sessionId: string,
  origin = ORIGIN,
  capabilities: string[] = [],
): Promise<TestClient> {
  const viewer = new TestClient(`ws://127.0.0.1:${h.port}/v1/viewer`, { origin });
  await viewer.opened;
  viewer.send({
    payload: { case: 'viewerHello', value: { token, sessionId, protocolVersion: '1.0.0', capabilities } },
  });
  await viewer.waitForKind('helloResult');
  return viewer;
}

export function videoFrame(sequence: number, bytes: number, keyFrame = false, viewerId = ''): EnvelopeInit {
  const payload = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i += 997) payload[i] = (sequence + i) & 0xff;
  return {
    viewerId,
    payload: {
      case: 'videoFrame',
      value: {
        sequence: BigInt(sequence),
        displayId: 'd0',
        displayWidth: 1920,
        displayHeight: 1080,
        keyFrame,
        captureTimeUs: BigInt(Math.round(performance.now() * 1000)),
        rects: [{ x: 0, y: 0, width: 64, height: 64, codec: 2, payload }],
      },
    },
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` until it holds (or throws after `timeoutMs`). */
export async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}
