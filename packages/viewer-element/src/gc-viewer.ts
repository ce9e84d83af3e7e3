import type { Display } from '@guruconnect/protocol';
import { Channel } from '@guruconnect/protocol';
import type { Terminal } from '@xterm/xterm';
import type { PropertyValues } from 'lit';
import { LitElement } from 'lit';
import type { ConnectionState } from './connection-state.js';
import { CursorOverlay } from './cursor-overlay.js';
import { DesktopInput } from './desktop-input.js';
import { FramePainter } from './frame-painter.js';
import { gcViewerStyles } from './gc-viewer-styles.js';
import { renderViewer, stageSize } from './gc-viewer-template.js';
import { CTRL_ALT_DEL } from './keysyms.js';
import { PlaybackController } from './playback-controller.js';
import { SessionController } from './session-controller.js';
import { TerminalHost } from './terminal-host.js';
import { ConnectedEvent, DisconnectedEvent } from './viewer-events.js';
import { xtermStyles } from './xterm-styles.js';
import { loadZstdDecoder } from './zstd-decoder.js';

/** What the element shows: the remote screen, a terminal on the agent, or a recorded terminal session. */
export type ViewerMode = 'desktop' | 'terminal' | 'playback';

/**
 * `<gc-viewer>`: joins a GuruConnect session over the relay's `/v1/viewer` WebSocket, paints the
 * remote screen and, when control is granted, sends pointer and keyboard input. With
 * `mode="terminal"` it shows a shell on the agent instead (xterm.js); with `mode="playback"` it
 * replays the asciicast recording at `src`.
 *
 * It connects by itself once it is in the document and has a `session` and a `token` (or a
 * `tokenProvider`); `server` defaults to the page's origin.
 *
 * @fires gc-connected - {@link ConnectedEvent}: the session is active.
 * @fires gc-disconnected - {@link DisconnectedEvent}: the socket closed (`code`, `reason`, `message`, `willRetry`).
 * @fires gc-error - {@link ViewerErrorEvent}: a stable `code` (`GC_ERR_…`) and a message.
 * @fires gc-consent-pending - {@link ConsentPendingEvent}: the end user is being asked.
 * @fires gc-consent-granted - {@link ConsentGrantedEvent}: the end user accepted.
 * @fires gc-consent-declined - {@link ConsentDeclinedEvent}: the end user declined or did not answer.
 * @fires gc-displays-changed - {@link DisplaysChangedEvent}: the remote displays.
 * @fires gc-resize - {@link ResizeEvent}: the remote display size changed.
 * @fires gc-terminal-exit - {@link TerminalExitEvent}: the terminal ended (shell exited, refused or closed).
 * @fires gc-playback-state - {@link PlaybackStateEvent}: playback started, paused or ended.
 *
 * @csspart viewport - The area holding the screen (scrolls in `actual` scale).
 * @csspart canvas - The remote screen; focus it to type.
 * @csspart cursor - The remote cursor overlay.
 * @csspart toolbar - The toolbar over the screen.
 * @csspart button - Each toolbar button.
 * @csspart display-picker - The display selector (shown with more than one display).
 * @csspart status - The connection status message.
 * @csspart terminal - The terminal (the whole element in terminal and playback modes, a pane in desktop mode).
 * @csspart speed - The playback speed selector.
 * @csspart clock - The playback position.
 *
 * @cssprop [--gc-viewer-background=#1b1d22] - Background around the screen.
 * @cssprop [--gc-viewer-foreground=#e8eaed] - Text colour.
 * @cssprop [--gc-viewer-accent=#4c8bf5] - Focus ring and button hover colour.
 * @cssprop [--gc-viewer-status-color=var(--gc-viewer-foreground)] - Status text colour.
 * @cssprop [--gc-viewer-status-background=rgba(0,0,0,0.65)] - Status box background.
 * @cssprop [--gc-viewer-error-color=#ffb4ab] - Status text colour once the session has ended.
 * @cssprop [--gc-viewer-toolbar-background=rgba(20,22,26,0.85)] - Toolbar background.
 * @cssprop [--gc-viewer-button-background=rgba(255,255,255,0.08)] - Toolbar button background.
 * @cssprop [--gc-viewer-local-cursor=default] - The local mouse cursor over the screen.
 */
