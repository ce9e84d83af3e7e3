import { AuthService, MachineService } from '@guruconnect/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ADMIN_EMAIL, startTestServer, type TestServer } from './test-support/test-server.js';

let t: TestServer;
beforeAll(async () => {
  // Trust X-Forwarded-For so tests can speak from several client addresses.
  t = await startTestServer({ GC_TRUST_PROXY: 'true' });
});
afterAll(() => t.stop());

describe('reference server on embedded defaults (PGlite)', () => {
  it('creates the first admin and announces a one-time password, never logging it', () => {
    expect(t.adminPassword.length).toBeGreaterThanOrEqual(16);
    const jsonLogs = t.logs.filter((l) => l.startsWith('{')).join('');
    expect(jsonLogs).not.toContain(t.adminPassword);
  });

  it('answers health and readiness', async () => {
    expect(await (await fetch(`${t.server.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${t.server.url}/readyz`);
    expect(ready.status).toBe(200);
  });

  it('sends security headers on every response, refusing framing', async () => {
    for (const path of ['/', '/healthz', '/nope', '//x']) {
      const res = await fetch(`${t.server.url}${path}`);
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('signs the admin in over ConnectRPC and serves the management API to that token', async () => {
    const login = await t.client(AuthService).login({ email: ADMIN_EMAIL, password: t.adminPassword });
    expect(login.user?.email).toBe(ADMIN_EMAIL);
    const me = await t.client(AuthService, login.token).whoAmI({});
    expect(me.user?.email).toBe(ADMIN_EMAIL);
    const machines = await t.client(MachineService, login.token).listMachines({});
    expect(machines.machines).toEqual([]);
    await t.client(AuthService, login.token).logout({});
    await expect(t.client(AuthService, login.token).whoAmI({})).rejects.toMatchObject({ code: 16 });
  });

  it('answers a wrong password with Unauthenticated and a flood with 429 + Retry-After', async () => {
    const body = JSON.stringify({ email: ADMIN_EMAIL, password: 'wrong-password-123' });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 8; i++) {
      const res = await fetch(`${t.server.url}/guruconnect.management.v1.AuthService/Login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.9' },
        body,
      });
      statuses.push(res.status);
      retryAfter ??= res.headers.get('retry-after');
    }
    expect(statuses[0]).toBe(401);
    expect(statuses).toContain(429);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    // The flood from one address does not lock the owner out from another.
    const owner = await fetch(`${t.server.url}/guruconnect.management.v1.AuthService/Login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.20' },
      body: JSON.stringify({ email: ADMIN_EMAIL, password: t.adminPassword }),
    });
    expect(owner.status).toBe(200);
  });

  it('serves /metrics only to an admin', async () => {
    expect((await fetch(`${t.server.url}/metrics`)).status).toBe(401);
    const { token } = await t.client(AuthService).login({ email: ADMIN_EMAIL, password: t.adminPassword });
    const res = await fetch(`${t.server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    for (const name of [
      'gc_sessions',
      'gc_viewers',
      'gc_bytes_relayed_total',
      'gc_frames_dropped_total',
      'gc_logins_total',
    ]) {
      expect(text).toContain(`# TYPE ${name}`);
    }
    expect(text).toMatch(/gc_logins_total\{outcome="success"\} \d+/);
  });

  it('refuses a viewer socket from a foreign origin before any authentication', async () => {
    const ws = new WebSocket(`${t.server.url.replace('http', 'ws')}/v1/viewer`, {
      origin: 'https://evil.example',
    });
    const status = await new Promise<number>((resolve) => {
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => undefined);
    });
    ws.terminate();
    expect(status).toBe(403);
  });
});

describe('graceful shutdown', () => {
  it('closes live sockets with 1001 and releases the data directory', async () => {
    const s = await startTestServer();
    const ws = new WebSocket(`${s.server.url.replace('http', 'ws')}/v1/agent`);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    await s.server.close();
    expect(await closed).toBe(1001);
    // The PGlite lock is released: a new server opens the same data directory.
    const again = await startTestServer({ GC_DATA_DIR: s.dataDir });
    await again.stop();
  });
});
