/**
 * The one drizzle schema of server-kit. `migrations/` is generated from it by drizzle-kit
 * (`npx drizzle-kit generate --config packages/server-kit/drizzle.config.ts`) plus one custom
 * migration for what drizzle-kit does not express (the pg_trgm extension, the search trigger).
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const tz = (name: string) => timestamp(name, { withTimezone: true });

export const roles = pgTable('roles', {
  name: text('name').primaryKey(),
  description: text('description').notNull(),
});

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Stored lower-cased. */
    email: text('email').notNull(),
    displayName: text('display_name').notNull().default(''),
    role: text('role')
      .notNull()
      .references(() => roles.name),
    /** argon2id encoded hash (never the password). */
    passwordHash: text('password_hash').notNull(),
    disabled: boolean('disabled').notNull().default(false),
    /** Bumped by logout, password change, role change and disable: every older JWT fails at once. */
    tokenVersion: integer('token_version').notNull().default(0),
    totpSecret: text('totp_secret'),
    totpPendingSecret: text('totp_pending_secret'),
    totpEnabled: boolean('totp_enabled').notNull().default(false),
    /** Last accepted TOTP time step; a code of this step or older is a replay. */
    totpLastStep: bigint('totp_last_step', { mode: 'number' }),
    /** True only for the admin created by ensureFirstAdmin; the partial unique index allows one. */
    bootstrap: boolean('bootstrap').notNull().default(false),
    createdAt: createdAt(),
    lastLoginAt: tz('last_login_at'),
  },
  (t) => [
    uniqueIndex('users_email_key').on(t.email),
    uniqueIndex('users_one_bootstrap_admin').on(t.bootstrap).where(sql`bootstrap`),
  ],
);

export const signingKeys = pgTable('signing_keys', {
  /** The JWT `kid`. */
  id: text('id').primaryKey(),
  alg: text('alg').notNull(),
  /** Key material (base64url). It must live somewhere the server can read; see README "Secrets at rest". */
  material: text('material').notNull(),
  createdAt: createdAt(),
  retiredAt: tz('retired_at'),
});

export const machines = pgTable(
  'machines',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Stable per-install hash sent by the agent; null until a provisioned machine first connects. */
    machineUid: text('machine_uid'),
    /** 'managed' (enrolled / provisioned, agent key) or 'support' (a one-off attended agent). */
    kind: text('kind').notNull().default('managed'),
    /** The integrator's device id, when an integration provisioned it. */
    deviceId: text('device_id'),
    ownerIntegrationId: uuid('owner_integration_id'),
    displayName: text('display_name').notNull().default(''),
    hostname: text('hostname').notNull().default(''),
    company: text('company').notNull().default(''),
    site: text('site').notNull().default(''),
    department: text('department').notNull().default(''),
    deviceType: text('device_type').notNull().default(''),
    tags: text('tags').array().notNull().default(sql`'{}'::text[]`),
    osName: text('os_name').notNull().default(''),
    osVersion: text('os_version').notNull().default(''),
    kernel: text('kernel').notNull().default(''),
    arch: text('arch').notNull().default(''),
    cpuModel: text('cpu_model').notNull().default(''),
    cpuCores: integer('cpu_cores').notNull().default(0),
    ramBytes: bigint('ram_bytes', { mode: 'number' }).notNull().default(0),
    ipAddresses: text('ip_addresses').array().notNull().default(sql`'{}'::text[]`),
    loggedOnUser: text('logged_on_user').notNull().default(''),
    uptimeSeconds: bigint('uptime_seconds', { mode: 'number' }).notNull().default(0),
    timeZone: text('time_zone').notNull().default(''),
    agentVersion: text('agent_version').notNull().default(''),
    terminalOnly: boolean('terminal_only').notNull().default(false),
    online: boolean('online').notNull().default(false),
    lastSeenAt: tz('last_seen_at'),
    lastRemoteAddress: text('last_remote_address'),
    /** Lower-cased concatenation of the searchable fields, kept by a trigger (custom migration). */
    searchText: text('search_text').notNull().default(''),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('machines_kind_uid_key').on(t.kind, t.machineUid).where(sql`machine_uid is not null`),
    uniqueIndex('machines_integration_device_key')
      .on(t.ownerIntegrationId, t.deviceId)
      .where(sql`device_id is not null`),
    index('machines_search_trgm').using('gin', t.searchText.op('gin_trgm_ops')),
  ],
);

