import type { Clock } from './clock.js';
import type { Db } from './db/database.js';
import type { Logger } from './logger.js';
import type { Principal } from './rights.js';

/** Who is calling a management operation, with request metadata for the audit trail. */
export interface Caller {
  principal: Principal;
  /** Request correlation id; default: a fresh UUID per operation. */
  correlationId?: string;
  /** Peer IP, recorded in audit details. */
  remoteAddress?: string;
}

/** What every service gets from the kit (internal). */
export interface KitContext {
  db: Db;
  clock: Clock;
  /** Already redacting: records pass through `redact` before the user's logger sees them. */
  logger: Logger;
}

/** The audit `actor` string for a principal. */
export function actorOf(principal: Principal): string {
  return principal.kind === 'user' ? `user:${principal.userId}` : `integration:${principal.integrationId}`;
}
