import type { Display } from '@guruconnect/protocol';
import type { PropertyValues } from 'lit';
import { html, LitElement } from 'lit';
import { styleMap } from 'lit/directives/style-map.js';
import type { ConnectionState } from './connection-state.js';
import { statusText } from './connection-state.js';
import { CursorOverlay } from './cursor-overlay.js';
import { FramePainter } from './frame-painter.js';
import { gcViewerStyles } from './gc-viewer-styles.js';
import { KeyboardInput } from './keyboard-input.js';
import { CTRL_ALT_DEL } from './keysyms.js';
import { PointerInput } from './pointer-input.js';
import { SessionController } from './session-controller.js';
import { renderToolbar } from './viewer-toolbar.js';
import { loadZstdDecoder } from './zstd-decoder.js';

/**
 * `<gc-viewer>`: joins a GuruConnect session over the relay's `/v1/viewer` WebSocket, paints the
 * remote screen and, when control is granted, sends pointer and keyboard input.
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
 *
 * @csspart viewport - The area holding the screen (scrolls in `actual` scale).
 * @csspart canvas - The remote screen; focus it to type.
 * @csspart cursor - The remote cursor overlay.
 * @csspart toolbar - The toolbar over the screen.
 * @csspart button - Each toolbar button.
 * @csspart display-picker - The display selector (shown with more than one display).
 * @csspart status - The connection status message.
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
  static override styles = gcViewerStyles;
  static override properties = {
    server: { type: String },
    session: { type: String },
    token: { type: String },
    viewOnly: { type: Boolean, attribute: 'view-only', reflect: true },
    scale: { type: String, reflect: true },
    display: { type: String },
    tokenProvider: { attribute: false },
    maxReconnectAttempts: { type: Number, attribute: 'max-reconnect-attempts' },
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

  readonly #controller: SessionController;
  #painter: FramePainter | undefined;
  #cursor: CursorOverlay | undefined;
  #keyboard: KeyboardInput | undefined;
  #pointer: PointerInput | undefined;
  #resizeObserver: ResizeObserver | undefined;
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
      releaseKeys: () => this.#keyboard?.releaseAll(),
      painter: () => this.#painter,
      cursor: () => this.#cursor,
    });
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
    if (this.#wasActiveWhenDetached) {
      this.#wasActiveWhenDetached = false;
      this.connect();
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#wasActiveWhenDetached = this.#controller.active;
    this.#controller.dispose();
    this.#detachInput();
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
    if (inputs.some((name) => changed.has(name)) && this.isConnected && ready) this.connect();
    if (changed.has('viewOnly') && this.viewOnly) this.#keyboard?.releaseAll();
    if (changed.has('display') && this.display !== '' && this.display !== this.activeDisplayId) {
      this.#controller.send({ payload: { case: 'displaySelect', value: { displayId: this.display } } });
    }
  }

  override render() {
    const state = this.connectionState;
    const stage = this.#stageSize();
    const connected = state.kind === 'connected';
    const notice = this.#controller.notice;
    return html`
      <div class="viewport" part="viewport">
        <div class="stage" style=${styleMap({ width: `${stage.width}px`, height: `${stage.height}px` })}>
          <canvas class="screen" part="canvas" tabindex="0" aria-label="Remote screen"></canvas>
          <canvas class="cursor" part="cursor" aria-hidden="true"></canvas>
        </div>
      </div>
      ${renderToolbar({
        control: this.control,
        connected,
        displays: this.displays,
        activeDisplayId: this.activeDisplayId,
        scale: this.scale,
        onCtrlAltDel: () => this.sendKeys(CTRL_ALT_DEL),
        onRefresh: () => this.requestRefresh(),
        onSelectDisplay: (id) => this.selectDisplay(id),
        onToggleScale: () => {
          this.scale = this.scale === 'fit' ? 'actual' : 'fit';
        },
      })}
      <div
        class="status"
        part="status"
        role="status"
        aria-live="polite"
        data-state=${state.kind}
        ?hidden=${connected && notice === ''}
      >
        <span>${connected && notice !== '' ? notice : statusText(state)}</span>
      </div>
    `;
  }

  #stageSize(): { width: number; height: number } {
    const display = this.#controller.displaySize;
    if (display === undefined) return { width: 0, height: 0 };
    if (this.scale === 'actual') return display;
    const { width, height } = this.#viewportSize;
    const factor = Math.min(width / display.width, height / display.height);
    if (!(factor > 0)) return { width: 0, height: 0 };
    return { width: display.width * factor, height: display.height * factor };
  }

  #attachInput(): void {
    const canvas = this.renderRoot.querySelector<HTMLCanvasElement>('canvas.screen')!;
    const enabled = () => this.control;
    this.#keyboard = new KeyboardInput({
      target: canvas,
      enabled,
      send: (keysym, down) => this.#sendKey(keysym, down),
    });
    this.#pointer = new PointerInput({
      target: canvas,
      enabled,
      displaySize: () => this.#controller.displaySize,
      send: (state) =>
        this.#controller.send({
          payload: { case: 'pointerEvent', value: { displayId: this.activeDisplayId, ...state } },
        }),
    });
    const viewport = this.renderRoot.querySelector<HTMLElement>('.viewport')!;
    this.#resizeObserver = new ResizeObserver((entries) => {
      const box = entries[entries.length - 1]!.contentRect;
      this.#viewportSize = { width: box.width, height: box.height };
      this.requestUpdate();
    });
    this.#resizeObserver.observe(viewport);
  }

  #detachInput(): void {
    this.#keyboard?.dispose();
    this.#pointer?.dispose();
    this.#resizeObserver?.disconnect();
    this.#keyboard = undefined;
    this.#pointer = undefined;
    this.#resizeObserver = undefined;
  }

  #sendKey(keysym: number, down: boolean): void {
    this.#controller.send({ payload: { case: 'keyEvent', value: { keysym, down } } });
  }
}
