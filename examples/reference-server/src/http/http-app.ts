import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { toJson } from '@bufbuild/protobuf';
import type { Interceptor } from '@connectrpc/connect';
import { Code, ConnectError, createContextValues } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { integration } from '@guruconnect/protocol';
import type { Logger } from '../logger.js';
import { capabilities } from '../rpc/integration-rpc.js';
import { registerRpc } from '../rpc/register-rpc.js';
import type { RpcDeps } from '../rpc/rpc-context.js';
import { kCorrelationId, kRemoteAddress } from '../rpc/rpc-context.js';
import { canonicalPath } from './canonical-path.js';
import { applySecurityHeaders } from './security-headers.js';
import type { StaticAssets } from './static-assets.js';

export interface HttpAppOptions {
  rpc: RpcDeps;
  assets: StaticAssets;
  logger: Logger;
  /** Relay's upgrade handler; false when the path is not the relay's. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** `/readyz`: true when the database answers and the server is not shutting down. */
  ready(): Promise<boolean>;
  /** Prometheus text for `/metrics` (needs an admin's credentials). */
  metrics(): string;
  /** May the bearer read metrics? */
  canReadMetrics(bearer: string | undefined, correlationId: string): Promise<boolean>;
  onLogin(outcome: 'success' | 'failure' | 'rate_limited'): void;
  trustProxy: boolean;
  tls: boolean;
  /** Origins that may frame `/embed/viewer` (its CSP `frame-ancestors`); every other route refuses framing. */
  embedAllowedOrigins: string[];
  serverVersion: string;
  /**
   * Resolves a recording download for a bearer credential: the file to send, or an HTTP status
   * (401 no or bad credentials, 403 not an admin, 404 no such recording).
   */
  recordingFile(
    bearer: string | undefined,
    recordingId: string,
    correlationId: string,
  ): Promise<{ path: string; fileName: string } | number>;
}

