import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Code } from '@connectrpc/connect';
import {
  AuthService,
  Channel,
  CONTRACT_VERSION,
  createEnvelope,
  createIntegrationClient,
  encodeEnvelope,
  IntegrationService,
  KeyService,
  MachineService,
  management,
  SessionMode,
} from '@guruconnect/protocol';
import { verifyWebhookSignature } from '@guruconnect/server-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ADMIN_EMAIL, startTestServer, type TestServer } from './test-support/test-server.js';

const contract = readFileSync(new URL('../../../CONTRACT.md', import.meta.url), 'utf8');

describe('CONTRACT.md matches the proto', () => {
  it('documents the contract version the code speaks', () => {
    expect(/\*\*Version: ([^*]+)\*\*/.exec(contract)?.[1]).toBe(CONTRACT_VERSION);
  });

  it('lists exactly the IntegrationService methods, in order', () => {
    const section = contract.slice(contract.indexOf('## Methods'), contract.indexOf('## Error envelope'));
    const documented = [...section.matchAll(/^\| `([A-Za-z]+)` \|/gm)].map((m) => m[1]);
    expect(documented).toEqual(IntegrationService.methods.map((m) => m.name));
  });

  it('keeps the method names the contract promises', () => {
    const fixed = [
      'GetCapabilities',
      'ProvisionAgentKey',
      'RevokeAgentKey',
      'CreateSession',
      'CreateViewerToken',
      'CreateSupportCode',
      'GetSession',
      'EndSession',
      'ListSessionEvents',
    ];
    for (const name of fixed) expect(IntegrationService.methods.map((m) => m.name)).toContain(name);
    expect(IntegrationService.typeName).toBe('guruconnect.integration.v1.IntegrationService');
  });
});

