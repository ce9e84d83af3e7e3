// Every HTTP route and WebSocket endpoint, hit without credentials and with path variants:
// only the public allowlist may answer anything but 401/403/404.
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { DescService } from '@bufbuild/protobuf';
import {
  AuditService,
  AuthService,
  createEnvelope,
  EnrollmentService,
  encodeEnvelope,
  IntegrationService,
  KeyService,
  MachineService,
  SessionService,
  UserService,
} from '@guruconnect/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from './test-support/test-server.js';

const services: DescService[] = [
  AuthService,
  MachineService,
  SessionService,
  UserService,
  KeyService,
  AuditService,
  EnrollmentService,
  IntegrationService,
];
const rpcPaths = services.flatMap((s) => s.methods.map((m) => `/${s.typeName}/${m.name}`));
const httpPaths = [
  '/',
  '/healthz',
  '/readyz',
  '/metrics',
  '/assets/console.js',
  '/api/integration/capabilities',
  '/embed/viewer',
  '/api/recordings/x',
];
const wsPaths = ['/v1/agent', '/v1/viewer'];

/** Answers that need no credentials: health, console assets, sign-in, capability discovery, enrollment (which checks its key itself). */
const PUBLIC = new Set([
  'GET /',
  'GET /healthz',
  'GET /readyz',
  'GET /assets/console.js',
  'GET /api/integration/capabilities',
  'GET /embed/viewer',
  'POST /guruconnect.management.v1.AuthService/Login',
  'POST /guruconnect.agent.v1.EnrollmentService/Enroll',
  'POST /guruconnect.integration.v1.IntegrationService/GetCapabilities',
]);

function variants(path: string): string[] {
  const segs = path.split('/');
  const last = segs[segs.length - 1] ?? '';
  const encoded = `${segs.slice(0, -1).join('/')}/%${last.charCodeAt(0).toString(16)}${last.slice(1)}`;
  return [
    `${path}/`,
    `/${path}`,
    encoded,
    path.toUpperCase() === path ? path.toLowerCase() : path.toUpperCase(),
    `${path};param=1`,
    `/x/..${path}`,
    `/.${path}`,
    path.replace(/\/([^/]*)$/, '/%2e/$1'),
  ].filter((v) => v !== path);
}

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({}, { relayOverrides: { helloTimeoutMs: 500 } });
});
afterAll(() => t.stop());

/** Sends the path exactly as written (fetch would normalise `/x/../` and `%2e` before sending). */
function status(method: string, path: string): Promise<number> {
  const { hostname, port } = new URL(t.server.url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: hostname, port, method, path, headers: { 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(method === 'POST' ? '{}' : undefined);
  });
}

describe('route inventory without credentials', () => {
  it('has every RPC method and HTTP route answer 401/403/404 unless it is public', async () => {
    const seen: string[] = [];
    for (const [method, path] of [
      ...rpcPaths.map((p) => ['POST', p] as const),
      ...httpPaths.map((p) => ['GET', p] as const),
    ]) {
      const code = await status(method, path);
      const key = `${method} ${path}`;
      if (PUBLIC.has(key)) {
        expect.soft(code, key).toBeLessThan(500);
      } else {
        expect.soft([401, 403, 404], `${key} answered ${code}`).toContain(code);
      }
      seen.push(key);
    }
    expect(seen.length).toBe(rpcPaths.length + httpPaths.length);
  });

  it('answers 404 to every path variant of every route, whatever the method', async () => {
    for (const path of [...rpcPaths, ...httpPaths]) {
      for (const variant of variants(path)) {
        for (const method of ['GET', 'POST']) {
          const code = await status(method, variant);
          expect.soft(code, `${method} ${variant}`).toBe(404);
        }
      }
    }
  });

  it('refuses WebSocket upgrades on path variants (404) and viewer upgrades without an Origin (403)', async () => {
    for (const path of wsPaths) {
      for (const variant of variants(path)) {
        expect.soft(await upgradeStatus(variant, undefined), variant).toBe(404);
        expect.soft(await upgradeStatus(variant, t.server.url), variant).toBe(404);
      }
    }
    expect(await upgradeStatus('/v1/viewer', undefined)).toBe(403);
  });

  it('closes an agent or viewer socket that never presents a credential', async () => {
    for (const [path, hello] of [
      ['/v1/agent', createEnvelope({ payload: { case: 'agentHello', value: {} } })],
      ['/v1/viewer', createEnvelope({ payload: { case: 'viewerHello', value: { sessionId: 'x' } } })],
    ] as const) {
      const ws = new WebSocket(`${t.server.url.replace('http', 'ws')}${path}`, { origin: t.server.url });
      const code = await new Promise<number>((resolve, reject) => {
        ws.once('open', () => ws.send(encodeEnvelope(hello)));
        ws.once('close', (c) => resolve(c));
        ws.once('error', reject);
      });
      expect([4001, 4004, 4011], `${path} closed with ${code}`).toContain(code);
    }
    // And one that says nothing is dropped at the hello deadline.
    const silent = new WebSocket(`${t.server.url.replace('http', 'ws')}/v1/agent`);
    const code = await new Promise<number>((resolve) => silent.once('close', (c) => resolve(c)));
    expect(code).toBe(4002);
  });
});

/** A raw WebSocket upgrade with the path exactly as written; resolves with the HTTP status. */
function upgradeStatus(path: string, origin: string | undefined): Promise<number> {
  const { hostname, port } = new URL(t.server.url);
  return new Promise<number>((resolve, reject) => {
    const req = request({
      host: hostname,
      port,
      path,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
        'Sec-WebSocket-Version': '13',
        ...(origin ? { Origin: origin } : {}),
      },
    });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      resolve(101);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}
