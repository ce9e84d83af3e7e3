import type {
  Display,
  Envelope,
  EnvelopeInit,
  SessionState,
  TerminalData,
  TerminalExit,
} from '@guruconnect/protocol';
import { Capability, Channel, CloseReason, SessionState_State } from '@guruconnect/protocol';
import type { ConnectionState } from './connection-state.js';
import { ConnectionStateMachine } from './connection-state.js';
import type { CursorOverlay } from './cursor-overlay.js';
import type { FramePainter } from './frame-painter.js';
import { FramePipeline } from './frame-pipeline.js';
import { reconnectDelay } from './reconnect-backoff.js';
import { ViewerError, ViewerErrorCode } from './viewer-error.js';
import {
  ConnectedEvent,
  ConsentDeclinedEvent,
  ConsentGrantedEvent,
  ConsentPendingEvent,
  DisconnectedEvent,
  DisplaysChangedEvent,
  ViewerErrorEvent,
} from './viewer-events.js';
import type { SessionClose } from './viewer-session.js';
import { ViewerSession } from './viewer-session.js';
import { viewerUrl } from './viewer-url.js';

/** Version announced in the viewer hello. */
export const VIEWER_VERSION = '0.1.0';

const CAPABILITIES = [
  Capability.CodecZstd,
  Capability.CodecJpeg,
  Capability.CodecCopy,
  Capability.CompactFrames,
  Capability.Cursor,
  Capability.MultiDisplay,
  Capability.Terminal,
];

/** What the controller reads from its element when it (re)connects. */
export interface SessionConfig {
  server: string;
  session: string;
  token: string;
  tokenProvider: (() => Promise<string>) | undefined;
  maxReconnectAttempts: number;
  /** Display the user asked for ('' for the agent's choice). */
  display: string;
}

export interface SessionControllerOptions {
  /** Receives the `gc-*` events. Required. */
  events: EventTarget;
  /** Reads the element's current configuration. Required. */
  config: () => SessionConfig;
  /** Called whenever something shown on screen changed (state, displays, size, notice). */
  changed: () => void;
  /** Releases held keys (called before the socket closes, so the releases still go out). */
  releaseKeys: () => void;
  painter: () => FramePainter | undefined;
  cursor: () => CursorOverlay | undefined;
  /** Receives the agent's terminal output and terminal ends. Default: ignored. */
  terminal?: (
    message: { case: 'terminalData'; value: TerminalData } | { case: 'terminalExit'; value: TerminalExit },
  ) => void;
}

/**
 * The connection behind one `<gc-viewer>`: obtains tokens, opens {@link ViewerSession}s, walks
 * the {@link ConnectionStateMachine}, reconnects with backoff when the close reason allows it
 * and a token provider can mint a new single-use token, hands frames to its
 * {@link FramePipeline}, and fires the element's events. `dispose()` (or `disconnect()`) stops everything.
 */
export class SessionController {
  readonly #options: SessionControllerOptions;
  readonly #machine = new ConnectionStateMachine();
  #session: ViewerSession | undefined;
  /** Bumped by every new attempt and by disconnect, so late callbacks of an old one are ignored. */
  #generation = 0;
  /** The `token` attribute value already spent (tokens are single-use; provider tokens are never reused). */
  #usedToken = '';
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #frames: FramePipeline;
  #grantedControl = false;
  #channels: readonly Channel[] = [];
  #viewerId = '';
  /** Failed reconnects since the session was last up. */
  #retries = 0;
  #displays: readonly Display[] = [];
  #activeDisplayId = '';
  #notice = '';

