import type { Envelope, EnvelopeInit, TerminalExit } from '@guruconnect/protocol';
import type { RelayPeer } from './relay-peer.js';

export interface TerminalViewerOptions {
  viewerId?: string;
  channelId?: number;
  /** Acknowledge each output chunk as soon as it arrives. Default true. */
  autoAck?: boolean;
  /** Keep the output as text for waitFor(). Default true (turn off for bulk transfers). */
  keepText?: boolean;
  /** Also called with every output chunk. */
  onData?: (data: Uint8Array) => void;
}

/**
 * A viewer's terminal, spoken through a {@link RelayPeer} (messages stamped with the viewer id,
 * as the relay forwards them): opens a channel, types, resizes, acknowledges output and
 * collects it.
 */
export class TerminalViewer {
  readonly viewerId: string;
  readonly channelId: number;
  received = 0;
  exit: TerminalExit | undefined;
  #text = '';
  readonly #decoder = new TextDecoder();
  readonly #peer: RelayPeer;
  readonly #options: TerminalViewerOptions;
  readonly #remove: () => void;

  constructor(peer: RelayPeer, options: TerminalViewerOptions = {}) {
    this.#peer = peer;
    this.#options = options;
    this.viewerId = options.viewerId ?? 'v1';
    this.channelId = options.channelId ?? 1;
    this.#remove = peer.onMessage((e) => this.#message(e));
  }

  open(cols = 80, rows = 24, term = 'xterm-256color'): void {
    this.#send({ case: 'terminalOpen', value: { channelId: this.channelId, cols, rows, term } });
  }

  type(text: string): void {
    this.#send({
      case: 'terminalData',
      value: { channelId: this.channelId, data: new TextEncoder().encode(text) },
    });
  }

  resize(cols: number, rows: number): void {
    this.#send({ case: 'terminalResize', value: { channelId: this.channelId, cols, rows } });
  }

  ack(bytes = this.received): void {
    this.#send({ case: 'terminalAck', value: { channelId: this.channelId, bytesConsumed: BigInt(bytes) } });
  }

  get text(): string {
    return this.#text;
  }

  async waitFor(pattern: RegExp, timeoutMs = 10_000): Promise<RegExpMatchArray> {
    const start = Date.now();
    for (;;) {
      const match = this.#text.match(pattern);
      if (match !== null) return match;
      if (Date.now() - start > timeoutMs) {
        throw new Error(
          `terminal: ${pattern} not seen in ${timeoutMs} ms; got ${JSON.stringify(this.#text.slice(-500))}`,
        );
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async waitForExit(timeoutMs = 10_000): Promise<TerminalExit> {
    const start = Date.now();
    while (this.exit === undefined) {
      if (Date.now() - start > timeoutMs) throw new Error('terminal: no TerminalExit in time');
      await new Promise((r) => setTimeout(r, 10));
    }
    return this.exit;
  }

  dispose(): void {
    this.#remove();
  }

  #send(payload: NonNullable<EnvelopeInit['payload']>): void {
    this.#peer.send({ payload }, this.viewerId);
  }

  #message(envelope: Envelope): void {
    if (envelope.viewerId !== this.viewerId) return;
    const { payload } = envelope;
    if (payload.case === 'terminalData' && payload.value.channelId === this.channelId) {
      this.received += payload.value.data.length;
      if (this.#options.keepText ?? true)
        this.#text += this.#decoder.decode(payload.value.data, { stream: true });
      this.#options.onData?.(payload.value.data);
      if (this.#options.autoAck ?? true) this.ack();
    } else if (payload.case === 'terminalExit' && payload.value.channelId === this.channelId) {
      this.exit = payload.value;
    }
  }
}