export class GcViewer extends LitElement {
  // xterm.js's stylesheet must live in the shadow root to reach the terminal's elements.
  static override styles = [xtermStyles, gcViewerStyles];
  static override properties = {
    server: { type: String },
    session: { type: String },
    token: { type: String },
    viewOnly: { type: Boolean, attribute: 'view-only', reflect: true },
    scale: { type: String, reflect: true },
    display: { type: String },
    tokenProvider: { attribute: false },
    maxReconnectAttempts: { type: Number, attribute: 'max-reconnect-attempts' },
    mode: { type: String, reflect: true },
    src: { type: String },
  };

  /** Base URL of the GuruConnect server (`https://support.example.com`). Default: the page's origin. */
  declare server: string;
  /** Session id to join. */
  declare session: string;
  /** Single-use viewer token for `session`. */
  declare token: string;
  /** Never send input, even when the token grants control. Default false. */
  declare viewOnly: boolean;
  /** `fit` scales the screen to the element keeping its aspect ratio; `actual` shows it 1:1 and scrolls. Default `fit`. */
  declare scale: 'fit' | 'actual';
  /** Id of the remote display to show; empty for the agent's choice. */
  declare display: string;
  /**
   * Mints a fresh viewer token. Needed for automatic reconnects (tokens are single-use); also
   * used for the first connection when `token` is empty. Default: none (no reconnects).
   */
  declare tokenProvider: (() => Promise<string>) | undefined;
  /** Reconnect attempts after a retryable close before giving up. Default 8; 0 disables reconnects. */
  declare maxReconnectAttempts: number;
  /** `desktop` (default), `terminal` (a shell on the agent; needs the terminal channel) or `playback`. */
  declare mode: ViewerMode;
  /** `playback` mode: URL of the asciicast v2 recording (fetched with credentials). */
  declare src: string;

  readonly #controller: SessionController;
  readonly #terminalHost: TerminalHost;
  readonly #playback: PlaybackController;
  /** Desktop mode: whether the terminal pane is shown. */
  #terminalPane = false;
  #painter: FramePainter | undefined;
  #cursor: CursorOverlay | undefined;
  #input: DesktopInput | undefined;
  #wasActiveWhenDetached = false;
  #viewportSize = { width: 0, height: 0 };

