import type { Terminal } from '@xterm/xterm';
import { parseAsciicast } from './asciicast.js';
import { AsciicastPlayer } from './asciicast-player.js';
import { createHardenedTerminal } from './hardened-terminal.js';
import { ViewerError, ViewerErrorCode } from './viewer-error.js';
import { PlaybackStateEvent, ViewerErrorEvent } from './viewer-events.js';

export interface PlaybackControllerOptions {
  /** Receives `gc-playback-state` and `gc-error`. Required. */
  events: EventTarget;
  /** Where the terminal renders. Required. */
  container: () => HTMLElement | undefined;
  /** Called when anything shown changed (status, playing, position). Required. */
  changed: () => void;
}

export type PlaybackStatus =
  | { kind: 'idle' }
  | { kind: 'loading' }
  | { kind: 'ready' }
  | { kind: 'error'; message: string };

/** What the status box says about the recording. */
export function playbackStatusText(status: PlaybackStatus): string {
  switch (status.kind) {
    case 'error':
      return status.message;
    case 'loading':
      return 'Loading the recording…';
    case 'ready':
      return '';
    default:
      return 'No recording to play.';
  }
}

/**
 * `mode="playback"`: fetches an asciicast v2 recording (with the page's credentials), validates
 * it, and replays it into a read-only xterm.js terminal with {@link AsciicastPlayer}.
 */
export class PlaybackController {
  readonly #options: PlaybackControllerOptions;
  #status: PlaybackStatus = { kind: 'idle' };
  #terminal: Terminal | undefined;
  #player: AsciicastPlayer | undefined;
  #abort: AbortController | undefined;
  #ticker: ReturnType<typeof setInterval> | undefined;
  #src = '';

  constructor(options: PlaybackControllerOptions) {
    this.#options = options;
  }

  get status(): PlaybackStatus {
    return this.#status;
  }
  get terminal(): Terminal | undefined {
    return this.#terminal;
  }
  get player(): AsciicastPlayer | undefined {
    return this.#player;
  }
  /** The URL loaded (or being loaded). */
  get src(): string {
    return this.#src;
  }

  /** Fetches and prepares `src` (paused at the start). Replaces whatever was loaded. */
  async load(src: string): Promise<void> {
    this.dispose();
    this.#src = src;
    const abort = new AbortController();
    this.#abort = abort;
    this.#setStatus({ kind: 'loading' });
    try {
      let url: URL;
      try {
        url = new URL(src, document.baseURI);
      } catch (cause) {
        throw new ViewerError(ViewerErrorCode.Playback, `not a URL: ${src}`, { cause });
      }
      // http(s), or an object URL this page made (a console that fetched the file with its own
      // credentials hands the player a blob: URL of the same origin).
      const ownBlob = url.protocol === 'blob:' && url.origin === location.origin;
      if (url.protocol !== 'http:' && url.protocol !== 'https:' && !ownBlob) {
        throw new ViewerError(
          ViewerErrorCode.Playback,
          `only http(s) recordings can be played, not ${url.protocol}`,
        );
      }
      let response: Response;
      try {
        response = await fetch(url, { credentials: 'include', signal: abort.signal });
      } catch (cause) {
        throw new ViewerError(ViewerErrorCode.Playback, 'the recording could not be fetched', { cause });
      }
      if (!response.ok) {
        throw new ViewerError(
          ViewerErrorCode.Playback,
          `the recording could not be fetched (HTTP ${response.status})`,
        );
      }
      const cast = parseAsciicast(await response.text());
      if (abort.signal.aborted) return;
      const host = this.#options.container();
      if (host === undefined) throw new ViewerError(ViewerErrorCode.Playback, 'the viewer is not rendered');
      const terminal = createHardenedTerminal({ terminal: { disableStdin: true, cursorBlink: false } });
      terminal.open(host);
      this.#terminal = terminal;
      this.#player = new AsciicastPlayer({
        cast,
        output: (data) => terminal.write(data),
        resize: (cols, rows) => terminal.resize(cols, rows),
        reset: () => terminal.reset(),
        onChange: () => this.#playerChanged(),
      });
      this.#setStatus({ kind: 'ready' });
    } catch (error) {
      if (abort.signal.aborted) return;
      const viewerError =
        error instanceof ViewerError
          ? error
          : new ViewerError(ViewerErrorCode.Playback, 'the recording could not be loaded', { cause: error });
      this.#setStatus({ kind: 'error', message: `This recording cannot be played: ${viewerError.message}` });
      this.#options.events.dispatchEvent(
        new ViewerErrorEvent(viewerError.code, viewerError.message, viewerError),
      );
    }
  }

  dispose(): void {
    this.#abort?.abort();
    this.#abort = undefined;
    this.#player?.dispose();
    this.#player = undefined;
    this.#terminal?.dispose();
    this.#terminal = undefined;
    this.#stopTicker();
    this.#src = '';
    this.#status = { kind: 'idle' };
  }

  #setStatus(status: PlaybackStatus): void {
    this.#status = status;
    this.#options.changed();
  }

  #playerChanged(): void {
    const player = this.#player;
    if (player === undefined) return;
    // While playing, the position shown moves: re-render four times a second.
    if (player.playing && this.#ticker === undefined) {
      this.#ticker = setInterval(() => this.#options.changed(), 250);
    } else if (!player.playing) {
      this.#stopTicker();
    }
    this.#options.changed();
    this.#options.events.dispatchEvent(
      new PlaybackStateEvent(player.playing, player.position, player.duration, player.ended),
    );
  }

  #stopTicker(): void {
    if (this.#ticker !== undefined) clearInterval(this.#ticker);
    this.#ticker = undefined;
  }
}
