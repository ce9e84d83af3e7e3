import type { Client, Interceptor } from '@connectrpc/connect';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-web';
import {
  AuditService,
  AuthService,
  KeyService,
  MachineService,
  SessionService,
  UserService,
} from '@guruconnect/protocol';

const TOKEN_KEY = 'gc-console-token';

/** The console's view of the management API, with the operator token attached to every call. */
export interface ConsoleApi {
  auth: Client<typeof AuthService>;
  machines: Client<typeof MachineService>;
  sessions: Client<typeof SessionService>;
  users: Client<typeof UserService>;
  keys: Client<typeof KeyService>;
  audit: Client<typeof AuditService>;
  token(): string | null;
  setToken(token: string | null): void;
}

/**
 * The token lives in sessionStorage (gone when the tab closes). `onUnauthenticated` runs when
 * the server says the token is no longer good (logout elsewhere, disabled user, expiry).
 */
export function createConsoleApi(onUnauthenticated: () => void): ConsoleApi {
  let token = sessionStorage.getItem(TOKEN_KEY);
  const auth: Interceptor = (next) => async (req) => {
    if (token) req.header.set('Authorization', `Bearer ${token}`);
    try {
      return await next(req);
    } catch (err) {
      if (err instanceof ConnectError && err.code === Code.Unauthenticated && token) {
        token = null;
        sessionStorage.removeItem(TOKEN_KEY);
        onUnauthenticated();
      }
      throw err;
    }
  };
  const transport = createConnectTransport({ baseUrl: location.origin, interceptors: [auth] });
  return {
    auth: createClient(AuthService, transport),
    machines: createClient(MachineService, transport),
    sessions: createClient(SessionService, transport),
    users: createClient(UserService, transport),
    keys: createClient(KeyService, transport),
    audit: createClient(AuditService, transport),
    token: () => token,
    setToken(next) {
      token = next;
      if (next) sessionStorage.setItem(TOKEN_KEY, next);
      else sessionStorage.removeItem(TOKEN_KEY);
    },
  };
}

/** A message fit for a person, with the correlation id to quote when it is the server's fault. */
export function describeError(err: unknown): string {
  const e = ConnectError.from(err);
  const id = e.metadata.get('x-correlation-id');
  if (e.code === Code.ResourceExhausted) {
    const retry = e.metadata.get('retry-after');
    return `Too many attempts. Try again${retry ? ` in ${retry} s` : ' later'}.`;
  }
  return `${e.rawMessage}${e.code === Code.Internal && id ? ` (reference ${id})` : ''}`;
}