  constructor() {
    super();
    this.server = '';
    this.session = '';
    this.token = '';
    this.viewOnly = false;
    this.scale = 'fit';
    this.display = '';
    this.tokenProvider = undefined;
    this.maxReconnectAttempts = 8;
    this.mode = 'desktop';
    this.src = '';
    this.#terminalHost = new TerminalHost({
      events: this,
      send: (init) => this.#controller.send(init),
      container: () => this.renderRoot.querySelector<HTMLElement>('.terminal') ?? undefined,
      readOnly: () => this.viewOnly,
      granted: () => this.terminalGranted,
      onDenied: () => {
        if (this.mode === 'terminal') this.#controller.disconnect('This session does not allow a terminal.');
      },
      onExit: (exit) => {
        if (this.mode !== 'terminal') return;
        const reason = exit.reason || `the terminal ended (code ${exit.exitCode})`;
        this.#controller.disconnect(`${reason[0]!.toUpperCase()}${reason.slice(1)}.`);
      },
    });
    this.#playback = new PlaybackController({
      events: this,
      container: () => this.renderRoot.querySelector<HTMLElement>('.terminal') ?? undefined,
      changed: () => this.requestUpdate(),
    });
    this.addEventListener(ConnectedEvent.eventName, () => {
      if (this.mode === 'terminal' || (this.mode === 'desktop' && this.#terminalPane))
        void this.#openTerminal();
    });
    this.addEventListener(DisconnectedEvent.eventName, () => this.#terminalHost.detach());
    this.#controller = new SessionController({
      events: this,
      config: () => ({
        server: this.server,
        session: this.session,
        token: this.token,
        tokenProvider: this.tokenProvider,
        maxReconnectAttempts: this.maxReconnectAttempts,
        display: this.display,
      }),
      changed: () => this.requestUpdate(),
      releaseKeys: () => this.#input?.releaseAll(),
      painter: () => this.#painter,
      cursor: () => this.#cursor,
      terminal: (message) => this.#terminalHost.receive(message),
    });
  }

  /**
   * The xterm.js `Terminal` showing the terminal (or the recording), once there is one; for
   * reading its buffer or loading addons. Undefined in desktop mode until the pane is opened.
   */
  get terminal(): Terminal | undefined {
    return this.mode === 'playback' ? this.#playback.terminal : this.#terminalHost.pane?.terminal;
  }

  /** Whether the session's token grants the terminal channel (known once connected). */
  get terminalGranted(): boolean {
    return this.#controller.channels.includes(Channel.TERMINAL);
  }

  /**
   * Desktop mode: shows (or hides) a terminal pane beside the screen, opening the terminal on
   * the agent when first shown. Hiding keeps the shell; it ends when the session does.
   */
  showTerminal(show = true): void {
    if (this.mode !== 'desktop') return;
    this.#terminalPane = show;
    this.requestUpdate();
    if (show && this.connectionState.kind === 'connected') void this.#openTerminal();
  }

  /** Playback mode: starts (or resumes, or restarts at the end) the recording. */
  play(): void {
    this.#playback.player?.play();
  }

  /** Playback mode: pauses the recording. */
  pause(): void {
    this.#playback.player?.pause();
  }

  /** Playback speed (1, 2 or 4 in the toolbar; 0.25–16 accepted). */
  get playbackSpeed(): number {
    return this.#playback.player?.speed ?? 1;
  }
  set playbackSpeed(speed: number) {
    const player = this.#playback.player;
    if (player !== undefined) player.speed = speed;
  }

  /** Playback: seconds into the recording, and its length. */
  get playbackPosition(): number {
    return this.#playback.player?.position ?? 0;
  }
  get playbackDuration(): number {
    return this.#playback.player?.duration ?? 0;
  }

  /** The connection state. */
  get connectionState(): ConnectionState {
    return this.#controller.state;
  }

  /** The remote displays, as last reported by the agent. */
  get displays(): readonly Display[] {
    return this.#controller.displays;
  }

  /** Id of the display being shown. */
  get activeDisplayId(): string {
    return this.#controller.activeDisplayId;
  }

  /** Whether input is sent now: connected, control granted and not view-only. */
  get control(): boolean {
    return this.#controller.controlGranted && !this.viewOnly;
  }

  /** Opens the connection. A no-op while one is open or opening. */
  connect(): void {
    this.#controller.connect();
  }

  /** Releases held keys, closes the connection and stops reconnecting. */
  disconnect(): void {
    this.#controller.disconnect();
  }

  /** Asks the agent to show display `id` (and remembers it in `display`). */
  selectDisplay(id: string): void {
    // A changed `display` is sent from updated(); the same one again is sent here.
    if (this.display === id)
      this.#controller.send({ payload: { case: 'displaySelect', value: { displayId: id } } });
    else this.display = id;
  }

  /**
   * Presses `keysyms` in order and releases them in reverse, e.g. {@link CTRL_ALT_DEL}.
   * Returns false, sending nothing, when input is not allowed (view-only or not connected).
   */
  sendKeys(keysyms: readonly number[]): boolean {
    if (!this.control) return false;
    for (const keysym of keysyms) this.#sendKey(keysym, true);
    for (const keysym of [...keysyms].reverse()) this.#sendKey(keysym, false);
    return true;
  }

  /** Asks the agent for a full frame of the current display. */
  requestRefresh(): void {
    this.#controller.send({
      payload: { case: 'refreshRequest', value: { displayId: this.activeDisplayId, reason: 'viewer' } },
    });
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.hasUpdated) this.#attachInput();
    if (this.hasUpdated && this.mode === 'playback') void this.#loadRecording();
    if (this.#wasActiveWhenDetached) {
      this.#wasActiveWhenDetached = false;
      this.connect();
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#wasActiveWhenDetached = this.#controller.active;
    this.#controller.dispose();
    this.#painter?.resetSession();
    this.#detachInput();
    this.#terminalHost.dispose();
    this.#playback.dispose();
  }

  protected override firstUpdated(): void {
    const canvas = this.renderRoot.querySelector<HTMLCanvasElement>('canvas.screen')!;
    this.#painter = new FramePainter({ canvas, decoder: loadZstdDecoder() });
    this.#cursor = new CursorOverlay(this.renderRoot.querySelector<HTMLCanvasElement>('canvas.cursor')!);
    this.#attachInput();
  }

  protected override updated(changed: PropertyValues<this>): void {
    const inputs = ['server', 'session', 'token', 'tokenProvider'] as const;
    const ready = this.session !== '' && (this.token !== '' || this.tokenProvider !== undefined);
    if (changed.has('mode') && changed.get('mode') !== undefined) this.#modeChanged();
    if (this.mode === 'playback') {
      if ((changed.has('src') || changed.has('mode')) && this.isConnected) void this.#loadRecording();
      return;
    }
    if (inputs.some((name) => changed.has(name)) && this.isConnected && ready) this.connect();
    if (changed.has('viewOnly') && this.viewOnly) this.#input?.releaseAll();
    if (changed.has('display') && this.display !== '' && this.display !== this.activeDisplayId) {
      this.#controller.send({ payload: { case: 'displaySelect', value: { displayId: this.display } } });
    }
  }

  override render() {
    const connected = this.connectionState.kind === 'connected';
    return renderViewer({
      mode: this.mode,
      state: this.connectionState,
      notice: this.#controller.notice,
      stage: stageSize(this.#controller.displaySize, this.scale, this.#viewportSize),
      playback: this.#playback.status,
      player: this.#playback.player,
      terminalPane: this.#terminalPane,
      toolbar: {
        control: this.control,
        connected,
        displays: this.displays,
        activeDisplayId: this.activeDisplayId,
        scale: this.scale,
        terminal: connected && this.terminalGranted,
        terminalOpen: this.#terminalPane,
        onCtrlAltDel: () => this.sendKeys(CTRL_ALT_DEL),
        onRefresh: () => this.requestRefresh(),
        onSelectDisplay: (id) => this.selectDisplay(id),
        onToggleScale: () => {
          this.scale = this.scale === 'fit' ? 'actual' : 'fit';
        },
        onToggleTerminal: () => this.showTerminal(!this.#terminalPane),
      },
    });
  }

  async #openTerminal(): Promise<void> {
    // The terminal's container must be shown (and sized) before xterm.js measures it.
    if (this.terminalGranted) await this.updateComplete;
    this.#terminalHost.open();
  }

  async #loadRecording(): Promise<void> {
    if (this.src === '') {
      this.#playback.dispose();
      this.requestUpdate();
      return;
    }
    if (this.src === this.#playback.src && this.#playback.status.kind !== 'idle') return;
    await this.updateComplete;
    await this.#playback.load(this.src);
  }

  /** Switching modes drops the other modes' terminal and recording. */
  #modeChanged(): void {
    this.#terminalHost.dispose();
    this.#terminalPane = false;
    if (this.mode !== 'playback') this.#playback.dispose();
    if (this.mode === 'terminal' && this.connectionState.kind === 'connected') void this.#openTerminal();
  }

  #attachInput(): void {
    this.#input = new DesktopInput({
      canvas: this.renderRoot.querySelector<HTMLCanvasElement>('canvas.screen')!,
      viewport: this.renderRoot.querySelector<HTMLElement>('.viewport')!,
      enabled: () => this.control,
      sendKey: (keysym, down) => this.#sendKey(keysym, down),
      sendPointer: (state) =>
        this.#controller.send({
          payload: { case: 'pointerEvent', value: { displayId: this.activeDisplayId, ...state } },
        }),
      displaySize: () => this.#controller.displaySize,
      onViewportResize: (size) => {
        this.#viewportSize = size;
        this.requestUpdate();
      },
    });
  }

  #detachInput(): void {
    this.#input?.dispose();
    this.#input = undefined;
  }

  #sendKey(keysym: number, down: boolean): void {
    this.#controller.send({ payload: { case: 'keyEvent', value: { keysym, down } } });
  }
}