  constructor(options: SessionControllerOptions) {
    this.#options = options;
    this.#frames = new FramePipeline({
      painter: options.painter,
      cursor: options.cursor,
      current: (session) => session === this.#session,
      activeDisplayId: () => this.#activeDisplayId,
      displaySwitched: (displayId) => {
        this.#activeDisplayId = displayId;
        options.changed();
      },
      changed: options.changed,
      emit: (event) => this.#emit(event),
      reportError: (error) => this.#reportError(error),
    });
  }

  get state(): ConnectionState {
    return this.#machine.state;
  }
  get displays(): readonly Display[] {
    return this.#displays;
  }
  get activeDisplayId(): string {
    return this.#activeDisplayId;
  }
  get displaySize(): { width: number; height: number } | undefined {
    return this.#frames.displaySize;
  }
  /** A message about the live session (e.g. the agent went offline), or ''. */
  get notice(): string {
    return this.#notice;
  }
  /** Connected, the socket open and the control channel granted. */
  get controlGranted(): boolean {
    return this.#grantedControl && this.#machine.state.kind === 'connected' && this.#session?.isOpen === true;
  }
  /** Channels the relay granted this viewer (from its hello result; empty before). */
  get channels(): readonly Channel[] {
    return this.#channels;
  }
  /** Whether the connection is open or being opened (anything but idle and ended). */
  get active(): boolean {
    const kind = this.#machine.state.kind;
    return kind !== 'idle' && kind !== 'ended';
  }

  connect(): void {
    if (!this.active) void this.#open(1);
  }

  /** Closes the connection; `message` is what the ended state shows. Default "Disconnected.". */
  disconnect(message = 'Disconnected.'): void {
    if (!this.active) return;
    this.#generation++;
    if (this.#reconnectTimer !== undefined) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    this.#options.releaseKeys();
    const session = this.#session;
    this.#session = undefined;
    session?.close(CloseReason.NORMAL);
    this.#finish({ code: 1000, name: 'normal', message, retry: false });
  }

  /** Same as {@link disconnect}: releases the socket and the reconnect timer. */
  dispose(): void {
    this.disconnect();
  }

  /** Sends one message; false when there is no open session. */
  send(init: EnvelopeInit): boolean {
    return this.#session?.send(init) ?? false;
  }

  #setState(next: ConnectionState): void {
    this.#machine.transition(next);
    this.#options.changed();
  }

  #emit(event: Event): void {
    this.#options.events.dispatchEvent(event);
  }

  #reportError(error: unknown): void {
    const viewerError =
      error instanceof ViewerError
        ? error
        : new ViewerError(ViewerErrorCode.Decode, 'unexpected failure while painting', { cause: error });
    this.#emit(new ViewerErrorEvent(viewerError.code, viewerError.message, viewerError));
  }

  async #open(attempt: number): Promise<void> {
    const generation = ++this.#generation;
    this.#setState({ kind: 'connecting', attempt, waitingForAgent: false });
    const config = this.#options.config();
    let token: string;
    let url: string;
    try {
      url = viewerUrl(config.server !== '' ? config.server : location.origin);
      if (config.session === '') throw new ViewerError(ViewerErrorCode.Config, 'no session id');
      token = await this.#nextToken(config);
    } catch (error) {
      if (generation !== this.#generation) return;
      this.#reportError(error);
      const message =
        error instanceof ViewerError && error.code === ViewerErrorCode.TokenProvider
          ? 'Could not get a viewer token.'
          : 'The viewer is not configured (server, session or token missing).';
      this.#finish({ code: 1000, name: 'config', message, retry: false });
      return;
    }
    if (generation !== this.#generation) return;
    // The painter follows the agent's zstd stream only where its decoder can (WebAssembly).
    const streams = await this.#frames.begin();
    if (generation !== this.#generation) return;
    this.#grantedControl = false;
    this.#channels = [];
    try {
      const session: ViewerSession = new ViewerSession({
        url,
        token,
        sessionId: config.session,
        capabilities: streams ? [...CAPABILITIES, Capability.CodecZstdStream] : CAPABILITIES,
        clientVersion: VIEWER_VERSION,
        handler: {
          onHello: (result) => {
            if (session !== this.#session) return;
            this.#grantedControl = result.channels.includes(Channel.CONTROL);
            this.#channels = result.channels;
            this.#viewerId = result.viewerId;
          },
          onMessage: (envelope, decodeMs) => {
            if (session === this.#session) this.#message(session, envelope, decodeMs);
          },
          onError: (error) => {
            if (session === this.#session) this.#reportError(error);
          },
          onClose: (close) => {
            if (session === this.#session) this.#closed(close);
          },
        },
      });
      this.#session = session;
    } catch (error) {
      this.#reportError(error);
      this.#closed({ code: 1006, name: 'unreachable', message: 'Could not reach the server.', retry: true });
    }
  }

  async #nextToken(config: SessionConfig): Promise<string> {
    if (config.token !== '' && config.token !== this.#usedToken) {
      this.#usedToken = config.token;
      return config.token;
    }
    if (config.tokenProvider === undefined) {
      throw new ViewerError(
        ViewerErrorCode.Config,
        'the viewer token was already used and no tokenProvider is set',
      );
    }
    let token: string;
    try {
      token = await config.tokenProvider();
    } catch (cause) {
      throw new ViewerError(ViewerErrorCode.TokenProvider, 'tokenProvider failed', { cause });
    }
    if (typeof token !== 'string' || token === '') {
      throw new ViewerError(ViewerErrorCode.TokenProvider, 'tokenProvider returned no token');
    }
    return token;
  }

  #message(session: ViewerSession, envelope: Envelope, decodeMs: number): void {
    const { payload } = envelope;
    switch (payload.case) {
      case 'sessionState':
        this.#sessionState(payload.value);
        break;
      case 'displayList': {
        const { displays, activeDisplayId } = payload.value;
        this.#displays = displays;
        this.#activeDisplayId = activeDisplayId;
        this.#options.changed();
        this.#emit(new DisplaysChangedEvent(displays, activeDisplayId));
        const wanted = this.#options.config().display;
        if (wanted !== '' && wanted !== activeDisplayId && displays.some((d) => d.id === wanted)) {
          this.send({ payload: { case: 'displaySelect', value: { displayId: wanted } } });
        }
        break;
      }
      case 'videoFrame': {
        this.#activate();
        this.#frames.enqueue(session, payload.value, decodeMs);
        break;
      }
      case 'cursorShape':
        this.#options.cursor()?.setShape(payload.value);
        break;
      case 'cursorPosition':
        if (payload.value.displayId === '' || payload.value.displayId === this.#activeDisplayId) {
          this.#options.cursor()?.setPosition(payload.value);
        }
        break;
      case 'error':
        this.#emit(new ViewerErrorEvent(payload.value.code, payload.value.message));
        break;
      case 'terminalData':
      case 'terminalExit':
        this.#options.terminal?.(payload);
        break;
      default:
        // Chat, clipboard and files belong to later features; nothing to show yet.
        break;
    }
  }

  #sessionState(state: SessionState): void {
    const current = this.#machine.state;
    switch (state.state) {
      case SessionState_State.AWAITING_CONSENT:
        if (current.kind === 'connecting') {
          this.#setState({ kind: 'awaiting-consent' });
          this.#emit(new ConsentPendingEvent());
        }
        break;
      case SessionState_State.ACTIVE:
        this.#activate();
        break;
      case SessionState_State.WAITING_FOR_AGENT:
      case SessionState_State.READY:
      case SessionState_State.AGENT_LOST:
        if (current.kind === 'connecting') {
          this.#setState({ ...current, waitingForAgent: true });
        } else if (current.kind === 'connected' && state.state !== SessionState_State.READY) {
          this.#notice = 'The remote machine went offline. Waiting for it to come back…';
          this.#options.changed();
        }
        break;
      default:
        break;
    }
  }

  /** The session is active (a state message said so, or the screen started arriving). */
  #activate(): void {
    if (this.#notice !== '') {
      this.#notice = '';
      this.#options.changed();
    }
    const kind = this.#machine.state.kind;
    if (kind !== 'connecting' && kind !== 'awaiting-consent') return;
    this.#retries = 0;
    this.#setState({ kind: 'connected' });
    if (kind === 'awaiting-consent') this.#emit(new ConsentGrantedEvent());
    this.#emit(new ConnectedEvent(this.#viewerId, this.#grantedControl));
  }

  #closed(close: SessionClose): void {
    this.#session = undefined;
    this.#options.releaseKeys();
    this.#options.cursor()?.hide();
    if (close.code === 4006 || close.code === 4007) {
      this.#emit(new ConsentDeclinedEvent(close.code, close.message));
    }
    if (this.#machine.state.kind === 'connected') this.#retries = 0;
    const retry = this.#retries + 1;
    const { tokenProvider, maxReconnectAttempts } = this.#options.config();
    // Tokens are single-use: without a provider of fresh ones a reconnect cannot succeed.
    if (!close.retry || tokenProvider === undefined || retry > maxReconnectAttempts) {
      this.#finish(close);
      return;
    }
    this.#retries = retry;
    const delayMs = reconnectDelay(retry);
    this.#setState({
      kind: 'reconnecting',
      attempt: retry,
      delayMs,
      code: close.code,
      message: close.message,
    });
    this.#emit(new DisconnectedEvent(close.code, close.name, close.message, true));
    const generation = this.#generation;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (generation === this.#generation) void this.#open(retry + 1);
    }, delayMs);
  }

  #finish(close: SessionClose): void {
    // The table's retryable messages promise a reconnect ("… Reconnecting…"); not this time.
    const message = close.message.replace(/\s*Reconnecting…$/, '');
    this.#setState({ kind: 'ended', code: close.code, reason: close.name, message });
    this.#emit(new DisconnectedEvent(close.code, close.name, message, false));
  }
}
