import type { management } from '@guruconnect/protocol';
import { SessionMode } from '@guruconnect/protocol';
import { html, LitElement } from 'lit';
import type { ConsoleApi } from './console-api.js';
import { describeError } from './console-api.js';
import { sharedStyles } from './console-styles.js';
import { since } from './format.js';

/**
 * Machines with their connection state, searchable on the server (multi-term, `field:value`
 * scoping such as `os:ubuntu user:alice ip:10.0 tag:finance`). Agent-reported strings are
 * rendered as text by Lit, never as HTML.
 */
export class MachinesView extends LitElement {
  static override styles = sharedStyles;
  static override properties = {
    api: { attribute: false },
    machines: { state: true },
    total: { state: true },
    query: { state: true },
    selected: { state: true },
    error: { state: true },
  };
  declare api: ConsoleApi;
  declare machines: management.Machine[];
  declare total: number;
  declare query: string;
  declare selected: Set<string>;
  declare error: string;
  private timer: ReturnType<typeof setInterval> | undefined;
  private searchDebounce: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    super();
    this.machines = [];
    this.total = 0;
    this.query = '';
    this.selected = new Set();
    this.error = '';
  }

  override connectedCallback() {
    super.connectedCallback();
    void this.load();
    this.timer = setInterval(() => void this.load(), 5000);
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    clearInterval(this.timer);
    clearTimeout(this.searchDebounce);
  }

  async load() {
    try {
      const res = await this.api.machines.listMachines({ query: this.query, pageSize: 200 });
      this.machines = res.machines;
      this.total = res.total;
      this.error = '';
    } catch (err) {
      this.error = describeError(err);
    }
  }

  override render() {
    return html`
      <h1>Machines <span class="muted">(${this.total})</span></h1>
      <div class="row">
        <input class="grow" type="search" aria-label="Search machines" placeholder="Search: name, os:ubuntu, user:alice, ip:10.0.0, tag:finance…"
          .value=${this.query} @input=${this.onSearch} />
        <button class="danger" ?disabled=${this.selected.size === 0} @click=${this.removeSelected}>Remove selected (${this.selected.size})</button>
      </div>
      ${this.error ? html`<div class="error" role="alert">${this.error}</div>` : ''}
      <table>
        <thead><tr><th></th><th>Machine</th><th>Agent</th><th>Technicians</th><th>Company / site</th><th>OS</th><th>User</th><th>Version</th><th></th></tr></thead>
        <tbody>
          ${this.machines.map((m) => this.row(m))}
          ${this.machines.length === 0 ? html`<tr><td colspan="9" class="muted">No machines${this.query ? ' match this search' : ' yet: enroll an agent or generate a support code'}.</td></tr>` : ''}
        </tbody>
      </table>
    `;
  }

  private row(m: management.Machine) {
    const inv = m.inventory;
    return html`<tr data-machine-id=${m.machineId}>
      <td><input type="checkbox" aria-label="Select ${m.displayName}" .checked=${this.selected.has(m.machineId)} @change=${(e: Event) => this.toggle(m.machineId, (e.target as HTMLInputElement).checked)} /></td>
      <td><a href="#/machines/${encodeURIComponent(m.machineId)}">${m.displayName || inv?.hostname || m.machineId}</a>
        ${m.tags.length ? html`<div>${m.tags.map((t) => html`<span class="pill">${t}</span> `)}</div>` : ''}</td>
      <td><span class="pill ${m.online ? 'online' : 'offline'}">${m.online ? 'online' : 'offline'}</span>
        ${m.online ? '' : html`<div class="muted">seen ${since(m.lastSeenAt)} ago</div>`}</td>
      <td>${m.technicians.length ? m.technicians.map((t) => html`<div><span class="pill live">${t.displayName}</span> ${since(t.joinedAt)}</div>`) : html`<span class="muted">—</span>`}</td>
      <td>${m.company || '—'}${m.site ? html` / ${m.site}` : ''}</td>
      <td>${inv ? `${inv.osName} ${inv.osVersion}` : '—'}</td>
      <td>${inv?.loggedOnUser || '—'}</td>
      <td>${inv?.agentVersion || '—'} ${m.agentOutdated ? html`<span class="pill warn" title="A newer agent is available">outdated</span>` : ''}</td>
      <td><button ?disabled=${!m.online} @click=${() => this.start(m)}>Connect</button></td>
    </tr>`;
  }

  private onSearch(e: Event) {
    this.query = (e.target as HTMLInputElement).value;
    clearTimeout(this.searchDebounce);
    this.searchDebounce = setTimeout(() => void this.load(), 250);
  }

  private toggle(id: string, on: boolean) {
    const next = new Set(this.selected);
    if (on) next.add(id);
    else next.delete(id);
    this.selected = next;
  }

  private async removeSelected() {
    if (!confirm(`Remove ${this.selected.size} machine(s)? Their agent keys are revoked.`)) return;
    try {
      await this.api.machines.removeMachines({ machineIds: [...this.selected] });
      this.selected = new Set();
      await this.load();
    } catch (err) {
      this.error = describeError(err);
    }
  }

  private async start(m: management.Machine) {
    try {
      const res = await this.api.sessions.startSession({
        machineId: m.machineId,
        mode: SessionMode.UNATTENDED,
      });
      location.hash = `#/sessions/${encodeURIComponent(res.session?.sessionId ?? '')}`;
    } catch (err) {
      this.error = describeError(err);
    }
  }
}
