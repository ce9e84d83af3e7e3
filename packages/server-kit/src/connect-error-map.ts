import { Code, ConnectError } from '@connectrpc/connect';
import { ServerKitError, ServerKitErrorCode } from './server-kit-error.js';

/** The one table from server-kit error codes to ConnectRPC codes. */
const CONNECT_CODE: Record<ServerKitErrorCode, Code> = {
  [ServerKitErrorCode.NotFound]: Code.NotFound,
  [ServerKitErrorCode.PermissionDenied]: Code.PermissionDenied,
  [ServerKitErrorCode.Unauthenticated]: Code.Unauthenticated,
  [ServerKitErrorCode.TotpRequired]: Code.Unauthenticated,
  [ServerKitErrorCode.RateLimited]: Code.ResourceExhausted,
  [ServerKitErrorCode.InvalidArgument]: Code.InvalidArgument,
  [ServerKitErrorCode.FailedPrecondition]: Code.FailedPrecondition,
  [ServerKitErrorCode.AlreadyExists]: Code.AlreadyExists,
  [ServerKitErrorCode.DbLocked]: Code.Unavailable,
  [ServerKitErrorCode.Migration]: Code.Internal,
  [ServerKitErrorCode.Internal]: Code.Internal,
};

/**
 * Maps any error to a ConnectError for the wire. Metadata always carries
 * `x-correlation-id` and `x-gc-error-code`; rate-limited errors also carry `retry-after`
 * (seconds), which the HTTP layer turns into 429 + Retry-After. Internal errors hide their message.
 */
export function toConnectError(err: unknown): ConnectError {
  if (err instanceof ConnectError) return err;
  const kitError = ServerKitError.from(err);
  const metadata = new Headers({
    'x-correlation-id': kitError.correlationId,
    'x-gc-error-code': kitError.code,
  });
  if (kitError.retryAfterSeconds !== undefined) {
    metadata.set('retry-after', String(kitError.retryAfterSeconds));
  }
  const code = CONNECT_CODE[kitError.code];
  const message =
    code === Code.Internal ? `Internal error (correlation id ${kitError.correlationId})` : kitError.message;
  return new ConnectError(message, code, metadata, undefined, kitError);
}
