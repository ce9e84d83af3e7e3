import type { management } from '@guruconnect/protocol';
import { SessionState_State } from '@guruconnect/protocol';
import { html, LitElement } from 'lit';
import type { ConsoleApi } from './console-api.js';
import { describeError } from './console-api.js';
import { sharedStyles } from './console-styles.js';
import { formatTime, modeLabel, since, stateLabel, toDate } from './format.js';

/** Live and recent sessions; generate a support code and watch the agent connect. */
export class SessionsView extends LitElement {
  static override styles = sharedStyles;
  static override properties = {
    api: { attribute: false },
    sessions: { state: true },
    code: { state: true },
    selected: { state: true },
    error: { state: true },
  };
  declare api: ConsoleApi;
  declare sessions: management.SessionSummary[];
  declare code: management.CreateSupportCodeResponse | undefined;
  declare selected: Set<string>;
  declare error: string;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor() {
    super();
    this.sessions = [];
    this.code = undefined;
    this.selected = new Set();
    this.error = '';
  }

  override connectedCallback() {
    super.connectedCallback();
    void this.load();
    this.timer = setInterval(() => void this.load(), 2000);
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    clearInterval(this.timer);
  }

  async load() {
    try {
      this.sessions = (await this.api.sessions.listSessions({ pageSize: 100 })).sessions;
      this.error = '';
    } catch (err) {
      this.error = describeError(err);
    }
  }

  override render() {
    const codeSession = this.code && this.sessions.find((s) => s.sessionId === this.code?.sessionId);
    return html`
      <h1>Sessions</h1>
      <div class="row">
        <button class="primary" @click=${this.newCode}>Generate support code</button>
        <button class="danger" ?disabled=${this.selected.size === 0} @click=${this.removeSelected}>Remove selected (${this.selected.size})</button>
      </div>
      ${
        this.code
          ? html`<div class="notice" data-testid="support-code">
            Support code <strong class="secret" data-code>${this.code.code}</strong>, valid until ${formatTime(this.code.expiresAt)}.
            On the end user's machine: <code>gc-agent connect --server ${location.origin} --code ${this.code.code}</code>
            <div>Status: <strong data-code-state>${codeSession ? stateLabel(codeSession.state) : 'waiting for the agent'}</strong>
            ${
              codeSession &&
              codeSession.state !== SessionState_State.ENDED &&
              codeSession.state !== SessionState_State.WAITING_FOR_AGENT
                ? html` — <a class="button primary" href="#/sessions/${encodeURIComponent(codeSession.sessionId)}/view">Join</a>`
                : ''
            }</div>
          </div>`
          : ''
      }
      ${this.error ? html`<div class="error" role="alert">${this.error}</div>` : ''}
      <table>
        <thead><tr><th></th><th>Machine</th><th>Mode</th><th>State</th><th>Technicians</th><th>Started</th><th></th></tr></thead>
        <tbody>
          ${this.sessions.map((s) => this.row(s))}
          ${this.sessions.length === 0 ? html`<tr><td colspan="7" class="muted">No sessions yet.</td></tr>` : ''}
        </tbody>
      </table>
    `;
  }

  private row(s: management.SessionSummary) {
    const live = s.state !== SessionState_State.ENDED;
    return html`<tr data-session-id=${s.sessionId}>
      <td><input type="checkbox" aria-label="Select session" @change=${(e: Event) => this.toggle(s.sessionId, (e.target as HTMLInputElement).checked)} /></td>
      <td>${s.machineName || html`<span class="muted">waiting for agent</span>`}</td>
      <td>${modeLabel(s.mode)}<div class="muted">${s.source}</div></td>
      <td><span class="pill ${live ? 'live' : 'offline'}">${stateLabel(s.state)}</span></td>
      <td>${s.technicians.map((t) => html`<div>${t.displayName} · ${since(t.joinedAt)}</div>`)}</td>
      <td>${toDate(s.startedAt ?? s.createdAt)?.toLocaleTimeString() ?? '—'}${s.endedAt ? html`<div class="muted">ended ${formatTime(s.endedAt)}</div>` : ''}</td>
      <td>${
        live
          ? html`<a class="button primary" href="#/sessions/${encodeURIComponent(s.sessionId)}/view">Join</a>
            <a class="button" href="#/sessions/${encodeURIComponent(s.sessionId)}/terminal">Terminal</a>
            <button class="danger" @click=${() => this.end(s.sessionId)}>End</button>`
          : ''
      }</td>
    </tr>`;
  }

  private toggle(id: string, on: boolean) {
    const next = new Set(this.selected);
    if (on) next.add(id);
    else next.delete(id);
    this.selected = next;
  }

  private async newCode() {
    try {
      this.code = await this.api.sessions.createSupportCode({});
      await this.load();
    } catch (err) {
      this.error = describeError(err);
    }
  }

  private async end(sessionId: string) {
    try {
      await this.api.sessions.endSession({ sessionId });
      await this.load();
    } catch (err) {
      this.error = describeError(err);
    }
  }

  private async removeSelected() {
    try {
      await this.api.sessions.removeSessions({ sessionIds: [...this.selected] });
      this.selected = new Set();
      await this.load();
    } catch (err) {
      this.error = describeError(err);
    }
  }
}
