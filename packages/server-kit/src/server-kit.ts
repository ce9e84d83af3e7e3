import { AgentAuthenticator } from './agent-authenticator.js';
import type { AttemptLimit } from './attempt-limiter.js';
import { AuditService } from './audit-service.js';
import { AuthService } from './auth-service.js';
import { type Clock, systemClock } from './clock.js';
import type { Database } from './db/database.js';
import { EnrollmentService } from './enrollment-service.js';
import { JwtCodec } from './jwt-codec.js';
import { KeysService } from './keys-service.js';
import type { KitContext } from './kit-context.js';
import { type Logger, type LogRecord, noopLogger } from './logger.js';
import { MachinesService } from './machines-service.js';
import { RecordingsService } from './recordings-service.js';
import { redact } from './redact.js';
import { createRelayHooks, RelayEventRecorder, type RelayHooks } from './relay-hooks.js';
import { ServerKitError, ServerKitErrorCode } from './server-kit-error.js';
import { SessionsService } from './sessions-service.js';
import { SigningKeys } from './signing-keys.js';
import { SupportCodesService } from './support-codes-service.js';
import { UsersService } from './users-service.js';
import { ViewerTokensService } from './viewer-tokens-service.js';
import { WebhookDeliveryWorker } from './webhook-delivery-worker.js';
import { WebhooksService } from './webhooks-service.js';

export interface ServerKitOptions {
  /** From `openDatabase`. The kit does not close it: whoever opened it does, after `kit.close()`. */
  database: Database;
  /** Default: the system clock. */
  clock?: Clock;
  /** Default: no-op. Every record is redacted before it reaches this logger. */
  logger?: Logger;
  /** The server's public URL; the JWT issuer. Default `'guruconnect'`. */
  publicUrl?: string;
  /** Operator JWT lifetime, seconds. Default 43 200 (12 h); 300 … 604 800. */
  operatorTokenTtlSeconds?: number;
  /** Failed logins per (account, address). Default 5 per 900 s. */
  loginLimitPerAccountAddress?: AttemptLimit;
  /** Failed logins per address, any account. Default 50 per 900 s. */
  loginLimitPerAddress?: AttemptLimit;
  /** Wrong support codes per address. Default 10 per 600 s. */
  supportCodeMissLimit?: AttemptLimit;
  /** Idle live sessions without a viewer end after this, ms. Default 43 200 000 (12 h); 60 000 … 2 592 000 000. */
  staleSessionTtlMs?: number;
  /** How often the reaper runs, ms. Default 60 000; 0 disables; otherwise 1000 … 3 600 000. */
  reapIntervalMs?: number;
  /**
   * End ghost sessions and mark every machine offline at start (see `sessions.reconcileOnStartup`).
   * Default true; set false when several relay nodes share one PostgreSQL.
   */
  reconcileOnStart?: boolean;
  /** Issuer shown in authenticator apps. Default `'GuruConnect'`. */
  totpIssuer?: string;
  /** How often the webhook worker polls when idle, ms. Default 1000; 0 disables the worker; otherwise 50 … 60 000. */
  webhookPollIntervalMs?: number;
  /** A webhook attempt without a response within this fails, ms. Default 10 000; 1 000 … 120 000. */
  webhookTimeoutMs?: number;
  /** A delivery still failing this long after its event is given up, ms. Default 86 400 000 (24 h); 1 000 … 604 800 000. */
  webhookMaxAgeMs?: number;
  /** First retry delay, ms; doubles per failure. Default 1 000; 100 … 60 000. */
  webhookRetryBaseMs?: number;
  /** Longest retry delay, ms. Default 60 000; webhookRetryBaseMs … 3 600 000. */
  webhookRetryMaxMs?: number;
}

/** Everything a GuruConnect server remembers and decides. */
export interface ServerKit {
  readonly auth: AuthService;
  readonly users: UsersService;
  readonly machines: MachinesService;
  readonly sessions: SessionsService;
  readonly keys: KeysService;
  readonly enrollment: EnrollmentService;
  readonly supportCodes: SupportCodesService;
  readonly viewerTokens: ViewerTokensService;
  readonly audit: AuditService;
  readonly webhooks: WebhooksService;
  /** Terminal recording metadata (the host writes the asciicast files). */
  readonly recordings: RecordingsService;
  /** The relay's hooks: `createRelay({ ...kit.relayHooks(), … })`. */
  relayHooks(): RelayHooks;
  /** Resolves when every relay event received so far is recorded. */
  drainEvents(): Promise<void>;
  /**
   * Stops the reaper and the webhook worker (attempts in flight are aborted and retried later) and
   * waits for queued relay events. Does not close the database. Idempotent.
   */
  close(): Promise<void>;
}

function bounded(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < min || v > max) {
    throw new ServerKitError(ServerKitErrorCode.InvalidArgument, `${name} must be ${min}–${max}`);
  }
  return v;
}

function redactingLogger(logger: Logger): Logger {
  return {
    info: (record: LogRecord) => logger.info(redact(record)),
    warn: (record: LogRecord) => logger.warn(redact(record)),
    error: (record: LogRecord) => logger.error(redact(record)),
  };
}

