import type { management } from '@guruconnect/protocol';
import { html, LitElement } from 'lit';
import type { ConsoleApi } from './console-api.js';
import { describeError } from './console-api.js';
import { sharedStyles } from './console-styles.js';
import { formatTime } from './format.js';

/** The audit log, filterable by event type prefix, actor, target and session. */
export class AuditView extends LitElement {
  static override styles = sharedStyles;
  static override properties = { api: { attribute: false }, events: { state: true }, error: { state: true } };
  declare api: ConsoleApi;
  declare events: management.AuditEvent[];
  declare error: string;
  private filter = { typePrefix: '', actor: '', target: '', sessionId: '' };

  constructor() {
    super();
    this.events = [];
    this.error = '';
  }

  override connectedCallback() {
    super.connectedCallback();
    void this.load();
  }

  private async load() {
    try {
      this.events = (await this.api.audit.listAuditEvents({ ...this.filter, pageSize: 200 })).events;
      this.error = '';
    } catch (err) {
      this.error = describeError(err);
    }
  }

  override render() {
    return html`
      <h1>Audit log</h1>
      <form class="row" @submit=${this.apply}>
        <input name="typePrefix" placeholder="type (e.g. session.)" />
        <input name="actor" placeholder="actor" />
        <input name="target" placeholder="target" />
        <input name="sessionId" placeholder="session id" />
        <button type="submit">Filter</button>
      </form>
      ${this.error ? html`<div class="error" role="alert">${this.error}</div>` : ''}
      <table>
        <thead><tr><th>When</th><th>Event</th><th>Actor</th><th>Target</th><th>Outcome</th><th>Correlation</th></tr></thead>
        <tbody>
          ${this.events.map(
            (e) => html`<tr data-audit-type=${e.type}>
              <td>${formatTime(e.occurredAt)}</td><td><code>${e.type}</code></td><td>${e.actor}</td><td>${e.target}</td>
              <td><span class="pill ${e.outcome === 'success' ? 'online' : 'warn'}">${e.outcome}</span></td>
              <td><code class="muted">${e.correlationId}</code></td>
            </tr>`,
          )}
          ${this.events.length === 0 ? html`<tr><td colspan="6" class="muted">No events.</td></tr>` : ''}
        </tbody>
      </table>
    `;
  }

  private apply(e: SubmitEvent) {
    e.preventDefault();
    const d = new FormData(e.target as HTMLFormElement);
    this.filter = {
      typePrefix: String(d.get('typePrefix') ?? ''),
      actor: String(d.get('actor') ?? ''),
      target: String(d.get('target') ?? ''),
      sessionId: String(d.get('sessionId') ?? ''),
    };
    void this.load();
  }
}
