import { ConnectError } from '@connectrpc/connect';
import { html, LitElement } from 'lit';
import type { ConsoleApi } from './console-api.js';
import { describeError } from './console-api.js';
import { sharedStyles } from './console-styles.js';

/** Sign-in form; asks for the TOTP code when the server says the account needs one. */
export class LoginView extends LitElement {
  static override styles = sharedStyles;
  static override properties = {
    api: { attribute: false },
    error: { state: true },
    busy: { state: true },
    needTotp: { state: true },
  };
  declare api: ConsoleApi;
  declare error: string;
  declare busy: boolean;
  declare needTotp: boolean;

  constructor() {
    super();
    this.error = '';
    this.busy = false;
    this.needTotp = false;
  }

  override render() {
    return html`
      <form @submit=${this.submit} style="max-width:340px;margin:10vh auto;background:var(--gc-surface);padding:24px;border-radius:10px;border:1px solid var(--gc-border)">
        <h1>Sign in to GuruConnect</h1>
        <label>Email<br /><input name="email" type="email" autocomplete="username" required style="width:100%" /></label>
        <p><label>Password<br /><input name="password" type="password" autocomplete="current-password" required style="width:100%" /></label></p>
        ${
          this.needTotp
            ? html`<p><label>Authenticator code<br /><input name="totp" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required style="width:100%" /></label></p>`
            : ''
        }
        ${this.error ? html`<div class="error" role="alert">${this.error}</div>` : ''}
        <button class="primary" type="submit" ?disabled=${this.busy}>${this.busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
    `;
  }

  private async submit(e: SubmitEvent) {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    this.busy = true;
    this.error = '';
    try {
      const res = await this.api.auth.login({
        email: String(form.get('email') ?? ''),
        password: String(form.get('password') ?? ''),
        totpCode: String(form.get('totp') ?? ''),
      });
      this.api.setToken(res.token);
      this.dispatchEvent(new Event('signed-in', { bubbles: true, composed: true }));
    } catch (err) {
      const ce = ConnectError.from(err);
      if (ce.metadata.get('x-gc-error-code') === 'GC_ERR_TOTP_REQUIRED') {
        this.needTotp = true;
        this.error =
          this.needTotp && form.get('totp')
            ? 'That code was not accepted.'
            : 'Enter the code from your authenticator app.';
      } else {
        this.error = describeError(err);
      }
    } finally {
      this.busy = false;
    }
  }
}
