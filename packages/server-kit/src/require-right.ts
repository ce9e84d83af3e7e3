import type { Caller } from './kit-context.js';
import { type Action, can, type Resource } from './rights.js';
import { ServerKitError, ServerKitErrorCode, type ServerKitErrorOptions } from './server-kit-error.js';

/** Error options carrying the caller's correlation id, when it has one. */
export function withCorrelation(
  caller: Pick<Caller, 'correlationId'> | undefined,
  extra: ServerKitErrorOptions = {},
): ServerKitErrorOptions {
  return caller?.correlationId === undefined ? extra : { ...extra, correlationId: caller.correlationId };
}

/** Throws GC_ERR_PERMISSION_DENIED unless rights.ts allows the act. */
export function requireRight(caller: Caller, action: Action, resource?: Resource): void {
  if (!can(caller.principal, action, resource)) {
    throw new ServerKitError(
      ServerKitErrorCode.PermissionDenied,
      `Not allowed: ${action}`,
      withCorrelation(caller),
    );
  }
}

/** Throws GC_ERR_NOT_FOUND. */
export function notFound(caller: Pick<Caller, 'correlationId'> | undefined, what: string): ServerKitError {
  return new ServerKitError(ServerKitErrorCode.NotFound, `${what} not found`, withCorrelation(caller));
}

export function invalid(caller: Pick<Caller, 'correlationId'> | undefined, message: string): ServerKitError {
  return new ServerKitError(ServerKitErrorCode.InvalidArgument, message, withCorrelation(caller));
}
