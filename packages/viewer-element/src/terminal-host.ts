import type { EnvelopeInit, TerminalData, TerminalExit } from '@guruconnect/protocol';
import { TerminalPane } from './terminal-pane.js';
import { ViewerError, ViewerErrorCode } from './viewer-error.js';
import { TerminalExitEvent, ViewerErrorEvent } from './viewer-events.js';

export interface TerminalHostOptions {
  /** Receives `gc-terminal-exit`. Required. */
  events: EventTarget;
  /** Sends over the session. Required. */
  send: (init: EnvelopeInit) => boolean;
  /** Where the terminal renders (must be laid out when the terminal is created). Required. */
  container: () => HTMLElement | undefined;
  /** Typing is ignored while this is true (view-only). */
  readOnly: () => boolean;
  /** Whether the session's token grants the terminal channel. Required. */
  granted: () => boolean;
  /** open() found the channel not granted (after `gc-error` `GC_ERR_VIEWER_TERMINAL` fired). */
  onDenied?: () => void;
  /** The channel ended (after `gc-terminal-exit` fired). */
  onExit?: (exit: TerminalExit) => void;
  /** Asks before a clicked hyperlink opens. Default `window.confirm`. */
  confirmLink?: (uri: string) => boolean;
}

/** The channel id this viewer uses for its (single) terminal. */
export const TERMINAL_CHANNEL_ID = 1;

/**
 * The terminal of one `<gc-viewer>` (the whole element in `mode="terminal"`, a pane beside the
 * screen in desktop mode): creates the {@link TerminalPane} when first needed, opens the channel
 * on each connection, routes the agent's output and end to it.
 */
export class TerminalHost {
  readonly #options: TerminalHostOptions;
  #pane: TerminalPane | undefined;

  constructor(options: TerminalHostOptions) {
    this.#options = options;
  }

  get pane(): TerminalPane | undefined {
    return this.#pane;
  }

  /** Creates the terminal if needed (into the container) and opens the channel, when granted. */
  open(): boolean {
    if (!this.#options.granted()) {
      const error = new ViewerError(
        ViewerErrorCode.Terminal,
        'the viewer token does not grant the terminal channel',
      );
      this.#options.events.dispatchEvent(new ViewerErrorEvent(error.code, error.message, error));
      this.#options.onDenied?.();
      return false;
    }
    const pane = this.#ensure();
    if (pane === undefined) return false;
    if (pane.isOpen) return true;
    const opened = pane.open();
    if (opened) pane.focus();
    return opened;
  }

  /** The terminal messages of the session. */
  receive(
    message: { case: 'terminalData'; value: TerminalData } | { case: 'terminalExit'; value: TerminalExit },
  ): void {
    const pane = this.#pane;
    if (pane === undefined || message.value.channelId !== pane.channelId) return;
    if (message.case === 'terminalData') {
      if (pane.isOpen) pane.receive(message.value.data);
      return;
    }
    const exit = message.value;
    pane.detach();
    pane.notice(exit.reason || `the terminal ended (code ${exit.exitCode})`);
    this.#options.events.dispatchEvent(
      new TerminalExitEvent(exit.channelId, exit.exitCode, exit.signal, exit.reason),
    );
    this.#options.onExit?.(exit);
  }

  /** The connection closed: the channel is gone with it (the agent hangs the shell up). */
  detach(): void {
    this.#pane?.detach();
  }

  fit(): void {
    this.#pane?.fit();
  }

  dispose(): void {
    this.#pane?.dispose();
    this.#pane = undefined;
  }

  #ensure(): TerminalPane | undefined {
    if (this.#pane !== undefined) return this.#pane;
    const host = this.#options.container();
    if (host === undefined) return undefined;
    this.#pane = new TerminalPane({
      host,
      channelId: TERMINAL_CHANNEL_ID,
      send: this.#options.send,
      readOnly: this.#options.readOnly,
      ...(this.#options.confirmLink === undefined ? {} : { confirmLink: this.#options.confirmLink }),
    });
    return this.#pane;
  }
}
