import { management } from '@guruconnect/protocol';
import { html, LitElement } from 'lit';
import type { ConsoleApi } from './console-api.js';
import { describeError } from './console-api.js';
import { sharedStyles } from './console-styles.js';
import { formatTime } from './format.js';

const KINDS: [management.KeyKind, string][] = [
  [management.KeyKind.AGENT, 'Agent keys'],
  [management.KeyKind.ENROLLMENT, 'Site enrollment keys'],
  [management.KeyKind.API_TOKEN, 'API tokens'],
  [management.KeyKind.INTEGRATION, 'Integration keys'],
];

/** Long-lived secrets: created here and shown exactly once, then only their fingerprint. */
export class KeysView extends LitElement {
  static override styles = sharedStyles;
  static override properties = {
    api: { attribute: false },
    keys: { state: true },
    created: { state: true },
    error: { state: true },
  };
  declare api: ConsoleApi;
  declare keys: management.KeyInfo[];
  declare created: { secret: string; key: management.KeyInfo | undefined } | undefined;
  declare error: string;

  constructor() {
    super();
    this.keys = [];
    this.created = undefined;
    this.error = '';
  }

  override connectedCallback() {
    super.connectedCallback();
    void this.load();
  }

  private async load() {
    try {
      this.keys = (
        await this.api.keys.listKeys({ kind: management.KeyKind.UNSPECIFIED, includeRevoked: true })
      ).keys;
    } catch (err) {
      this.error = describeError(err);
    }
  }

  override render() {
    return html`
      <h1>Keys and tokens</h1>
      ${this.error ? html`<div class="error" role="alert">${this.error}</div>` : ''}
      ${
        this.created
          ? html`<div class="notice" role="status">Copy this secret now — it will not be shown again:
            <div class="secret" data-secret>${this.created.secret}</div>
            <div class="muted">Fingerprint ${this.created.key?.fingerprint}</div>
            <button @click=${() => (this.created = undefined)}>I have copied it</button></div>`
          : ''
      }
      <form class="row" @submit=${this.create}>
        <select name="kind" aria-label="Kind">
          <option value=${management.KeyKind.ENROLLMENT}>site enrollment key</option>
          <option value=${management.KeyKind.API_TOKEN}>API token</option>
          <option value=${management.KeyKind.INTEGRATION}>integration key</option>
        </select>
        <input name="name" placeholder="name" required />
        <input name="company" placeholder="company (enrollment)" />
        <input name="site" placeholder="site (enrollment)" />
        <button class="primary" type="submit">Create</button>
      </form>
      ${KINDS.map(([kind, title]) => this.table(kind, title))}
    `;
  }

  private table(kind: management.KeyKind, title: string) {
    const rows = this.keys.filter((k) => k.kind === kind);
    return html`<h2>${title}</h2>
      <table>
        <thead><tr><th>Name</th><th>Fingerprint</th><th>Scope</th><th>Created</th><th>Last used</th><th></th></tr></thead>
        <tbody>
          ${rows.map(
            (k) => html`<tr>
              <td>${k.name}</td><td><code>${k.fingerprint}</code></td>
              <td>${k.machineId ? html`machine <code>${k.machineId}</code>` : ''}${k.company || k.site ? `${k.company} / ${k.site}` : ''}</td>
              <td>${formatTime(k.createdAt)}</td><td>${formatTime(k.lastUsedAt)}</td>
              <td>${
                k.revokedAt
                  ? html`<span class="muted">revoked ${formatTime(k.revokedAt)}</span>`
                  : html`${kind === management.KeyKind.ENROLLMENT ? html`<button @click=${() => this.rotate(k)}>Rotate</button> ` : ''}
                    <button class="danger" @click=${() => this.revoke(k)}>Revoke</button>`
              }</td>
            </tr>`,
          )}
          ${rows.length === 0 ? html`<tr><td colspan="6" class="muted">None.</td></tr>` : ''}
        </tbody>
      </table>`;
  }

  private async create(e: SubmitEvent) {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const d = new FormData(form);
    try {
      const res = await this.api.keys.createKey({
        kind: Number(d.get('kind')) as management.KeyKind,
        name: String(d.get('name')),
        company: String(d.get('company') ?? ''),
        site: String(d.get('site') ?? ''),
      });
      this.created = { secret: res.secret, key: res.key };
      form.reset();
      await this.load();
    } catch (err) {
      this.error = describeError(err);
    }
  }

  private async revoke(k: management.KeyInfo) {
    if (!confirm(`Revoke ${k.name}? Anything using it stops working at once.`)) return;
    try {
      await this.api.keys.revokeKey({ keyId: k.keyId });
      await this.load();
    } catch (err) {
      this.error = describeError(err);
    }
  }

  private async rotate(k: management.KeyInfo) {
    try {
      const res = await this.api.keys.rotateEnrollmentKey({ keyId: k.keyId });
      this.created = { secret: res.secret, key: res.key };
      await this.load();
    } catch (err) {
      this.error = describeError(err);
    }
  }
}
