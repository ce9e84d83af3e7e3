import type { AgentHello, Envelope, EnvelopeInit, HelloResult } from '@guruconnect/protocol';
import {
  CloseReason,
  closeEntryForCode,
  closeEntryForReason,
  createEnvelope,
  decodeEnvelope,
  encodeEnvelope,
} from '@guruconnect/protocol';
import WebSocket from 'ws';
import { AgentError, AgentErrorCode } from '../agent-error.js';
import { BufferPool } from '../encode/buffer-pool.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { type ConnectionState, ConnectionStateMachine } from './connection-state.js';

/**
 * The agent's WebSocket masking key: always zero. RFC 6455 §10.3 masks client frames so that
 * script in a browser cannot put bytes of its choosing on the wire to poison an intermediary's
 * cache; the agent is not a browser and sends only envelopes it encoded itself, so the mask
 * protects nothing here. A zero key keeps the framing valid (the mask bit and key are still
 * sent, any relay accepts it) while `ws` skips the XOR pass and the copy it makes of every
 * outgoing buffer, and the relay's `ws` skips the unmasking pass (issue #8: relay CPU per GB).
 */
function zeroMask(mask: Buffer): void {
  mask.fill(0);
}

/** Close codes that mean "this credential is refused": 4001 unauthorized, 4009 key revoked. */
export const CREDENTIAL_REFUSED_CODES: ReadonlySet<number> = new Set([4001, 4009]);
/** Closes after which a persistent agent waits the full backoff cap: refused key, replaced. */
const WAIT_AT_CAP_CODES: ReadonlySet<number> = new Set([4001, 4009, 4008]);

export interface AgentConnectionOptions {
  /** Server base URL: `http(s)://host[:port][/prefix]` or `ws(s)://…`; `/v1/agent` is appended. */
  server: string;
  /** The AgentHello to send on every (re)connection. */
  hello: () => Omit<AgentHello, '$typeName' | '$unknown'>;
  /**
   * Persistent agents never give up: refused credentials are retried at the backoff cap. A
   * one-shot agent stops on any close the protocol says not to retry. Default false.
   */
  persistent?: boolean;
  /** Heartbeat period in ms when the relay does not announce one. Default 15 000; bounds 1000–300 000. */
  heartbeatIntervalMs?: number;
  /** Unanswered heartbeats before the socket is dropped (close 4010). Default 3. */
  maxMissedHeartbeats?: number;
  /** Time allowed from socket open to HelloResult, in ms. Default 10 000. */
  helloTimeoutMs?: number;
  /** A connection that lasted this long resets the backoff. Default 10 000 ms. */
  stableAfterMs?: number;
  /** Backoff between attempts. Default 1 s base, 30 s cap, full jitter. */
  backoff?: BackoffOptions;
  /** Largest message accepted from the relay, in bytes. Default 4 MiB. */
  maxPayload?: number;
  logger?: Logger;
  /** Called for each decoded message from the relay (heartbeats are answered here first). */
  onMessage(envelope: Envelope): void;
  /** Called when a HelloResult arrives. */
  onConnected(result: HelloResult): void;
  /** Called when an established or half-open connection is gone. */
  onDisconnected(closeCode: number | undefined): void;
}

/**
 * The agent's WebSocket to the relay: hello, heartbeats both ways, and reconnection with
 * exponential backoff and full jitter. Its state is a {@link ConnectionState}.
 */
export class AgentConnection {
  readonly url: string;
  readonly #options: AgentConnectionOptions;
  readonly #machine = new ConnectionStateMachine();
  readonly #backoff: Backoff;
  readonly #logger: Logger;
  readonly #heartbeatMs: number;
  /** Buffers video frames are encoded into, reused once written (see send). */
  readonly #framePool = new BufferPool({ maxFreePerClass: 8 });
  readonly #maxMissed: number;
  #ws: WebSocket | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #helloTimer: NodeJS.Timeout | undefined;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #missed = 0;
  #nonce = 0n;
  #connectedAt = 0;
  #closeNotice: string | undefined;
  #done: Promise<ConnectionState & { kind: 'stopped' }>;
  #resolveDone!: (state: ConnectionState & { kind: 'stopped' }) => void;