/** Builds the kit on an open database: loads (or creates) the signing key, reconciles, starts the reaper. */
export async function createServerKit(options: ServerKitOptions): Promise<ServerKit> {
  const operatorTokenTtlSeconds = bounded(
    'operatorTokenTtlSeconds',
    options.operatorTokenTtlSeconds,
    43_200,
    300,
    604_800,
  );
  const staleSessionTtlMs = bounded(
    'staleSessionTtlMs',
    options.staleSessionTtlMs,
    43_200_000,
    60_000,
    2_592_000_000,
  );
  const reapIntervalMs =
    options.reapIntervalMs === 0
      ? 0
      : bounded('reapIntervalMs', options.reapIntervalMs, 60_000, 1000, 3_600_000);
  const webhookPollIntervalMs =
    options.webhookPollIntervalMs === 0
      ? 0
      : bounded('webhookPollIntervalMs', options.webhookPollIntervalMs, 1000, 50, 60_000);
  const webhookRetryBaseMs = bounded('webhookRetryBaseMs', options.webhookRetryBaseMs, 1000, 100, 60_000);
  const webhookWorkerOptions = {
    pollIntervalMs: webhookPollIntervalMs,
    timeoutMs: bounded('webhookTimeoutMs', options.webhookTimeoutMs, 10_000, 1000, 120_000),
    maxAgeMs: bounded('webhookMaxAgeMs', options.webhookMaxAgeMs, 86_400_000, 1000, 604_800_000),
    retryBaseMs: webhookRetryBaseMs,
    retryMaxMs: bounded(
      'webhookRetryMaxMs',
      options.webhookRetryMaxMs,
      60_000,
      webhookRetryBaseMs,
      3_600_000,
    ),
  };
  const ctx: KitContext = {
    db: options.database.db,
    clock: options.clock ?? systemClock,
    logger: redactingLogger(options.logger ?? noopLogger),
  };
  const jwt = new JwtCodec(await SigningKeys.load(ctx.db), ctx.clock, options.publicUrl ?? 'guruconnect');
  const audit = new AuditService(ctx);
  const keys = new KeysService(ctx, audit);
  const users = new UsersService(ctx, audit);
  const machines = new MachinesService(ctx, audit, keys);
  const webhooks = new WebhooksService(ctx, audit);
  const recordings = new RecordingsService(ctx, audit);
  const sessions = new SessionsService(ctx, audit, {
    staleSessionTtlMs,
    afterEnded: (row, at) =>
      webhooks.emitForSession('session.ended', row.id, { reason: row.endReason ?? '' }, at),
  });
  const supportCodes = new SupportCodesService(ctx, audit, {
    missLimit: options.supportCodeMissLimit ?? { failures: 10, windowSeconds: 600 },
  });
  const viewerTokens = new ViewerTokensService(ctx, audit, jwt, sessions);
  const enrollment = new EnrollmentService(ctx, audit, keys);
  const auth = new AuthService(ctx, audit, jwt, users, keys, {
    operatorTokenTtlSeconds,
    accountAddressLimit: options.loginLimitPerAccountAddress ?? { failures: 5, windowSeconds: 900 },
    addressLimit: options.loginLimitPerAddress ?? { failures: 50, windowSeconds: 900 },
    totpIssuer: options.totpIssuer ?? 'GuruConnect',
  });
  const recorder = new RelayEventRecorder(ctx, audit, machines, sessions, webhooks);
  const hooks = createRelayHooks(
    new AgentAuthenticator(ctx, audit, keys, supportCodes),
    viewerTokens,
    recorder,
  );

  if (options.reconcileOnStart !== false) {
    const ended = await sessions.reconcileOnStartup();
    const offline = await machines.markAllOffline();
    if (ended > 0 || offline > 0)
      ctx.logger.info({
        msg: 'reconciled after start',
        endedSessions: ended,
        machinesMarkedOffline: offline,
      });
  }

  let reaping: Promise<void> = Promise.resolve();
  const timer =
    reapIntervalMs === 0
      ? undefined
      : setInterval(() => {
          reaping = reaping.then(() =>
            sessions.reapStale().then(
              (ended) => {
                if (ended > 0) ctx.logger.info({ msg: 'reaped stale sessions', ended });
              },
              (err: unknown) => ctx.logger.error({ msg: 'session reaper failed', error: err }),
            ),
          );
        }, reapIntervalMs);
  timer?.unref();

  const worker =
    webhookPollIntervalMs === 0 ? undefined : new WebhookDeliveryWorker(ctx, webhookWorkerOptions);
  const stopWaking = worker === undefined ? undefined : webhooks.onEnqueued(() => worker.wake());
  worker?.start();

  let closed = false;
  return {
    auth,
    recordings,
    users,
    machines,
    sessions,
    keys,
    enrollment,
    supportCodes,
    viewerTokens,
    audit,
    webhooks,
    relayHooks: () => hooks,
    drainEvents: () => recorder.drain(),
    close: async () => {
      if (closed) return;
      closed = true;
      if (timer !== undefined) clearInterval(timer);
      stopWaking?.();
      await reaping;
      await recorder.drain();
      await worker?.close();
    },
  };
}
