import { randomUUID } from 'node:crypto';

/**
 * Stable error codes of server-kit. The HTTP/RPC layer maps them with `toConnectError`
 * (connect-error-map.ts is the one table); never match on messages.
 */
export const ServerKitErrorCode = {
  /** The thing asked for does not exist (or the caller may not know it exists). */
  NotFound: 'GC_ERR_NOT_FOUND',
  /** Authenticated, but the rights table denies the action. */
  PermissionDenied: 'GC_ERR_PERMISSION_DENIED',
  /** Credentials missing, wrong, expired, revoked or replayed. */
  Unauthenticated: 'GC_ERR_UNAUTHENTICATED',
  /** Password was right but a TOTP code is required (or was wrong / replayed). */
  TotpRequired: 'GC_ERR_TOTP_REQUIRED',
  /** Too many attempts; `retryAfterSeconds` says when to try again. */
  RateLimited: 'GC_ERR_RATE_LIMITED',
  /** The input is malformed or out of bounds. */
  InvalidArgument: 'GC_ERR_INVALID_ARGUMENT',
  /** The input is fine but the current state forbids the act (ended session, revoked key…). */
  FailedPrecondition: 'GC_ERR_FAILED_PRECONDITION',
  /** A unique thing (e-mail, machine_uid) exists already. */
  AlreadyExists: 'GC_ERR_ALREADY_EXISTS',
  /** The PGlite data directory is held by another live process. */
  DbLocked: 'GC_ERR_DB_LOCKED',
  /** A migration failed; nothing of it was applied. */
  Migration: 'GC_ERR_MIGRATION',
  /** Anything unexpected (a database failure, a bug). */
  Internal: 'GC_ERR_INTERNAL',
} as const;
export type ServerKitErrorCode = (typeof ServerKitErrorCode)[keyof typeof ServerKitErrorCode];

export interface ServerKitErrorOptions {
  /** Correlation id of the request; default: a fresh UUID. It also appears in the log line. */
  correlationId?: string;
  /** The underlying error, kept for logs (never shown to callers). */
  cause?: unknown;
  /** For `GC_ERR_RATE_LIMITED`: whole seconds until the caller may retry (≥ 1). */
  retryAfterSeconds?: number;
}

/** The one structured error of server-kit. */
export class ServerKitError extends Error {
  override readonly name = 'ServerKitError';
  readonly code: ServerKitErrorCode;
  readonly correlationId: string;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ServerKitErrorCode, message: string, options: ServerKitErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.correlationId = options.correlationId ?? randomUUID();
    this.retryAfterSeconds =
      options.retryAfterSeconds === undefined ? undefined : Math.max(1, Math.ceil(options.retryAfterSeconds));
  }

  /** Wraps anything thrown into a ServerKitError, keeping an existing one as is. */
  static from(err: unknown, correlationId?: string): ServerKitError {
    if (err instanceof ServerKitError) return err;
    const message = err instanceof Error ? err.message : String(err);
    return new ServerKitError(ServerKitErrorCode.Internal, `Internal error: ${message}`, {
      cause: err,
      ...(correlationId === undefined ? {} : { correlationId }),
    });
  }
}