  constructor(options: AgentConnectionOptions) {
    this.#options = options;
    this.url = agentUrl(options.server);
    this.#backoff = new Backoff(options.backoff);
    this.#logger = options.logger ?? silentLogger;
    this.#heartbeatMs = Math.min(300_000, Math.max(1000, options.heartbeatIntervalMs ?? 15_000));
    this.#maxMissed = options.maxMissedHeartbeats ?? 3;
    this.#done = new Promise((resolve) => {
      this.#resolveDone = resolve;
    });
    this.#machine.onChange((state) => {
      if (state.kind === 'stopped') this.#resolveDone(state);
    });
  }

  get state(): ConnectionState {
    return this.#machine.state;
  }

  /** Resolves when the connection has stopped for good (close(), or a refusal in one-shot mode). */
  get done(): Promise<ConnectionState & { kind: 'stopped' }> {
    return this.#done;
  }

  onStateChange(listener: (state: ConnectionState, previous: ConnectionState) => void): () => void {
    return this.#machine.onChange(listener);
  }

  start(): void {
    this.#connect();
  }

  /**
   * Sends one message if connected; returns false (and drops it) otherwise. Video is sent only
   * while connected; the caller decides what to do with anything else.
   */
  send(message: Envelope | EnvelopeInit): boolean {
    const ws = this.#ws;
    if (ws === undefined || ws.readyState !== WebSocket.OPEN || this.#machine.state.kind !== 'connected') {
      return false;
    }
    if (message.payload?.case !== 'videoFrame') {
      ws.send(encodeEnvelope(message));
      return true;
    }
    // Video goes into a pooled buffer, back in the pool once the socket has written it (the
    // zero mask means ws sends it as it is): no 1 MB of garbage per full-screen frame.
    const bytes = encodeEnvelope(message, {}, (size) => this.#framePool.acquire(size));
    ws.send(bytes, () => this.#framePool.release(bytes));
    return true;
  }

  /** Bytes queued in the socket and not yet written. */
  get bufferedAmount(): number {
    return this.#ws?.bufferedAmount ?? 0;
  }

  /** Closes with 1000 and stops reconnecting. Resolves once stopped. */
  async close(): Promise<void> {
    const state = this.#machine.state;
    if (state.kind !== 'stopped') {
      this.#clearTimers();
      const ws = this.#ws;
      this.#ws = undefined;
      if (ws !== undefined) {
        ws.removeAllListeners();
        ws.on('error', () => undefined);
        if (ws.readyState === WebSocket.OPEN) {
          ws.send(
            encodeEnvelope({
              payload: {
                case: 'closeNotice',
                value: { reason: CloseReason.NORMAL, message: 'agent stopping' },
              },
            }),
          );
          ws.close(1000, 'agent stopping');
        } else {
          ws.terminate();
        }
        const wasOpen = state.kind === 'connected' || state.kind === 'handshaking';
        if (wasOpen) this.#options.onDisconnected(1000);
      }
      this.#machine.transition({ kind: 'stopped', error: undefined, closeCode: undefined });
    }
    await this.#done;
  }

  #connect(): void {
    const attempt = this.#backoff.attempt;
    this.#machine.transition({ kind: 'connecting', attempt, url: this.url });
    this.#logger.debug('connecting to relay', { url: this.url, attempt });
    const ws = new WebSocket(this.url, {
      maxPayload: this.#options.maxPayload ?? 4 * 1024 * 1024,
      generateMask: zeroMask,
    });
    ws.binaryType = 'nodebuffer';
    this.#ws = ws;
    ws.on('open', () => this.#onOpen(ws));
    ws.on('message', (data, isBinary) => this.#onMessage(ws, data as Buffer, isBinary));
    ws.on('error', (error) => {
      this.#logger.debug('relay socket error', { message: error.message });
    });
    ws.on('close', (code, reason) => this.#onClose(ws, code, reason.toString()));
  }

  #onOpen(ws: WebSocket): void {
    if (ws !== this.#ws) return;
    this.#machine.transition({ kind: 'handshaking', url: this.url });
    this.#closeNotice = undefined;
    ws.send(encodeEnvelope({ payload: { case: 'agentHello', value: this.#options.hello() } }));
    this.#helloTimer = setTimeout(() => {
      this.#logger.warn('relay did not answer the hello in time; reconnecting');
      ws.terminate();
    }, this.#options.helloTimeoutMs ?? 10_000);
  }

  #onMessage(ws: WebSocket, data: Buffer, isBinary: boolean): void {
    if (ws !== this.#ws) return;
    if (!isBinary) {
      this.#logger.warn('relay sent a text frame; closing');
      ws.close(closeEntryForReason(CloseReason.PROTOCOL_ERROR).code);
      return;
    }
    let envelope: Envelope;
    try {
      envelope = decodeEnvelope(data);
    } catch (error) {
      this.#logger.warn('relay sent a malformed message; closing', { error: String(error) });
      ws.close(closeEntryForReason(CloseReason.PROTOCOL_ERROR).code);
      return;
    }
    const payload = envelope.payload;
    switch (payload.case) {
      case 'helloResult': {
        if (this.#machine.state.kind !== 'handshaking') return;
        clearTimeout(this.#helloTimer);
        this.#helloTimer = undefined;
        this.#connectedAt = Date.now();
        this.#machine.transition({
          kind: 'connected',
          sessionId: payload.value.sessionId,
          machineId: payload.value.machineId,
        });
        this.#logger.info('connected to relay', {
          url: this.url,
          sessionId: payload.value.sessionId,
          machineId: payload.value.machineId,
        });
        this.#startHeartbeats(payload.value.heartbeatIntervalMs || this.#heartbeatMs);
        this.#options.onConnected(payload.value);
        return;
      }
      case 'heartbeat': {
        if (payload.value.reply) {
          this.#missed = 0;
        } else {
          this.#sendRaw(ws, {
            payload: {
              case: 'heartbeat',
              value: { nonce: payload.value.nonce, sentAtMs: BigInt(Date.now()), reply: true },
            },
          });
        }
        return;
      }
      case 'closeNotice':
        this.#closeNotice = payload.value.message || closeEntryForReason(payload.value.reason).message;
        return;
      case 'error':
        this.#logger.warn('relay reported an error', {
          code: payload.value.code,
          message: payload.value.message,
        });
        return;
      default:
        if (this.#machine.state.kind === 'connected') this.#options.onMessage(envelope);
    }
  }

  #startHeartbeats(intervalMs: number): void {
    this.#missed = 0;
    this.#heartbeatTimer = setInterval(() => {
      const ws = this.#ws;
      if (ws === undefined) return;
      if (this.#missed >= this.#maxMissed) {
        this.#logger.warn('relay stopped answering heartbeats; reconnecting');
        ws.close(closeEntryForReason(CloseReason.HEARTBEAT_TIMEOUT).code);
        // A peer that does not answer heartbeats may not complete a close handshake either.
        setTimeout(() => ws.terminate(), 1000).unref();
        return;
      }
      this.#missed++;
      this.#nonce++;
      this.#sendRaw(ws, {
        payload: {
          case: 'heartbeat',
          value: { nonce: this.#nonce, sentAtMs: BigInt(Date.now()), reply: false },
        },
      });
    }, intervalMs);
  }

  #sendRaw(ws: WebSocket, message: EnvelopeInit): void {
    if (ws.readyState === WebSocket.OPEN) ws.send(encodeEnvelope(createEnvelope(message)));
  }

  #onClose(ws: WebSocket, code: number, reason: string): void {
    if (ws !== this.#ws) return;
    this.#ws = undefined;
    const previous = this.#machine.state;
    this.#clearTimers();
    if (previous.kind === 'stopped') return;
    const wasOpen = previous.kind === 'connected' || previous.kind === 'handshaking';
    if (
      previous.kind === 'connected' &&
      Date.now() - this.#connectedAt >= (this.#options.stableAfterMs ?? 10_000)
    ) {
      this.#backoff.reset();
    }
    const closeCode = code === 1005 || code === 1006 ? undefined : code;
    const entry = closeCode === undefined ? undefined : closeEntryForCode(closeCode);
    const why =
      this.#closeNotice ?? (reason || entry?.message || (wasOpen ? 'connection lost' : 'relay unreachable'));
    if (wasOpen) this.#options.onDisconnected(closeCode);
    const persistent = this.#options.persistent ?? false;
    const refused = closeCode !== undefined && CREDENTIAL_REFUSED_CODES.has(closeCode);
    if (!persistent && entry !== undefined && !entry.retry) {
      const error =
        closeCode === 1000
          ? undefined
          : new AgentError(
              refused ? AgentErrorCode.Unauthorized : AgentErrorCode.Rejected,
              `${entry.name}: ${why}`,
              {
                closeCode,
              },
            );
      this.#logger.info('relay ended the connection', { code: closeCode, reason: why });
      this.#machine.transition({ kind: 'stopped', error, closeCode });
      return;
    }
    let delayMs: number;
    if (closeCode !== undefined && WAIT_AT_CAP_CODES.has(closeCode)) {
      delayMs = this.#backoff.capMs;
      this.#logger.warn(
        `relay refused this agent (${entry?.name ?? closeCode}: ${why}); retrying in ${delayMs} ms`,
        {
          code: closeCode,
        },
      );
    } else {
      delayMs = this.#backoff.next();
      this.#logger.info(`relay connection closed (${why}); reconnecting in ${delayMs} ms`, {
        code: closeCode,
      });
    }
    this.#machine.transition({ kind: 'waiting', delayMs, reason: why, closeCode });
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#connect();
    }, delayMs);
  }

  #clearTimers(): void {
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#helloTimer);
    clearInterval(this.#heartbeatTimer);
    this.#retryTimer = undefined;
    this.#helloTimer = undefined;
    this.#heartbeatTimer = undefined;
  }
}

/** `http://h/p` → `ws://h/p/v1/agent`; `https` → `wss`; `ws(s)` kept. */
export function agentUrl(server: string): string {
  let url: URL;
  try {
    url = new URL(server);
  } catch (cause) {
    throw new AgentError(AgentErrorCode.Config, `invalid server URL ${JSON.stringify(server)}`, { cause });
  }
  const protocols: Record<string, string> = {
    'http:': 'ws:',
    'https:': 'wss:',
    'ws:': 'ws:',
    'wss:': 'wss:',
  };
  const protocol = protocols[url.protocol];
  if (protocol === undefined) {
    throw new AgentError(AgentErrorCode.Config, `server URL must be http(s) or ws(s), got ${url.protocol}`);
  }
  url.protocol = protocol;
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/agent`;
  url.search = '';
  url.hash = '';
  return url.toString();
}
