import { html, LitElement } from 'lit';
import type { ConsoleApi } from './console-api.js';
import { describeError } from './console-api.js';
import { sharedStyles } from './console-styles.js';

/** The signed-in user's password and two-factor settings. */
export class AccountView extends LitElement {
  static override styles = sharedStyles;
  static override properties = {
    api: { attribute: false },
    otpauth: { state: true },
    message: { state: true },
    error: { state: true },
  };
  declare api: ConsoleApi;
  declare otpauth: string;
  declare message: string;
  declare error: string;

  constructor() {
    super();
    this.otpauth = '';
    this.message = '';
    this.error = '';
  }

  override render() {
    return html`
      <h1>Account</h1>
      ${this.message ? html`<div class="notice" role="status">${this.message}</div>` : ''}
      ${this.error ? html`<div class="error" role="alert">${this.error}</div>` : ''}
      <h2>Change password</h2>
      <form class="row" @submit=${this.changePassword}>
        <input name="current" type="password" placeholder="current password" autocomplete="current-password" required />
        <input name="next" type="password" placeholder="new password (12+ chars)" minlength="12" autocomplete="new-password" required />
        <button type="submit">Change</button>
      </form>
      <h2>Two-factor sign-in</h2>
      ${
        this.otpauth
          ? html`<p>Add this to your authenticator app, then enter the code it shows:</p>
            <p class="secret">${this.otpauth}</p>
            <form class="row" @submit=${this.confirm}><input name="code" inputmode="numeric" pattern="[0-9]{6}" required /><button class="primary" type="submit">Turn on</button></form>`
          : html`<button @click=${this.begin}>Set up an authenticator app</button>`
      }
    `;
  }

  private async changePassword(e: SubmitEvent) {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const d = new FormData(form);
    try {
      const res = await this.api.auth.changePassword({
        currentPassword: String(d.get('current')),
        newPassword: String(d.get('next')),
      });
      this.api.setToken(res.token);
      form.reset();
      this.message = 'Password changed. Other sign-ins were ended.';
      this.error = '';
    } catch (err) {
      this.error = describeError(err);
    }
  }

  private async begin() {
    try {
      this.otpauth = (await this.api.auth.beginTotp({})).otpauthUri;
    } catch (err) {
      this.error = describeError(err);
    }
  }

  private async confirm(e: SubmitEvent) {
    e.preventDefault();
    const d = new FormData(e.target as HTMLFormElement);
    try {
      await this.api.auth.confirmTotp({ code: String(d.get('code')) });
      this.otpauth = '';
      this.message = 'Two-factor sign-in is on.';
      this.error = '';
    } catch (err) {
      this.error = describeError(err);
    }
  }
}