const keyColumns = () => ({
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull().default(''),
  /** SHA-256 hex of the secret (secret-codec.ts explains why not argon2). */
  secretHash: text('secret_hash').notNull(),
  fingerprint: text('fingerprint').notNull(),
  createdBy: text('created_by'),
  createdAt: createdAt(),
  revokedAt: tz('revoked_at'),
  lastUsedAt: tz('last_used_at'),
});

export const agentKeys = pgTable(
  'agent_keys',
  {
    ...keyColumns(),
    machineId: uuid('machine_id')
      .notNull()
      .references(() => machines.id, { onDelete: 'cascade' }),
  },
  (t) => [
    uniqueIndex('agent_keys_hash_key').on(t.secretHash),
    index('agent_keys_machine_idx').on(t.machineId),
  ],
);

export const apiTokens = pgTable(
  'api_tokens',
  {
    ...keyColumns(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
  },
  (t) => [uniqueIndex('api_tokens_hash_key').on(t.secretHash)],
);

export const integrationKeys = pgTable(
  'integration_keys',
  {
    ...keyColumns(),
    /** Several keys (rotation) may share one integration; the integration owns its devices. */
    integrationId: uuid('integration_id').notNull(),
  },
  (t) => [uniqueIndex('integration_keys_hash_key').on(t.secretHash)],
);

export const enrollmentKeys = pgTable(
  'enrollment_keys',
  {
    ...keyColumns(),
    company: text('company').notNull().default(''),
    site: text('site').notNull().default(''),
    /** Set when rotated: the key that replaced this one. */
    replacedBy: uuid('replaced_by'),
  },
  (t) => [uniqueIndex('enrollment_keys_hash_key').on(t.secretHash)],
);

export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Null for a support-code session until its agent connects. */
    machineId: uuid('machine_id').references(() => machines.id, { onDelete: 'cascade' }),
    /** 'attended' | 'unattended'. */
    mode: text('mode').notNull(),
    /** 'console' | 'integration' | 'support-code'. */
    source: text('source').notNull(),
    /** session-state.ts: waiting_for_agent | ready | awaiting_consent | active | agent_lost | ended. */
    state: text('state').notNull(),
    ownerIntegrationId: uuid('owner_integration_id'),
    createdBy: text('created_by'),
    technicianName: text('technician_name').notNull().default(''),
    reason: text('reason').notNull().default(''),
    createdAt: createdAt(),
    startedAt: tz('started_at'),
    endedAt: tz('ended_at'),
    endReason: text('end_reason'),
    lastActivityAt: tz('last_activity_at').notNull().defaultNow(),
  },
  (t) => [index('sessions_machine_idx').on(t.machineId), index('sessions_state_idx').on(t.state)],
);

/** Terminal recordings (asciicast v2 files under the server's data directory). */
export const recordings = pgTable(
  'recordings',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    machineId: uuid('machine_id'),
    /** The relay's id of the viewer whose terminal this is, and its user when known. */
    viewerId: text('viewer_id').notNull(),
    userId: text('user_id'),
    channelId: integer('channel_id').notNull(),
    /** File name relative to the recordings directory; never a client-chosen path. */
    fileName: text('file_name').notNull(),
    sizeBytes: bigint('size_bytes', { mode: 'number' }).notNull().default(0),
    startedAt: tz('started_at').notNull().defaultNow(),
    endedAt: tz('ended_at'),
  },
  (t) => [index('recordings_session_idx').on(t.sessionId)],
);

