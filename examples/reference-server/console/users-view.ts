import { management } from '@guruconnect/protocol';
import { html, LitElement } from 'lit';
import type { ConsoleApi } from './console-api.js';
import { describeError } from './console-api.js';
import { sharedStyles } from './console-styles.js';
import { formatTime, roleLabel } from './format.js';

/** Operators and their roles. Changing a role or disabling a user revokes their sign-ins at once. */
export class UsersView extends LitElement {
  static override styles = sharedStyles;
  static override properties = {
    api: { attribute: false },
    users: { state: true },
    error: { state: true },
    notice: { state: true },
  };
  declare api: ConsoleApi;
  declare users: management.User[];
  declare error: string;
  declare notice: string;

  constructor() {
    super();
    this.users = [];
    this.error = '';
    this.notice = '';
  }

  override connectedCallback() {
    super.connectedCallback();
    void this.load();
  }

  private async load() {
    try {
      this.users = (await this.api.users.listUsers({})).users;
    } catch (err) {
      this.error = describeError(err);
    }
  }

  override render() {
    return html`
      <h1>Users</h1>
      ${this.error ? html`<div class="error" role="alert">${this.error}</div>` : ''}
      ${this.notice ? html`<div class="notice">${this.notice}</div>` : ''}
      <table>
        <thead><tr><th>Email</th><th>Name</th><th>Role</th><th>Two-factor</th><th>Last sign-in</th><th>Status</th></tr></thead>
        <tbody>
          ${this.users.map(
            (u) => html`<tr>
              <td>${u.email}</td><td>${u.displayName}</td>
              <td><select aria-label="Role of ${u.email}" @change=${(e: Event) => this.setRole(u, Number((e.target as HTMLSelectElement).value))}>
                ${[management.Role.ADMIN, management.Role.TECHNICIAN, management.Role.END_USER].map(
                  (r) => html`<option value=${r} ?selected=${u.role === r}>${roleLabel(r)}</option>`,
                )}
              </select></td>
              <td>${u.totpEnabled ? 'on' : 'off'}</td>
              <td>${formatTime(u.lastLoginAt)}</td>
              <td><button class=${u.disabled ? '' : 'danger'} @click=${() => this.setDisabled(u, !u.disabled)}>${u.disabled ? 'Enable' : 'Disable'}</button></td>
            </tr>`,
          )}
        </tbody>
      </table>
      <h2>Add a user</h2>
      <form class="row" @submit=${this.create}>
        <input name="email" type="email" placeholder="email" required />
        <input name="name" placeholder="display name" required />
        <select name="role"><option value=${management.Role.TECHNICIAN}>technician</option><option value=${management.Role.ADMIN}>admin</option><option value=${management.Role.END_USER}>end user</option></select>
        <input name="password" type="password" placeholder="initial password (12+ chars)" minlength="12" required autocomplete="new-password" />
        <button class="primary" type="submit">Add</button>
      </form>
    `;
  }

  private async saveUser(u: management.User, patch: Partial<{ role: management.Role; disabled: boolean }>) {
    try {
      await this.api.users.updateUser({
        userId: u.userId,
        role: patch.role ?? u.role,
        disabled: patch.disabled ?? u.disabled,
        displayName: u.displayName,
      });
      await this.load();
    } catch (err) {
      this.error = describeError(err);
    }
  }

  private setRole(u: management.User, role: management.Role) {
    void this.saveUser(u, { role });
  }

  private setDisabled(u: management.User, disabled: boolean) {
    void this.saveUser(u, { disabled });
  }

  private async create(e: SubmitEvent) {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const data = new FormData(form);
    try {
      await this.api.users.createUser({
        email: String(data.get('email')),
        displayName: String(data.get('name')),
        role: Number(data.get('role')) as management.Role,
        password: String(data.get('password')),
      });
      form.reset();
      this.notice = 'User added.';
      await this.load();
    } catch (err) {
      this.error = describeError(err);
    }
  }
}
