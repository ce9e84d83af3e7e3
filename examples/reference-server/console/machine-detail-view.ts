import type { management } from '@guruconnect/protocol';
import { SessionMode } from '@guruconnect/protocol';
import { html, LitElement } from 'lit';
import type { ConsoleApi } from './console-api.js';
import { describeError } from './console-api.js';
import { sharedStyles } from './console-styles.js';
import { formatBytes, formatTime, since } from './format.js';

/** One machine with its full inventory. */
export class MachineDetailView extends LitElement {
  static override styles = sharedStyles;
  static override properties = {
    api: { attribute: false },
    machineId: { type: String },
    machine: { state: true },
    error: { state: true },
  };
  declare api: ConsoleApi;
  declare machineId: string;
  declare machine: management.Machine | undefined;
  declare error: string;

  constructor() {
    super();
    this.machineId = '';
    this.machine = undefined;
    this.error = '';
  }

  override updated(changed: Map<string, unknown>) {
    if (changed.has('machineId')) void this.load();
  }

  private async load() {
    try {
      this.machine = (await this.api.machines.getMachine({ machineId: this.machineId })).machine;
    } catch (err) {
      this.error = describeError(err);
    }
  }

  override render() {
    const m = this.machine;
    if (this.error) return html`<div class="error" role="alert">${this.error}</div>`;
    if (!m) return html`<p class="muted">Loading…</p>`;
    const inv = m.inventory;
    return html`
      <p><a href="#/machines">← Machines</a></p>
      <h1>${m.displayName || inv?.hostname || m.machineId} <span class="pill ${m.online ? 'online' : 'offline'}">${m.online ? 'online' : 'offline'}</span></h1>
      <div class="row">
        <button class="primary" ?disabled=${!m.online} @click=${this.start}>Connect</button>
        <span class="muted">Last seen ${formatTime(m.lastSeenAt)}</span>
      </div>
      <h2>Organisation</h2>
      <dl>
        <dt>Company</dt><dd>${m.company || '—'}</dd>
        <dt>Site</dt><dd>${m.site || '—'}</dd>
        <dt>Department</dt><dd>${m.department || '—'}</dd>
        <dt>Device type</dt><dd>${m.deviceType || '—'}</dd>
        <dt>Tags</dt><dd>${m.tags.length ? m.tags.map((t) => html`<span class="pill">${t}</span> `) : '—'}</dd>
        <dt>Device id</dt><dd><code>${m.deviceId || '—'}</code></dd>
        <dt>Machine id</dt><dd><code>${m.machineId}</code></dd>
      </dl>
      <h2>Inventory</h2>
      ${
        inv
          ? html`<dl>
            <dt>Hostname</dt><dd>${inv.hostname}</dd>
            <dt>Operating system</dt><dd>${inv.osName} ${inv.osVersion} (${inv.arch})</dd>
            <dt>Kernel</dt><dd>${inv.kernel}</dd>
            <dt>CPU</dt><dd>${inv.cpuModel} × ${inv.cpuCores}</dd>
            <dt>Memory</dt><dd>${formatBytes(inv.ramBytes)}</dd>
            <dt>Logged-on user</dt><dd>${inv.loggedOnUser || '—'}</dd>
            <dt>Uptime</dt><dd>${Math.floor(Number(inv.uptimeSeconds) / 3600)} h</dd>
            <dt>Time zone</dt><dd>${inv.timeZone}</dd>
            <dt>Agent version</dt><dd>${inv.agentVersion} ${m.agentOutdated ? html`<span class="pill warn">outdated</span>` : ''}</dd>
            <dt>Network</dt><dd>${inv.interfaces.map((i) => html`<div><code>${i.name}</code> ${i.mac} — ${i.addresses.join(', ')}</div>`)}</dd>
          </dl>`
          : html`<p class="muted">The agent has not reported its inventory yet.</p>`
      }
      <h2>Technicians connected</h2>
      ${m.technicians.length ? m.technicians.map((t) => html`<div>${t.displayName} for ${since(t.joinedAt)}</div>`) : html`<p class="muted">Nobody.</p>`}
    `;
  }

  private async start() {
    try {
      const res = await this.api.sessions.startSession({
        machineId: this.machineId,
        mode: SessionMode.UNATTENDED,
      });
      location.hash = `#/sessions/${encodeURIComponent(res.session?.sessionId ?? '')}`;
    } catch (err) {
      this.error = describeError(err);
    }
  }
}
