import type { management } from '@guruconnect/protocol';
import { css, html, LitElement } from 'lit';
import type { ConsoleApi } from './console-api.js';
import { createConsoleApi } from './console-api.js';
import { sharedStyles } from './console-styles.js';
import { roleLabel } from './format.js';

type Route =
  | { view: 'machines' }
  | { view: 'machine'; id: string }
  | { view: 'sessions' }
  | { view: 'session'; id: string; mode: 'desktop' | 'terminal' }
  | { view: 'users' }
  | { view: 'keys' }
  | { view: 'audit' }
  | { view: 'recordings' }
  | { view: 'account' };

export function parseRoute(hash: string): Route {
  const parts = hash
    .replace(/^#\/?/, '')
    .split('/')
    .map((p) => decodeURIComponent(p));
  switch (parts[0]) {
    case 'machines':
      return parts[1] ? { view: 'machine', id: parts[1] } : { view: 'machines' };
    case 'sessions':
      return parts[1]
        ? { view: 'session', id: parts[1], mode: parts[2] === 'terminal' ? 'terminal' : 'desktop' }
        : { view: 'sessions' };
    case 'users':
    case 'keys':
    case 'audit':
    case 'recordings':
    case 'account':
      return { view: parts[0] };
    default:
      return { view: 'machines' };
  }
}

/** The console shell: sign-in gate, navigation and the hash router. */
export class GcConsole extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      header { display: flex; gap: 4px; align-items: center; padding: 8px 16px; background: var(--gc-header); color: white; }
      header a { color: #cbd5e1; text-decoration: none; padding: 6px 10px; border-radius: 6px; }
      header a[aria-current='page'] { background: rgba(255,255,255,.12); color: white; }
      header .brand { font-weight: 700; color: white; margin-right: 16px; }
      header button { background: transparent; color: #cbd5e1; border-color: #475569; }
      main { padding: 20px 24px; }
    `,
  ];
  static override properties = { route: { state: true }, user: { state: true }, signedIn: { state: true } };
  declare route: Route;
  declare user: management.User | undefined;
  declare signedIn: boolean;
  private readonly api: ConsoleApi;
  private readonly onHash = () => {
    this.route = parseRoute(location.hash);
  };

  constructor() {
    super();
    this.api = createConsoleApi(() => {
      this.signedIn = false;
      this.user = undefined;
    });
    this.signedIn = this.api.token() !== null;
    this.route = parseRoute(location.hash);
    this.user = undefined;
  }

  override connectedCallback() {
    super.connectedCallback();
    addEventListener('hashchange', this.onHash);
    if (this.signedIn) void this.loadUser();
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    removeEventListener('hashchange', this.onHash);
  }

  private async loadUser() {
    try {
      this.user = (await this.api.auth.whoAmI({})).user;
    } catch {
      // An expired token is handled by the API's unauthenticated hook (back to sign-in).
      this.user = undefined;
    }
  }

  override render() {
    if (!this.signedIn) {
      return html`<gc-login-view .api=${this.api} @signed-in=${this.onSignedIn}></gc-login-view>`;
    }
    const nav = (view: string, label: string) =>
      html`<a href="#/${view}" aria-current=${this.route.view.startsWith(view.slice(0, -1)) ? 'page' : 'false'}>${label}</a>`;
    return html`
      <header>
        <span class="brand">GuruConnect</span>
        ${nav('machines', 'Machines')} ${nav('sessions', 'Sessions')} ${nav('users', 'Users')} ${nav('keys', 'Keys')} ${nav('recordings', 'Recordings')} ${nav('audit', 'Audit')}
        <span class="grow"></span>
        <a href="#/account">${this.user ? `${this.user.displayName || this.user.email} (${roleLabel(this.user.role)})` : 'Account'}</a>
        <button @click=${this.signOut}>Sign out</button>
      </header>
      <main>${this.view()}</main>
    `;
  }

  private view() {
    const r = this.route;
    switch (r.view) {
      case 'machines':
        return html`<gc-machines-view .api=${this.api}></gc-machines-view>`;
      case 'machine':
        return html`<gc-machine-detail-view .api=${this.api} machine-id=${r.id} .machineId=${r.id}></gc-machine-detail-view>`;
      case 'sessions':
        return html`<gc-sessions-view .api=${this.api}></gc-sessions-view>`;
      case 'session':
        return html`<gc-session-view .api=${this.api} .sessionId=${r.id} .mode=${r.mode}></gc-session-view>`;
      case 'users':
        return html`<gc-users-view .api=${this.api}></gc-users-view>`;
      case 'keys':
        return html`<gc-keys-view .api=${this.api}></gc-keys-view>`;
      case 'audit':
        return html`<gc-audit-view .api=${this.api}></gc-audit-view>`;
      case 'recordings':
        return html`<gc-recordings-view .api=${this.api}></gc-recordings-view>`;
      case 'account':
        return html`<gc-account-view .api=${this.api}></gc-account-view>`;
    }
  }

  private onSignedIn() {
    this.signedIn = true;
    void this.loadUser();
  }

  private async signOut() {
    try {
      await this.api.auth.logout({});
    } finally {
      this.api.setToken(null);
      this.signedIn = false;
      this.user = undefined;
    }
  }
}