export const supportCodes = pgTable(
  'support_codes',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** SHA-256 of the code; see support-codes-service.ts for what that does and does not protect. */
    codeHash: text('code_hash').notNull(),
    sessionId: uuid('session_id')
      .notNull()
      .references(() => sessions.id, { onDelete: 'cascade' }),
    createdBy: text('created_by'),
    createdAt: createdAt(),
    expiresAt: tz('expires_at').notNull(),
    usedAt: tz('used_at'),
    usedFrom: text('used_from'),
  },
  (t) => [uniqueIndex('support_codes_hash_key').on(t.codeHash)],
);

export const viewerTokenUses = pgTable('viewer_token_uses', {
  /** The token's `jti`; the primary key makes the second use fail. */
  jti: text('jti').primaryKey(),
  sessionId: uuid('session_id').notNull(),
  usedAt: tz('used_at').notNull(),
  /** When the token would have expired anyway; rows past it may be pruned. */
  expiresAt: tz('expires_at').notNull(),
});

export const auditEvents = pgTable(
  'audit_events',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    type: text('type').notNull(),
    actor: text('actor').notNull(),
    target: text('target').notNull().default(''),
    /** 'success' | 'failure'. */
    outcome: text('outcome').notNull(),
    correlationId: text('correlation_id').notNull(),
    sessionId: text('session_id'),
    occurredAt: tz('occurred_at').notNull(),
    detail: jsonb('detail').$type<Record<string, string>>().notNull().default({}),
  },
  (t) => [
    index('audit_events_time_idx').on(t.occurredAt),
    index('audit_events_session_idx').on(t.sessionId),
    index('audit_events_type_idx').on(t.type),
  ],
);

export const webhooks = pgTable(
  'webhooks',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** The integration that registered it; only that integration sees, deletes or receives it. */
    integrationId: uuid('integration_id').notNull(),
    url: text('url').notNull(),
    /** Event types delivered; empty means every type. */
    eventTypes: text('event_types').array().notNull().default(sql`'{}'::text[]`),
    /**
     * The HMAC signing secret (`gwh_…`), stored as is: the server must sign every delivery with it,
     * and a hash cannot sign. Like `signing_keys.material` it must stay readable by the server; see
     * README "Secrets at rest". Emptied when the webhook is deleted.
     */
    secret: text('secret').notNull(),
    /** The last delivery sequence handed out; bumped (row-locked) by every enqueue. */
    lastSequence: bigint('last_sequence', { mode: 'number' }).notNull().default(0),
    createdBy: text('created_by'),
    createdAt: createdAt(),
    deletedAt: tz('deleted_at'),
  },
  (t) => [index('webhooks_integration_idx').on(t.integrationId)],
);

export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    /** The idempotency key: the body's `id` and the `GuruConnect-Webhook-Id` header, same on every retry. */
    id: uuid('id').primaryKey().defaultRandom(),
    webhookId: uuid('webhook_id')
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    /** Per-webhook order: a delivery is sent only after every lower sequence is delivered or failed. */
    sequence: bigint('sequence', { mode: 'number' }).notNull(),
    eventType: text('event_type').notNull(),
    sessionId: text('session_id'),
    /** The event's `data` object. */
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    occurredAt: tz('occurred_at').notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: tz('next_attempt_at').notNull(),
    /** A worker that claimed the delivery owns it until then (one sender across kit instances). */
    leaseUntil: tz('lease_until'),
    leaseToken: uuid('lease_token'),
    deliveredAt: tz('delivered_at'),
    /** Set when given up (max age reached, or the webhook was deleted). */
    failedAt: tz('failed_at'),
    lastError: text('last_error'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('webhook_deliveries_sequence_key').on(t.webhookId, t.sequence),
    index('webhook_deliveries_pending_idx')
      .on(t.webhookId, t.sequence)
      .where(sql`delivered_at is null and failed_at is null`),
  ],
);
