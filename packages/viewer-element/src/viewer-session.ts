import type { CloseCodeEntry, Envelope, EnvelopeInit, HelloResult } from '@guruconnect/protocol';
import {
  CloseReason,
  CONTRACT_VERSION,
  closeEntryForCode,
  closeEntryForReason,
  decodeEnvelope,
  encodeEnvelope,
} from '@guruconnect/protocol';
import { ViewerError, ViewerErrorCode } from './viewer-error.js';

/** How a session socket ended, as a row of the close-code table (or a drop outside it). */
export interface SessionClose {
  readonly code: number;
  /** Stable name: a `CLOSE_CODES` name, `abnormal` (dropped) or `unreachable` (never opened). */
  readonly name: string;
  readonly message: string;
  readonly retry: boolean;
}

export interface ViewerSessionHandler {
  /** The relay accepted the hello. */
  onHello(result: HelloResult): void;
  /**
   * Any message after the hello except heartbeats and close notices, which the session handles.
   * `decodeMs` is the time spent decoding the envelope.
   */
  onMessage(envelope: Envelope, decodeMs: number): void;
  /** Something went wrong that does not by itself close the socket, or that is about to. */
  onError(error: ViewerError): void;
  /** Called exactly once, when the socket has closed (or failed to open). */
  onClose(close: SessionClose): void;
}

export interface ViewerSessionOptions {
  /** `ws:` / `wss:` URL of the relay's viewer endpoint. Required. */
  url: string;
  /** Single-use viewer token. Required. */
  token: string;
  sessionId: string;
  /** Capability flags announced in the hello. */
  capabilities: readonly string[];
  clientVersion: string;
  handler: ViewerSessionHandler;
  /**
   * Heartbeat interval when the relay's hello result names none, in ms. Default 15 000.
   * Three intervals without any message from the relay close the socket with 4010.
   */
  heartbeatIntervalMs?: number;
  /** How long to wait for the relay to close after its `close_notice`, in ms. Default 2000. */
  closeNoticeGraceMs?: number;
}

const UNREACHABLE: SessionClose = {
  code: 1006,
  name: 'unreachable',
  message: 'Could not reach the server.',
  retry: true,
};
const ABNORMAL: SessionClose = {
  code: 1006,
  name: 'abnormal',
  message: 'The connection to the server was lost.',
  retry: true,
};

/**
 * One WebSocket to the relay's `/v1/viewer`: sends the hello, answers and sends heartbeats,
 * decodes envelopes, and turns however the socket ends into one {@link SessionClose}. A close
 * notice from the relay wins over the close frame's code, because proxies may rewrite the latter.
 */
export class ViewerSession {
  readonly #options: ViewerSessionOptions;
  readonly #socket: WebSocket;
  #opened = false;
  #helloDone = false;
  #closed = false;
  /** Set when we decide the reason ourselves (disconnect, heartbeat timeout, bad bytes). */
  #localClose: SessionClose | undefined;
  #notice: CloseReason | undefined;
  #heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  #graceTimer: ReturnType<typeof setTimeout> | undefined;
  #lastReceivedAt = 0;
  #nonce = 0n;

  constructor(options: ViewerSessionOptions) {
    this.#options = options;
    try {
      this.#socket = new WebSocket(options.url);
    } catch (cause) {
      throw new ViewerError(ViewerErrorCode.Socket, `cannot open a WebSocket to ${options.url}`, { cause });
    }
    this.#socket.binaryType = 'arraybuffer';
    this.#socket.addEventListener('open', () => this.#open());
    this.#socket.addEventListener('message', (event) => this.#message(event));
    this.#socket.addEventListener('close', (event) => this.#close(event.code));
  }

  /** Bytes queued on the socket and not yet sent. */
  get bufferedAmount(): number {
    return this.#socket.bufferedAmount;
  }

  get isOpen(): boolean {
    return this.#helloDone && !this.#closed && this.#socket.readyState === WebSocket.OPEN;
  }

  /** Sends one message after the hello; returns false (and sends nothing) when not open. */
  send(init: EnvelopeInit): boolean {
    if (!this.isOpen) return false;
    this.#socket.send(encodeEnvelope(init));
    return true;
  }

