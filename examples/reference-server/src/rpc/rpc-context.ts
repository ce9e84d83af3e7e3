import { randomUUID } from 'node:crypto';
import type { HandlerContext } from '@connectrpc/connect';
import { createContextKey } from '@connectrpc/connect';
import type { Caller, ServerKit } from '@guruconnect/server-kit';
import { ServerKitError, ServerKitErrorCode, toConnectError } from '@guruconnect/server-kit';

/** The client's address, set per request by the HTTP layer (honours GC_TRUST_PROXY). */
export const kRemoteAddress = createContextKey<string>('unknown', { description: 'client address' });
/** The request's correlation id, also in the response header and every log line about it. */
export const kCorrelationId = createContextKey<string>('', { description: 'correlation id' });

/** Who is connected where, from one snapshot of the relay's live state (the database only knows what was recorded). */
export interface Presence {
  /** Technicians viewing the machine's live session now. */
  technicians(machineId: string): { userId: string; displayName: string; joinedAt: Date }[];
  /** Technicians viewing one session now. */
  sessionViewers(sessionId: string): { userId: string; displayName: string; joinedAt: Date }[];
}

export interface RpcDeps {
  kit: ServerKit;
  /** Takes one snapshot of the relay's sessions; call it once per request, not per row. */
  presence: () => Presence;
  /** Public URL of this server, for links handed to clients; empty: derived from the request's Host. */
  publicUrl: string;
  /** Served over TLS (for links derived from the Host header). */
  tls: boolean;
  /** Agents older than this are flagged outdated in the console. */
  currentAgentVersion: string;
}

export function correlationIdOf(ctx: HandlerContext): string {
  return ctx.values.get(kCorrelationId) || randomUUID();
}

/** Authenticates the request's bearer credential; throws Unauthenticated when there is none. */
export async function callerOf(kit: ServerKit, ctx: HandlerContext): Promise<Caller> {
  const correlationId = correlationIdOf(ctx);
  const header = ctx.requestHeader.get('authorization') ?? '';
  const bearer = /^Bearer (\S+)$/i.exec(header)?.[1];
  if (!bearer) {
    throw new ServerKitError(ServerKitErrorCode.Unauthenticated, 'Sign in first', { correlationId });
  }
  const principal = await kit.auth.authenticate(bearer, correlationId);
  return { principal, correlationId, remoteAddress: ctx.values.get(kRemoteAddress) };
}

/** A management caller: an operator (JWT or API token). Integration keys never reach these methods. */
export async function operatorOf(kit: ServerKit, ctx: HandlerContext): Promise<Caller> {
  const caller = await callerOf(kit, ctx);
  if (caller.principal.kind !== 'user') {
    throw new ServerKitError(
      ServerKitErrorCode.PermissionDenied,
      'Integration keys cannot use the management API',
      {
        correlationId: caller.correlationId,
      },
    );
  }
  return caller;
}

/** An integration-contract caller: an integration key (`gik_…`) and nothing else. */
export async function integrationOf(kit: ServerKit, ctx: HandlerContext): Promise<Caller> {
  const caller = await callerOf(kit, ctx);
  if (caller.principal.kind !== 'integration') {
    throw new ServerKitError(
      ServerKitErrorCode.PermissionDenied,
      'The integration API needs an integration key',
      {
        correlationId: caller.correlationId,
      },
    );
  }
  return caller;
}

/** The base URL clients should use: the configured public URL, else scheme + Host of the request. */
export function baseUrlOf(deps: RpcDeps, ctx: HandlerContext): string {
  if (deps.publicUrl) return deps.publicUrl;
  const host = ctx.requestHeader.get('host') ?? 'localhost';
  return `${deps.tls ? 'https' : 'http'}://${host}`;
}

/**
 * Runs a handler and maps whatever it throws to a ConnectError (one table, in server-kit), so
 * no internal detail or stack reaches the client.
 */
export async function guarded<T>(ctx: HandlerContext, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toConnectError(
      err instanceof ServerKitError ? err : ServerKitError.from(err, correlationIdOf(ctx)),
    );
  }
}
