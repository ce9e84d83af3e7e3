import type { Server } from 'node:http';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CloseReason, CONTRACT_VERSION } from '@guruconnect/protocol';
import type { Relay } from '@guruconnect/relay-core';
import { createRelay } from '@guruconnect/relay-core';
import type { Database, ServerKit } from '@guruconnect/server-kit';
import { createServerKit, openDatabase } from '@guruconnect/server-kit';
import type { ServerConfig } from './config.js';
import { canonicalPath } from './http/canonical-path.js';
import { createHttpApp } from './http/http-app.js';
import { StaticAssets } from './http/static-assets.js';
import type { Logger } from './logger.js';
import { createLogger } from './logger.js';
import { Metrics } from './metrics.js';
import type { Presence } from './rpc/rpc-context.js';
import { TerminalRecorder } from './terminal-recorder.js';

/** Version of this server; agents older than this are flagged outdated in the console. */
export const SERVER_VERSION = '0.1.0';

export interface ReferenceServerOptions {
  config: ServerConfig;
  /** Default: JSON lines on stdout at `config.logLevel`. */
  logger?: Logger;
  /** Where the built console lives. Default: `dist/public` beside this package. */
  assetsDir?: string;
  /** Printed once on first start (the one-time admin password). Default: stdout. */
  announce?: (line: string) => void;
  /** Relay limits for tests (e.g. a short hello deadline). */
  relayOverrides?: { helloTimeoutMs?: number; heartbeatIntervalMs?: number; consentTimeoutMs?: number };
}

export interface ReferenceServer {
  /** The URL the server listens on (its public URL when configured). */
  readonly url: string;
  readonly kit: ServerKit;
  readonly relay: Relay;
  readonly database: Database;
  /** Closes sockets with 1001, stops accepting, flushes and closes the database. Idempotent. */
  close(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));