export interface HttpApp {
  handleRequest(req: IncomingMessage, res: ServerResponse): void;
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

/** Routes that answer without credentials. Everything else needs them (or is 404). */
export const PUBLIC_ROUTES = [
  'GET /',
  'GET /healthz',
  'GET /readyz',
  'GET /assets/*',
  'GET /api/integration/capabilities',
  'GET /embed/viewer',
  'GET /viewer',
  'POST /guruconnect.integration.v1.IntegrationService/GetCapabilities',
  'POST /guruconnect.management.v1.AuthService/Login',
  'POST /guruconnect.agent.v1.EnrollmentService/Enroll',
] as const;

const RECORDING_PATH =
  /^\/api\/recordings\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.cast$/;
const STATUS_TEXT: Record<number, string> = { 401: 'Sign in first', 403: 'Admins only', 404: 'Not found' };

/** Streams a recording as an attachment; a file that vanished is a 404, never a crash. */
function sendFile(res: ServerResponse, path: string, fileName: string, headOnly: boolean): Promise<void> {
  return new Promise((resolve) => {
    const stream = createReadStream(path);
    stream.once('error', () => {
      if (!res.headersSent) {
        res.writeHead(404, { 'Content-Type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ code: 'GC_ERR_NOT_FOUND', message: 'The recording file is missing' }));
      } else res.destroy();
      resolve();
    });
    stream.once('open', () => {
      res.writeHead(200, {
        'Content-Type': 'application/x-asciicast; charset=utf-8',
        'Content-Disposition': `attachment; filename="${fileName}"`,
        'Cache-Control': 'no-store',
      });
      if (headOnly) {
        stream.destroy();
        res.end();
        resolve();
        return;
      }
      stream.pipe(res);
      stream.once('end', () => resolve());
    });
  });
}

const GET_ROUTES = new Set([
  '/',
  '/healthz',
  '/readyz',
  '/metrics',
  '/api/integration/capabilities',
  '/embed/viewer',
  '/viewer',
]);

export function clientAddress(
  req: { headers: IncomingMessage['headers']; socket?: { remoteAddress?: string | undefined } },
  trustProxy: boolean,
): string {
  const forwarded = trustProxy ? req.headers['x-forwarded-for'] : undefined;
  const first = typeof forwarded === 'string' ? forwarded.split(',')[0]?.trim() : undefined;
  return first || req.socket?.remoteAddress || 'unknown';
}

/** The HTTP side of the reference server: one handler for requests, one for upgrades. */
export function createHttpApp(options: HttpAppOptions): HttpApp {
  const { assets, logger } = options;
  const countLogins: Interceptor = (next) => async (req) => {
    if (req.method.name !== 'Login') return next(req);
    try {
      const res = await next(req);
      options.onLogin('success');
      return res;
    } catch (err) {
      options.onLogin(ConnectError.from(err).code === Code.ResourceExhausted ? 'rate_limited' : 'failure');
      throw err;
    }
  };
  const rpc = connectNodeAdapter({
    routes: (router) => registerRpc(router, options.rpc, options.serverVersion),
    interceptors: [countLogins],
    readMaxBytes: 1024 * 1024,
    contextValues: (req) =>
      createContextValues()
        .set(kRemoteAddress, clientAddress(req, options.trustProxy))
        .set(
          kCorrelationId,
          String((req as IncomingMessage & { correlationId?: string }).correlationId ?? randomUUID()),
        ),
    fallback: (_req, res) => notFound(res as ServerResponse),
  });

  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  const notFound = (res: ServerResponse) =>
    json(res, 404, { code: 'GC_ERR_NOT_FOUND', message: 'Not found' });

  async function route(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    correlationId: string,
  ): Promise<void> {
    const method = req.method ?? 'GET';
    if (path.startsWith('/guruconnect.')) {
      rpc(req, res);
      return;
    }
    const recording = RECORDING_PATH.exec(path);
    if (recording && (method === 'GET' || method === 'HEAD')) {
      const bearer = /^Bearer (\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
      const found = await options.recordingFile(bearer, recording[1] as string, correlationId);
      if (typeof found === 'number') {
        json(res, found, {
          code:
            found === 401
              ? 'GC_ERR_UNAUTHENTICATED'
              : found === 403
                ? 'GC_ERR_PERMISSION_DENIED'
                : 'GC_ERR_NOT_FOUND',
          message: STATUS_TEXT[found] ?? 'Not found',
        });
        return;
      }
      await sendFile(res, found.path, found.fileName, method === 'HEAD');
      return;
    }
    const known = GET_ROUTES.has(path) || (path.startsWith('/assets/') && assets.has(path));
    if (!known) {
      notFound(res);
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      json(res, 405, { code: 'GC_ERR_METHOD_NOT_ALLOWED', message: 'Method not allowed' });
      return;
    }
    switch (path) {
      case '/':
        assets.serve('/index.html', req, res);
        return;
      case '/embed/viewer':
      case '/viewer': {
        // The embed page may be framed by the allowed origins only; the full-page viewer never.
        const embed = path === '/embed/viewer';
        applySecurityHeaders(res, {
          hsts: options.tls,
          frameAncestors: embed ? options.embedAllowedOrigins : [],
        });
        if (embed && options.embedAllowedOrigins.length > 0) res.removeHeader('X-Frame-Options');
        const page = (assets.text('/embed.html') ?? '').replace(
          '%GC_EMBED_ORIGINS%',
          escapeAttr(options.embedAllowedOrigins.join(' ')),
        );
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
        res.end(method === 'HEAD' ? undefined : page);
        return;
      }
      case '/api/integration/capabilities':
        res.setHeader('Access-Control-Allow-Origin', '*');
        json(
          res,
          200,
          toJson(integration.GetCapabilitiesResponseSchema, capabilities(options.serverVersion)),
        );
        return;
      case '/healthz':
        json(res, 200, { status: 'ok' });
        return;
      case '/readyz': {
        const ok = await options.ready();
        json(res, ok ? 200 : 503, { status: ok ? 'ready' : 'not ready' });
        return;
      }
      case '/metrics': {
        const bearer = /^Bearer (\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
        if (!(await options.canReadMetrics(bearer, correlationId))) {
          res.setHeader('WWW-Authenticate', 'Bearer');
          json(res, 401, { code: 'GC_ERR_UNAUTHENTICATED', message: 'An admin API token is required' });
          return;
        }
        res.writeHead(200, {
          'Content-Type': 'text/plain; version=0.0.4; charset=utf-8',
          'Cache-Control': 'no-store',
        });
        res.end(options.metrics());
        return;
      }
    }
    if (path.startsWith('/assets/') && assets.serve(path, req, res, 'public, max-age=300')) return;
    notFound(res);
  }

  return {
    handleRequest(req, res) {
      const started = process.hrtime.bigint();
      const correlationId = randomUUID();
      (req as IncomingMessage & { correlationId?: string }).correlationId = correlationId;
      res.setHeader('X-Correlation-Id', correlationId);
      applySecurityHeaders(res, { hsts: options.tls });
      const path = canonicalPath(req.url);
      res.on('finish', () => {
        logger.debug('http', {
          correlationId,
          method: req.method,
          path: path ?? '(non-canonical)',
          status: res.statusCode,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
        });
      });
      if (path === undefined) {
        notFound(res);
        return;
      }
      route(req, res, path, correlationId).catch((err: unknown) => {
        logger.error('request failed', { correlationId, err });
        if (!res.headersSent)
          json(res, 500, { code: 'GC_ERR_INTERNAL', message: 'Internal error', correlationId });
        else res.destroy();
      });
    },
    handleUpgrade(req, socket, head) {
      socket.on('error', (err) => logger.debug('upgrade socket error', { err }));
      const path = canonicalPath(req.url);
      if (path !== undefined && options.handleUpgrade(req, socket, head)) return;
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    },
  };
}

function escapeAttr(value: string): string {
  return value.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);
}