  /**
   * Closes the socket. `reason` is what the handler's `onClose` reports (default: the normal
   * close). Idempotent; `onClose` still fires once, when the socket has closed.
   */
  close(reason: CloseReason = CloseReason.NORMAL): void {
    if (this.#closed || this.#localClose !== undefined) return;
    this.#localClose = entryClose(closeEntryForReason(reason));
    this.#stopTimers();
    // Browsers only let a page send 1000 or 3000–4999; the 1xxx table codes are the relay's.
    const code = this.#localClose.code >= 4000 ? this.#localClose.code : 1000;
    if (this.#socket.readyState === WebSocket.CONNECTING || this.#socket.readyState === WebSocket.OPEN) {
      this.#socket.close(code);
    }
    // Do not wait for the closing handshake of a socket we gave up on.
    this.#close(code);
  }

  #open(): void {
    this.#opened = true;
    this.#lastReceivedAt = performance.now();
    const hello = encodeEnvelope({
      payload: {
        case: 'viewerHello',
        value: {
          token: this.#options.token,
          sessionId: this.#options.sessionId,
          capabilities: [...this.#options.capabilities],
          clientVersion: this.#options.clientVersion,
          protocolVersion: CONTRACT_VERSION,
        },
      },
    });
    this.#socket.send(hello);
  }

  #message(event: MessageEvent): void {
    if (this.#closed) return;
    const receivedAt = performance.now();
    this.#lastReceivedAt = receivedAt;
    if (!(event.data instanceof ArrayBuffer)) {
      this.#protocolError(new ViewerError(ViewerErrorCode.Protocol, 'the relay sent a text frame'));
      return;
    }
    let envelope: Envelope;
    try {
      envelope = decodeEnvelope(new Uint8Array(event.data));
    } catch (cause) {
      this.#protocolError(
        new ViewerError(ViewerErrorCode.Protocol, 'the relay sent an invalid message', { cause }),
      );
      return;
    }
    const { payload } = envelope;
    switch (payload.case) {
      case 'helloResult':
        if (this.#helloDone) break;
        this.#helloDone = true;
        this.#startHeartbeat(payload.value.heartbeatIntervalMs);
        this.#options.handler.onHello(payload.value);
        return;
      case 'heartbeat':
        if (!payload.value.reply) {
          this.send({
            payload: {
              case: 'heartbeat',
              value: { nonce: payload.value.nonce, sentAtMs: BigInt(Date.now()), reply: true },
            },
          });
        }
        return;
      case 'closeNotice':
        this.#notice = payload.value.reason;
        this.#graceTimer ??= setTimeout(() => this.#socket.close(), this.#options.closeNoticeGraceMs ?? 2000);
        return;
      case 'error':
        break;
      default:
        if (!this.#helloDone) {
          this.#protocolError(
            new ViewerError(ViewerErrorCode.Protocol, `the relay sent ${payload.case} before hello_result`),
          );
          return;
        }
        break;
    }
    if (payload.case === 'sessionState' && payload.value.endReason !== CloseReason.UNSPECIFIED) {
      this.#notice ??= payload.value.endReason;
    }
    this.#options.handler.onMessage(envelope, performance.now() - receivedAt);
  }

  #protocolError(error: ViewerError): void {
    this.#options.handler.onError(error);
    this.close(CloseReason.PROTOCOL_ERROR);
  }

  #startHeartbeat(relayInterval: number): void {
    const interval = relayInterval > 0 ? relayInterval : (this.#options.heartbeatIntervalMs ?? 15_000);
    this.#heartbeatTimer = setInterval(() => {
      if (performance.now() - this.#lastReceivedAt > 3 * interval) {
        this.close(CloseReason.HEARTBEAT_TIMEOUT);
        return;
      }
      this.#nonce += 1n;
      this.send({
        payload: {
          case: 'heartbeat',
          value: { nonce: this.#nonce, sentAtMs: BigInt(Date.now()), reply: false },
        },
      });
    }, interval);
  }

  #stopTimers(): void {
    if (this.#heartbeatTimer !== undefined) clearInterval(this.#heartbeatTimer);
    if (this.#graceTimer !== undefined) clearTimeout(this.#graceTimer);
    this.#heartbeatTimer = undefined;
    this.#graceTimer = undefined;
  }

  #close(code: number): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopTimers();
    this.#options.handler.onClose(this.#describe(code));
  }

  #describe(code: number): SessionClose {
    if (this.#localClose !== undefined) return this.#localClose;
    if (this.#notice !== undefined) return entryClose(closeEntryForReason(this.#notice));
    const entry = closeEntryForCode(code);
    if (entry !== undefined) return entryClose(entry);
    return this.#opened ? ABNORMAL : UNREACHABLE;
  }
}

function entryClose(entry: CloseCodeEntry): SessionClose {
  return { code: entry.code, name: entry.name, message: entry.message, retry: entry.retry };
}