/** Starts the whole product on one port: relay, console, embed page, APIs, health and metrics. */
export async function startReferenceServer(options: ReferenceServerOptions): Promise<ReferenceServer> {
  const { config } = options;
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const announce = options.announce ?? ((line: string) => process.stdout.write(`${line}\n`));
  const assets = new StaticAssets(options.assetsDir ?? join(here, '..', 'dist', 'public'), '');

  const database = await openDatabase(
    config.databaseUrl ? { databaseUrl: config.databaseUrl } : { dataDir: join(config.dataDir, 'db') },
  );
  let kit: ServerKit | undefined;
  let relay: Relay | undefined;
  let server: Server | undefined;
  try {
    kit = await createServerKit({
      database,
      publicUrl: config.publicUrl ?? 'guruconnect',
      logger: {
        info: (r) => logger.info(String(r.msg ?? 'server-kit'), r),
        warn: (r) => logger.warn(String(r.msg ?? 'server-kit'), r),
        error: (r) => logger.error(String(r.msg ?? 'server-kit'), r),
      },
    });
    const admin = await kit.users.ensureFirstAdmin({
      email: config.adminEmail,
      password: config.adminPassword,
    });
    if (admin.created && admin.generatedPassword) {
      announce(
        `First admin created: ${config.adminEmail} — one-time password: ${admin.generatedPassword} (shown once; change it after signing in)`,
      );
    }

    if (config.integrationKey) {
      const bootstrap = await kit.keys.ensureBootstrapIntegrationKey(config.integrationKey);
      if (!bootstrap.usable)
        logger.warn('GC_INTEGRATION_KEY was revoked by an admin and stays revoked', {
          keyId: bootstrap.keyId,
        });
    }

    const metrics = new Metrics();
    const logins = metrics.counter('gc_logins_total', 'Operator sign-in attempts by outcome');
    const hooks = kit.relayHooks();
    const origin = (url: string) => new URL(url).origin;
    let publicOrigin = config.publicUrl ? origin(config.publicUrl) : '';
    const recorder = new TerminalRecorder({
      dir: join(config.dataDir, 'recordings'),
      kit,
      logger,
      userOf: (sessionId, viewerId) =>
        relay
          ?.listSessions()
          .find((s) => s.sessionId === sessionId)
          ?.viewers.find((v) => v.viewerId === viewerId)?.userId,
    });
    relay = createRelay({
      ...hooks,
      // Every terminal session is recorded (asciicast v2); the audit log says so per session.
      onTerminal: recorder.onTap,
      ...options.relayOverrides,
      // Agents send no Origin; browsers always do. A viewer socket must come from this server's
      // own pages or an origin the operator allowed (an RMM page embedding <gc-viewer>).
      allowedOrigins: (o, req) =>
        o === undefined
          ? canonicalPath(req.url) === '/v1/agent'
          : o === publicOrigin ||
            sameHost(o, req.headers.host) ||
            config.allowedOrigins.includes(o) ||
            config.embedAllowedOrigins.includes(o),
      serverVersion: SERVER_VERSION,
      onEvent: (event) => {
        hooks.onEvent(event);
        if (event.type === 'session-ended') recorder.endSession(event.sessionId);
        if (event.type === 'violation') logger.warn('relay violation', { ...event });
        else if (event.type === 'agent-status')
          logger.debug('relay agent-status', { machineId: event.machineId });
        else logger.info(`relay ${event.type}`, { ...event });
      },
    });
    const liveRelay = relay;
    kit.keys.onAgentKeyRevoked((e) => liveRelay.disconnectAgent(e.machineId, CloseReason.KEY_REVOKED));
    kit.sessions.onSessionEnded((e) =>
      liveRelay.endSession(e.sessionId, CloseReason.SESSION_ENDED, e.reason),
    );

    // One stats() read per scrape feeds every relay gauge.
    const relayGauges = [
      ['gc_sessions', 'Live sessions on this node', 'sessions'],
      ['gc_viewers', 'Connected viewers on this node', 'viewers'],
      ['gc_agents', 'Connected agents on this node', 'agents'],
      ['gc_bytes_relayed_total', 'Bytes forwarded by the relay', 'bytesRelayed'],
      ['gc_frames_forwarded_total', 'Messages forwarded by the relay', 'framesForwarded'],
      ['gc_frames_dropped_total', 'Video frames dropped for viewers that were behind', 'framesDropped'],
      ['gc_violations_total', 'Sockets closed for protocol violations', 'violations'],
    ] as const;
    const setters = relayGauges.map(([name, help, field]) => [metrics.gauge(name, help), field] as const);
    metrics.onCollect(() => {
      const stats = liveRelay.stats();
      for (const [set, field] of setters) set(stats[field]);
    });

    const presence = (): Presence => {
      const sessions = liveRelay.listSessions();
      return {
        technicians: (machineId) =>
          sessions.filter((s) => s.machineId === machineId).flatMap((s) => viewersOf(s.viewers)),
        sessionViewers: (sessionId) =>
          viewersOf(sessions.find((s) => s.sessionId === sessionId)?.viewers ?? []),
      };
    };
    let closing = false;
    const liveKit = kit;
    const app = createHttpApp({
      rpc: {
        kit,
        presence,
        publicUrl: config.publicUrl ?? '',
        tls: config.tls !== undefined,
        currentAgentVersion: SERVER_VERSION,
      },
      embedAllowedOrigins: config.embedAllowedOrigins,
      recordingFile: async (bearer, recordingId, correlationId) => {
        if (!bearer) return 401;
        try {
          const caller = { principal: await liveKit.auth.authenticate(bearer, correlationId), correlationId };
          const rec = await liveKit.recordings.get(caller, recordingId);
          return { path: join(config.dataDir, 'recordings', rec.fileName), fileName: rec.fileName };
        } catch (err) {
          const code = (err as { code?: string }).code;
          return code === 'GC_ERR_UNAUTHENTICATED' ? 401 : code === 'GC_ERR_PERMISSION_DENIED' ? 403 : 404;
        }
      },
      serverVersion: SERVER_VERSION,
      assets,
      logger,
      handleUpgrade: (req, socket, head) => liveRelay.handleUpgrade(req, socket, head),
      ready: async () =>
        !closing &&
        (await database.query('select 1').then(
          () => true,
          () => false,
        )),
      metrics: () => metrics.render(),
      canReadMetrics: async (bearer, correlationId) => {
        if (!bearer) return false;
        try {
          const p = await liveKit.auth.authenticate(bearer, correlationId);
          return p.kind === 'user' && p.role === 'admin';
        } catch {
          return false;
        }
      },
      onLogin: (outcome) => logins({ outcome }),
      trustProxy: config.trustProxy,
      tls: config.tls !== undefined,
    });
    server = config.tls
      ? createHttpsServer({ cert: config.tls.cert, key: config.tls.key })
      : createHttpServer();
    server.on('request', app.handleRequest);
    server.on('upgrade', app.handleUpgrade);
    server.headersTimeout = 20_000;
    server.requestTimeout = 60_000;
    const listening = server;
    await new Promise<void>((resolve, reject) => {
      listening.once('error', reject);
      listening.listen(config.port, config.host, () => {
        listening.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    const scheme = config.tls ? 'https' : 'http';
    const hostForUrl = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    const url =
      config.publicUrl ?? `${scheme}://${hostForUrl.includes(':') ? `[${hostForUrl}]` : hostForUrl}:${port}`;
    if (!publicOrigin) publicOrigin = origin(url);
    logger.info('listening', {
      url,
      contract: CONTRACT_VERSION,
      database: config.databaseUrl ? 'postgresql' : 'pglite',
    });

    let closed: Promise<void> | undefined;
    const finalKit = kit;
    const finalServer = server;
    return {
      url,
      kit,
      relay,
      database,
      close() {
        closed ??= (async () => {
          closing = true;
          const stopped = new Promise<void>((resolve) => finalServer.close(() => resolve()));
          await liveRelay.close();
          await recorder.close();
          finalServer.closeAllConnections();
          await stopped;
          await finalKit.close();
          await database.close();
          logger.info('stopped');
        })();
        return closed;
      },
    };
  } catch (err) {
    server?.close();
    await relay?.close();
    await kit?.close();
    await database.close();
    throw err;
  }
}

function sameHost(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}

function viewersOf(viewers: { userId: string | undefined; viewerName: string; joinedAt: Date }[]) {
  return viewers.map((v) => ({ userId: v.userId ?? '', displayName: v.viewerName, joinedAt: v.joinedAt }));
}
