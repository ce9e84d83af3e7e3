import { Channel } from '@guruconnect/protocol';
import { html, LitElement } from 'lit';
import type { ConsoleApi } from './console-api.js';
import { describeError } from './console-api.js';
import { sharedStyles } from './console-styles.js';

/**
 * Joins a session in `<gc-viewer>`: mints a single-use viewer token for the signed-in technician
 * (and a fresh one whenever the viewer reconnects).
 */
export class SessionView extends LitElement {
  static override styles = [sharedStyles];
  static override properties = {
    api: { attribute: false },
    sessionId: { type: String },
    mode: { type: String },
    token: { state: true },
    error: { state: true },
    status: { state: true },
  };
  declare api: ConsoleApi;
  declare sessionId: string;
  declare mode: 'desktop' | 'terminal';
  declare token: string;
  declare error: string;
  declare status: string;

  constructor() {
    super();
    this.sessionId = '';
    this.mode = 'desktop';
    this.token = '';
    this.error = '';
    this.status = '';
  }

  override updated(changed: Map<string, unknown>) {
    if (changed.has('sessionId') || changed.has('mode')) void this.join();
  }

  private channels(): Channel[] {
    return this.mode === 'terminal'
      ? [Channel.TERMINAL]
      : [Channel.VIEW, Channel.CONTROL, Channel.CLIPBOARD, Channel.CHAT, Channel.TERMINAL, Channel.FILES];
  }

  private readonly mintToken = async (): Promise<string> => {
    const res = await this.api.sessions.joinSession({ sessionId: this.sessionId, channels: this.channels() });
    return res.viewerToken;
  };

  private async join() {
    try {
      this.token = await this.mintToken();
      this.error = '';
    } catch (err) {
      this.error = describeError(err);
    }
  }

  override render() {
    return html`
      <div class="row">
        <a href="#/sessions">← Sessions</a>
        <span class="grow"></span>
        <span class="muted" data-viewer-status>${this.status}</span>
        <button class="danger" @click=${this.end}>End session</button>
      </div>
      ${this.error ? html`<div class="error" role="alert">${this.error}</div>` : ''}
      ${
        this.token
          ? html`<gc-viewer
            style="height: calc(100vh - 130px); display:block"
            mode=${this.mode}
            .server=${location.origin}
            .session=${this.sessionId}
            .token=${this.token}
            .tokenProvider=${this.mintToken}
            scale="fit"
            @gc-connected=${() => (this.status = 'connected')}
            @gc-disconnected=${(e: Event & { reason?: string }) => (this.status = e.reason ?? 'disconnected')}
          ></gc-viewer>`
          : ''
      }
    `;
  }

  private async end() {
    try {
      await this.api.sessions.endSession({ sessionId: this.sessionId });
      location.hash = '#/sessions';
    } catch (err) {
      this.error = describeError(err);
    }
  }
}
