import {
  type CloseReason,
  closeEntryForReason,
  createEnvelope,
  type EnvelopeInit,
  type EnvelopeLimits,
  encodeEnvelope,
  type Heartbeat,
} from '@guruconnect/protocol';
import { WebSocket } from 'ws';
import type { ConnectionContext } from './hooks.js';

export type PeerRole = 'agent' | 'viewer';

/** Longest human message the relay puts in a CloseNotice or ErrorMessage (keeps them control-sized). */
const MAX_MESSAGE_CHARS = 1024;

/** `text` cut to {@link MAX_MESSAGE_CHARS}. */
export function shortMessage(text: string): string {
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS - 1)}…` : text;
}

export interface PeerOptions {
  ws: WebSocket;
  role: PeerRole;
  ctx: ConnectionContext;
  /** Limits the relay's own messages are encoded under (the same the peer enforces). */
  limits: EnvelopeLimits;
  /** Called once, after the socket has closed, with the reason the relay closed it for (if it did). */
  onClosed: (peer: Peer, code: number, reason: CloseReason | undefined) => void;
}

/**
 * One WebSocket of the relay, agent or viewer: sending, the closing ritual (CloseNotice then a
 * close frame with the table's code) and the heartbeat bookkeeping.
 */
export class Peer {
  readonly ws: WebSocket;
  readonly role: PeerRole;
  readonly ctx: ConnectionContext;
  /** Resolves when the socket has closed. */
  readonly closed: Promise<void>;
  readonly #limits: EnvelopeLimits;
  #closeReason: CloseReason | undefined;
  #nonce = 0n;
  #awaitingNonce: bigint | undefined;
  #missed = 0;

  constructor(options: PeerOptions) {
    this.ws = options.ws;
    this.role = options.role;
    this.ctx = options.ctx;
    this.#limits = options.limits;
    this.closed = new Promise<void>((resolve) => {
      this.ws.once('close', (code: number) => {
        options.onClosed(this, code, this.#closeReason);
        resolve();
      });
    });
  }

  /** True until the relay decided to close it or the socket stopped being open. */
  get isOpen(): boolean {
    return this.#closeReason === undefined && this.ws.readyState === WebSocket.OPEN;
  }

  /** Why the relay is closing this socket, once it decided to. */
  get closeReason(): CloseReason | undefined {
    return this.#closeReason;
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  /** Sends one already-encoded frame. False when the socket is no longer open (nothing sent). */
  send(data: Uint8Array, onFlushed?: (err?: Error) => void): boolean {
    if (!this.isOpen) return false;
    this.ws.send(data, { binary: true }, onFlushed);
    return true;
  }

  /** Encodes and sends a message of the relay's own. Throws `ProtocolError` if it breaks a limit. */
  sendEnvelope(init: EnvelopeInit): boolean {
    if (!this.isOpen) return false;
    return this.send(encodeEnvelope(createEnvelope(init), this.#limits));
  }

  /**
   * Closes with the table's code for `reason`, after a CloseNotice carrying the same reason.
   * Idempotent: the first reason wins. The ws `closeTimeout` destroys a peer that never
   * completes the handshake.
   */
  close(reason: CloseReason, message?: string): void {
    if (this.#closeReason !== undefined) return;
    const entry = closeEntryForReason(reason);
    const state = this.ws.readyState;
    if (state === WebSocket.OPEN) {
      this.ws.send(
        encodeEnvelope(
          createEnvelope({
            payload: {
              case: 'closeNotice',
              value: { reason, message: shortMessage(message ?? entry.message) },
            },
          }),
          this.#limits,
        ),
      );
    }
    this.#closeReason = reason;
    if (state === WebSocket.OPEN || state === WebSocket.CONNECTING) this.ws.close(entry.code, entry.name);
    // A paused socket would never read the peer's close frame; what it still reads is ignored.
    if (this.ws.isPaused) this.ws.resume();
  }

  /**
   * One heartbeat period passed: counts the last beat as missed if unanswered and sends the
   * next. Returns false when `limit` beats in a row went unanswered (the caller closes 4010).
   */
  heartbeat(limit: number): boolean {
    if (!this.isOpen) return true;
    if (this.#awaitingNonce !== undefined) {
      this.#missed += 1;
      if (this.#missed >= limit) return false;
    }
    this.#nonce += 1n;
    this.#awaitingNonce = this.#nonce;
    this.sendEnvelope({
      payload: {
        case: 'heartbeat',
        value: { nonce: this.#nonce, sentAtMs: BigInt(Date.now()), reply: false },
      },
    });
    return true;
  }

  /** A Heartbeat from the peer: a reply clears the missed count, a request is answered. */
  onHeartbeat(beat: Heartbeat): void {
    if (beat.reply) {
      if (beat.nonce === this.#awaitingNonce) {
        this.#awaitingNonce = undefined;
        this.#missed = 0;
      }
      return;
    }
    this.sendEnvelope({
      payload: { case: 'heartbeat', value: { nonce: beat.nonce, sentAtMs: BigInt(Date.now()), reply: true } },
    });
  }
}
