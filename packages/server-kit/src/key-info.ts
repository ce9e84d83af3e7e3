import type { agentKeys, apiTokens, enrollmentKeys, integrationKeys } from './db/schema.js';
import { fingerprintSecret, generateSecret, hashSecret, type SecretPrefix } from './secret-codec.js';

export type KeyKind = 'agent' | 'api-token' | 'integration' | 'enrollment';

/** A key as the API shows it: fingerprint, never the secret or its hash. */
export interface KeyInfo {
  keyId: string;
  kind: KeyKind;
  name: string;
  fingerprint: string;
  machineId?: string;
  userId?: string;
  integrationId?: string;
  site?: string;
  company?: string;
  createdAt: Date;
  revokedAt: Date | undefined;
  lastUsedAt: Date | undefined;
}

/** Returned once, at creation: the only time the secret exists outside the holder. */
export interface CreatedKey {
  key: KeyInfo;
  secret: string;
}

interface CommonRow {
  id: string;
  name: string;
  fingerprint: string;
  createdAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

function info(kind: KeyKind, row: CommonRow, extra: Partial<KeyInfo>): KeyInfo {
  return {
    keyId: row.id,
    kind,
    name: row.name,
    fingerprint: row.fingerprint,
    ...extra,
    createdAt: row.createdAt,
    revokedAt: row.revokedAt ?? undefined,
    lastUsedAt: row.lastUsedAt ?? undefined,
  };
}

export const agentKeyInfo = (row: typeof agentKeys.$inferSelect) =>
  info('agent', row, { machineId: row.machineId });
export const apiTokenInfo = (row: typeof apiTokens.$inferSelect) =>
  info('api-token', row, { userId: row.userId });
export const integrationKeyInfo = (row: typeof integrationKeys.$inferSelect) =>
  info('integration', row, { integrationId: row.integrationId });
export const enrollmentKeyInfo = (row: typeof enrollmentKeys.$inferSelect) =>
  info('enrollment', row, { site: row.site, company: row.company });

/** A fresh secret with its stored forms. */
export function mintSecret(prefix: SecretPrefix): {
  secret: string;
  secretHash: string;
  fingerprint: string;
} {
  const secret = generateSecret(prefix);
  return { secret, secretHash: hashSecret(secret), fingerprint: fingerprintSecret(secret) };
}