describe('integration contract on a live server', () => {
  let t: TestServer;
  let keyA = '';
  let keyB = '';
  beforeAll(async () => {
    t = await startTestServer({ GC_EMBED_ALLOWED_ORIGINS: 'https://rmm.example.com' });
    const { token } = await t.client(AuthService).login({ email: ADMIN_EMAIL, password: t.adminPassword });
    const keys = t.client(KeyService, token);
    keyA = (await keys.createKey({ kind: management.KeyKind.INTEGRATION, name: 'rmm A' })).secret;
    keyB = (await keys.createKey({ kind: management.KeyKind.INTEGRATION, name: 'rmm B' })).secret;
  });
  afterAll(() => t.stop());

  it('answers capability discovery without credentials, over RPC and as plain JSON', async () => {
    const caps = await createIntegrationClient({ baseUrl: t.server.url }).getCapabilities({});
    expect(caps.contractVersion).toBe(CONTRACT_VERSION);
    expect(caps.features).toContain('embedded-viewer');
    const res = await fetch(`${t.server.url}/api/integration/capabilities`);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(await res.json()).toMatchObject({ contractVersion: CONTRACT_VERSION, features: caps.features });
  });

  it('provisions, pre-creates and mints with embed and native URLs; refuses everything without a key', async () => {
    const a = createIntegrationClient({ baseUrl: t.server.url, integrationKey: keyA });
    const provisioned = await a.provisionAgentKey({ deviceId: 'rmm-device-1', displayName: 'Front desk' });
    expect(provisioned.agentKey).toMatch(/^cak_/);
    const { session } = await a.createSession({ deviceId: 'rmm-device-1', mode: SessionMode.UNATTENDED });
    expect(session?.deviceId).toBe('rmm-device-1');
    const minted = await a.createViewerToken({
      sessionId: session?.sessionId ?? '',
      channels: [Channel.VIEW, Channel.CONTROL],
    });
    expect(minted.embedUrl).toBe(
      `${t.server.url}/embed/viewer#session=${session?.sessionId}&token=${minted.token}`,
    );
    expect(minted.nativeUrl).toBe(
      `${t.server.url}/viewer#session=${session?.sessionId}&token=${minted.token}`,
    );
    const anonymous = createIntegrationClient({ baseUrl: t.server.url });
    await expect(anonymous.provisionAgentKey({ deviceId: 'x' })).rejects.toMatchObject({
      code: Code.Unauthenticated,
    });
    const events = await a.listSessionEvents({ sessionId: session?.sessionId ?? '' });
    expect(events.events.map((e) => e.type)).toContain('session.created');
  });

  it('scopes each key to its own devices and sessions, and keeps it out of the management API', async () => {
    const a = createIntegrationClient({ baseUrl: t.server.url, integrationKey: keyA });
    const b = createIntegrationClient({ baseUrl: t.server.url, integrationKey: keyB });
    await a.provisionAgentKey({ deviceId: 'shared-name' });
    const { session } = await a.createSession({ deviceId: 'shared-name', mode: SessionMode.ATTENDED });
    const sid = session?.sessionId ?? '';
    await expect(b.getSession({ sessionId: sid })).rejects.toMatchObject({
      code: expect.toBeOneOf([Code.NotFound, Code.PermissionDenied]),
    });
    await expect(b.endSession({ sessionId: sid })).rejects.toMatchObject({
      code: expect.toBeOneOf([Code.NotFound, Code.PermissionDenied]),
    });
    await expect(b.createViewerToken({ sessionId: sid, channels: [Channel.VIEW] })).rejects.toMatchObject({
      code: expect.toBeOneOf([Code.NotFound, Code.PermissionDenied]),
    });
    await expect(b.createSession({ deviceId: 'shared-name' })).rejects.toMatchObject({ code: Code.NotFound });
    await expect(b.revokeAgentKey({ deviceId: 'shared-name' })).resolves.toMatchObject({ revoked: 0 });
    await expect(b.listSessionEvents({ sessionId: sid })).rejects.toMatchObject({
      code: expect.toBeOneOf([Code.NotFound, Code.PermissionDenied]),
    });
    // B's own device of the same name is a different machine.
    const bDevice = await b.provisionAgentKey({ deviceId: 'shared-name' });
    expect((await a.getSession({ sessionId: sid })).session?.machineId).not.toBe(bDevice.machineId);
    // Management methods refuse integration keys outright, including sign-in-like ones.
    for (const call of [
      () => t.client(MachineService, keyA).listMachines({}),
      () => t.client(KeyService, keyA).listKeys({}),
      () => t.client(KeyService, keyA).createKey({ kind: management.KeyKind.API_TOKEN, name: 'x' }),
      () => t.client(AuthService, keyA).whoAmI({}),
      () => t.client(AuthService, keyA).changePassword({ currentPassword: 'x', newPassword: 'y'.repeat(16) }),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: Code.PermissionDenied });
    }
  });

  it('mints viewer tokens that open their own session and no other', async () => {
    const a = createIntegrationClient({ baseUrl: t.server.url, integrationKey: keyA });
    await a.provisionAgentKey({ deviceId: 'tok-1' });
    await a.provisionAgentKey({ deviceId: 'tok-2' });
    const s1 = (await a.createSession({ deviceId: 'tok-1' })).session?.sessionId ?? '';
    const s2 = (await a.createSession({ deviceId: 'tok-2' })).session?.sessionId ?? '';
    const { token } = await a.createViewerToken({ sessionId: s1, channels: [Channel.VIEW] });
    const code = await viewerHello(t, token, s2);
    expect([4001, 4011]).toContain(code);
  });

  it('registers a webhook and delivers a signed session.ended to it', async () => {
    const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      const a = createIntegrationClient({ baseUrl: t.server.url, integrationKey: keyA });
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
      const { webhook, signingSecret } = await a.registerWebhook({ url, eventTypes: ['session.ended'] });
      expect(signingSecret).toMatch(/^gwh_/);
      expect((await a.listWebhooks({})).webhooks.map((w) => w.webhookId)).toEqual([webhook?.webhookId]);
      const b = createIntegrationClient({ baseUrl: t.server.url, integrationKey: keyB });
      expect((await b.listWebhooks({})).webhooks).toEqual([]);
      await expect(b.deleteWebhook({ webhookId: webhook?.webhookId ?? '' })).rejects.toMatchObject({
        code: Code.NotFound,
      });
      await a.provisionAgentKey({ deviceId: 'hooked' });
      const { session } = await a.createSession({ deviceId: 'hooked' });
      await a.endSession({ sessionId: session?.sessionId ?? '', reason: 'done' });
      await expect.poll(() => received.length, { timeout: 15_000 }).toBe(1);
      const [hit] = received;
      const event = JSON.parse(hit?.body ?? '{}');
      expect(event).toMatchObject({ type: 'session.ended', sessionId: session?.sessionId });
      const ok = verifyWebhookSignature({
        secret: signingSecret,
        timestamp: String(hit?.headers['guruconnect-timestamp']),
        body: hit?.body ?? '',
        signature: String(hit?.headers['guruconnect-signature']),
      });
      expect(ok).toBe(true);
      expect(hit?.headers['guruconnect-webhook-id']).toBe(event.id);
    } finally {
      await new Promise((r) => receiver.close(r));
    }
  });

  it('lets only the allowed origins frame the embed page; every other route refuses framing', async () => {
    const embed = await fetch(`${t.server.url}/embed/viewer`);
    expect(embed.status).toBe(200);
    expect(embed.headers.get('content-security-policy')).toContain('frame-ancestors https://rmm.example.com');
    expect(embed.headers.get('x-frame-options')).toBeNull();
    expect(await embed.text()).toContain('content="https://rmm.example.com"');
    for (const path of ['/viewer', '/', '/healthz', '/api/integration/capabilities']) {
      const res = await fetch(`${t.server.url}${path}`);
      expect(res.headers.get('content-security-policy'), path).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-frame-options'), path).toBe('DENY');
    }
  });
});

function viewerHello(t: TestServer, token: string, sessionId: string): Promise<number> {
  const ws = new WebSocket(`${t.server.url.replace('http', 'ws')}/v1/viewer`, { origin: t.server.url });
  return new Promise<number>((resolve, reject) => {
    ws.once('open', () =>
      ws.send(
        encodeEnvelope(createEnvelope({ payload: { case: 'viewerHello', value: { token, sessionId } } })),
      ),
    );
    ws.once('close', (code) => resolve(code));
    ws.once('error', reject);
  });
}
