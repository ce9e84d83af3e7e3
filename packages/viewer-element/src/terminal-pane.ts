import type { EnvelopeInit } from '@guruconnect/protocol';
import { FitAddon } from '@xterm/addon-fit';
import type { Terminal } from '@xterm/xterm';
import { createHardenedTerminal } from './hardened-terminal.js';

export interface TerminalPaneOptions {
  /** Element xterm.js renders into; the terminal is fitted to its size. Required. */
  host: HTMLElement;
  /** Terminal channel id used on the wire. Required. */
  channelId: number;
  /** Sends one message over the session; false when it is not open. Required. */
  send: (init: EnvelopeInit) => boolean;
  /** Whether typing is ignored (view-only). Default: never. */
  readOnly?: () => boolean;
  /** Asks before a clicked hyperlink opens. Default `window.confirm`. */
  confirmLink?: (uri: string) => boolean;
  /** Acknowledge once this many bytes are written, even while more writes are queued. Default 65 536. */
  ackEveryBytes?: number;
}

const encoder = new TextEncoder();

/**
 * One terminal channel shown with xterm.js: output is decoded as a UTF-8 stream (a multibyte
 * sequence split over messages is fine, invalid bytes become U+FFFD) and acknowledged with
 * `TerminalAck` as xterm finishes writing it, so the agent pauses the remote program instead
 * of flooding the page; keystrokes and pastes go out as `TerminalData`; the terminal is fitted
 * to its host and every size change is sent as `TerminalResize`.
 */
export class TerminalPane {
  readonly terminal: Terminal;
  readonly channelId: number;
  readonly #options: TerminalPaneOptions;
  readonly #fit = new FitAddon();
  readonly #observer: ResizeObserver;
  #decoder = new TextDecoder('utf-8');
  /** Bumped by every open(), so write callbacks of an earlier channel do not ack the new one. */
  #generation = 0;
  #open = false;
  #consumed = 0;
  #acked = 0;
  #pendingWrites = 0;
  #disposed = false;

  constructor(options: TerminalPaneOptions) {
    this.#options = options;
    this.channelId = options.channelId;
    this.terminal = createHardenedTerminal(
      options.confirmLink === undefined ? {} : { confirmLink: options.confirmLink },
    );
    this.terminal.loadAddon(this.#fit);
    this.terminal.open(options.host);
    this.terminal.onData((data) => this.#input(encoder.encode(data)));
    // Some mouse reports are binary strings: one byte per char.
    this.terminal.onBinary((data) => this.#input(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff)));
    this.terminal.onResize(({ cols, rows }) => {
      if (this.#open) {
        this.#options.send({
          payload: { case: 'terminalResize', value: { channelId: this.channelId, cols, rows } },
        });
      }
    });
    this.terminal.attachCustomKeyEventHandler((event) => this.#clipboardKey(event));
    this.#observer = new ResizeObserver(() => this.fit());
    this.#observer.observe(options.host);
    this.fit();
  }

  /** Whether the channel is open on the current connection. */
  get isOpen(): boolean {
    return this.#open;
  }

  /** Opens the channel on the agent (`TerminalOpen` with the current size). */
  open(): boolean {
    this.fit();
    this.#generation++;
    this.#decoder = new TextDecoder('utf-8');
    this.#consumed = 0;
    this.#acked = 0;
    this.#pendingWrites = 0;
    const { cols, rows } = this.terminal;
    this.#open = this.#options.send({
      payload: {
        case: 'terminalOpen',
        value: { channelId: this.channelId, cols, rows, term: 'xterm-256color' },
      },
    });
    return this.#open;
  }

  /** The channel is gone (its connection closed or the shell exited). */
  detach(): void {
    if (!this.#open) return;
    this.#open = false;
    const rest = this.#decoder.decode();
    if (rest !== '') this.terminal.write(rest);
  }

  /** Writes output of the channel; acknowledges it once xterm has processed it. */
  receive(data: Uint8Array): void {
    if (this.#disposed) return;
    const text = this.#decoder.decode(data, { stream: true });
    const generation = this.#generation;
    const length = data.byteLength;
    this.#pendingWrites++;
    this.terminal.write(text, () => {
      if (generation !== this.#generation) return;
      this.#pendingWrites--;
      this.#consumed += length;
      const every = this.#options.ackEveryBytes ?? 65_536;
      if (this.#pendingWrites === 0 || this.#consumed - this.#acked >= every) this.#ack();
    });
  }

  /** Writes a local notice (dimmed, on its own line); not part of the channel's bytes. */
  notice(text: string): void {
    // The text may come from the agent: no control character of it reaches the terminal.
    const clean = Array.from(text, (c) => (c.charCodeAt(0) < 0x20 || c === '\x7f' ? ' ' : c)).join('');
    this.terminal.write(`\r\n\x1b[2m[${clean}]\x1b[0m\r\n`);
  }

  /** Fits the terminal to its host (no-op while the host has no size). */
  fit(): void {
    if (this.#disposed || this.#options.host.clientWidth === 0 || this.#options.host.clientHeight === 0)
      return;
    this.#fit.fit();
  }

  focus(): void {
    this.terminal.focus();
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#open = false;
    this.#observer.disconnect();
    this.terminal.dispose();
  }

  #ack(): void {
    if (!this.#open || this.#consumed === this.#acked) return;
    this.#acked = this.#consumed;
    this.#options.send({
      payload: {
        case: 'terminalAck',
        value: { channelId: this.channelId, bytesConsumed: BigInt(this.#consumed) },
      },
    });
  }

  #input(data: Uint8Array): void {
    if (!this.#open || this.#options.readOnly?.() === true) return;
    this.#options.send({ payload: { case: 'terminalData', value: { channelId: this.channelId, data } } });
  }

  /** Ctrl+Shift+C copies the selection, Ctrl+Shift+V pastes: both are user gestures. */
  #clipboardKey(event: KeyboardEvent): boolean {
    if (event.type !== 'keydown' || !event.ctrlKey || !event.shiftKey || event.altKey) return true;
    const key = event.key.toLowerCase();
    if (key === 'c' && this.terminal.hasSelection()) {
      void navigator.clipboard?.writeText(this.terminal.getSelection()).catch((error: unknown) => {
        this.notice(`copy failed: ${String(error)}`);
      });
      event.preventDefault();
      return false;
    }
    if (key === 'v') {
      void navigator.clipboard
        ?.readText()
        .then((text) => this.terminal.paste(text))
        .catch((error: unknown) => this.notice(`paste failed: ${String(error)}`));
      event.preventDefault();
      return false;
    }
    return true;
  }
}
