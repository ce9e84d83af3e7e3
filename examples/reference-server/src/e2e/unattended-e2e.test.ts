// The unattended path, twice over: an RMM drives everything through the integration contract and
// shows the session in its own page (no operator login anywhere), and a technician finds the same
// machine in the console and joins without any prompt on the agent. Then the server restarts
// under a live session.

import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Agent, createAgent } from '@guruconnect/agent-core';
import {
  AuthService,
  Channel,
  createIntegrationClient,
  SessionMode,
  SessionService,
  SessionState_State,
} from '@guruconnect/protocol';
import { type Browser, chromium, type Frame, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_EMAIL, startTestServer, type TestServer } from '../test-support/test-server.js';
import { DesktopFixture } from './desktop-fixture.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..', '..');
const assetsDir = join(root, 'examples', 'reference-server', 'dist', 'public');
const INTEGRATION_KEY = `gik_${'Rmm0Integration0Key0For0Tests012'.padEnd(33, 'x')}`;
const ROOT_COLOUR = [0x30, 0x90, 0x40];

let browser: Browser;
let desktop: DesktopFixture;
let rmm: Server;
let rmmOrigin = '';
let foreignOrigin = '';
let t: TestServer;
let agent: Agent | undefined;
let consentAsked = 0;
let page: Page;

/** The integrator's own web server: a page with the embed iframe, and a foreign page. */
function startRmm(): Promise<void> {
  rmm = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    res.setHeader('content-type', 'text/html');
    if (url.pathname === '/foreign.html') {
      // Served to the foreign origin: tries to command the embed frame that sits beside it.
      res.end(
        `<script>parent.frames[0].postMessage({ type: 'gc:disconnect' }, '*'); parent.postMessage('foreign-sent', '*');</script>`,
      );
      return;
    }
    const embed = url.searchParams.get('embed') ?? '';
    const foreign = url.searchParams.get('foreign');
    res.end(`<!doctype html><body>
      <iframe id="gc" src="${embed}" style="width:1024px;height:768px;border:0"></iframe>
      ${foreign ? `<iframe id="foreign" src="${foreign}"></iframe>` : ''}
      <script>
        window.gcEvents = [];
        addEventListener('message', (e) => { if (e.data && e.data.source === 'guruconnect') window.gcEvents.push(e.data); else window.gcEvents.push({ type: String(e.data) }); });
      </script></body>`);
  });
  return new Promise((resolve) => rmm.listen(0, '127.0.0.1', resolve));
}

beforeAll(async () => {
  execFileSync(process.execPath, [join(root, 'examples', 'reference-server', 'build-assets.mjs')], {
    stdio: 'ignore',
  });
  desktop = await DesktopFixture.start();
  desktop.paintRoot('#309040');
  await desktop.openRecorder(500, 400, 200, 150);
  await startRmm();
  const port = (rmm.address() as AddressInfo).port;
  rmmOrigin = `http://127.0.0.1:${port}`;
  foreignOrigin = `http://localhost:${port}`; // another host name: another origin
  t = await startTestServer(
    { GC_INTEGRATION_KEY: INTEGRATION_KEY, GC_EMBED_ALLOWED_ORIGINS: rmmOrigin },
    { assetsDir },
  );
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
}, 120_000);

afterAll(async () => {
  await agent?.close();
  await browser?.close();
  await t?.stop();
  await new Promise((r) => rmm?.close(r));
  await desktop?.close();
}, 60_000);

async function embedFrame(): Promise<Frame> {
  const handle = await page.waitForSelector('#gc');
  const frame = await handle.contentFrame();
  if (!frame) throw new Error('no embed frame');
  return frame;
}

function framePixel(frame: Frame | Page, x: number, y: number): Promise<number[]> {
  return frame
    .locator('gc-viewer canvas')
    .first()
    .evaluate(
      (c: HTMLCanvasElement, [px, py]) => {
        const d = c.getContext('2d')?.getImageData(px as number, py as number, 1, 1).data;
        return d ? [d[0] ?? -1, d[1] ?? -1, d[2] ?? -1] : [];
      },
      [x, y],
    );
}

const gcEvents = () =>
  page.evaluate(() => (window as unknown as { gcEvents: { type: string }[] }).gcEvents.map((e) => e.type));

describe('RMM integration, no operator login', () => {
  let embedUrl = '';

  it('discovers, provisions, connects the agent with its key and device id, pre-creates and mints', async () => {
    const client = createIntegrationClient({ baseUrl: t.server.url, integrationKey: INTEGRATION_KEY });
    const caps = await client.getCapabilities({});
    expect(caps.features).toContain('embedded-viewer');
    const key = await client.provisionAgentKey({
      deviceId: 'rmm-42',
      displayName: 'Reception PC',
      tags: ['frontdesk'],
    });
    agent = createAgent({
      server: t.server.url,
      agentKey: key.agentKey,
      deviceId: 'rmm-42',
      persistent: true,
      display: desktop.display,
      machineUid: 'e2e-unattended-uid',
      backoff: { baseMs: 200, capMs: 1000 },
      consentProvider: async () => {
        consentAsked++;
        return { accepted: false, reason: 'unattended sessions must not ask' };
      },
    });
    const { session } = await client.createSession({ deviceId: 'rmm-42', mode: SessionMode.UNATTENDED });
    const minted = await client.createViewerToken({
      sessionId: session?.sessionId ?? '',
      channels: [Channel.VIEW, Channel.CONTROL],
    });
    embedUrl = minted.embedUrl;
  });

  it('shows the desktop in the embed iframe on the allowed origin and reports lifecycle events', async () => {
    await page.goto(
      `${rmmOrigin}/?embed=${encodeURIComponent(embedUrl)}&foreign=${encodeURIComponent(`${foreignOrigin}/foreign.html`)}`,
    );
    const frame = await embedFrame();
    await expect
      .poll(() => framePixel(frame, 10, 10), { timeout: 20_000, interval: 200 })
      .toEqual(ROOT_COLOUR);
    await expect
      .poll(gcEvents, { timeout: 10_000 })
      .toEqual(expect.arrayContaining(['ready', 'connected', 'resize', 'foreign-sent']));
    expect(consentAsked).toBe(0);
  });

  it('ignores a command posted from a foreign origin, obeys the same command from the parent', async () => {
    // foreign.html already posted gc:disconnect to the embed frame; the viewer stayed connected.
    await new Promise((r) => setTimeout(r, 1000));
    expect(await gcEvents()).not.toContain('disconnected');
    await page.evaluate((origin) => {
      (document.getElementById('gc') as HTMLIFrameElement).contentWindow?.postMessage(
        { type: 'gc:disconnect' },
        origin,
      );
    }, t.server.url);
    await expect.poll(gcEvents, { timeout: 10_000 }).toContain('disconnected');
  });

  it('refuses to be framed by an origin that is not allowed', async () => {
    const other = await browser.newPage();
    await other.goto(
      `${foreignOrigin}/?embed=${encodeURIComponent(`${t.server.url}/embed/viewer#session=x&token=y`)}`,
    );
    await new Promise((r) => setTimeout(r, 1500));
    const events = await other.evaluate(() => (window as unknown as { gcEvents: unknown[] }).gcEvents.length);
    expect(events).toBe(0);
    const frame = await (await other.waitForSelector('#gc')).contentFrame();
    // Chromium replaces a frame refused by frame-ancestors with an error page: no viewer inside.
    expect(await frame?.locator('gc-viewer').count()).toBe(0);
    await other.close();
  });
});

describe('technician console, unattended', () => {
  it('lists the agent online and finds it by OS, user, IP and tag', async () => {
    await page.goto(t.server.url);
    await page.fill('input[name=email]', ADMIN_EMAIL);
    await page.fill('input[name=password]', t.adminPassword);
    await page.click('button[type=submit]');
    // Agent- and integrator-supplied strings are shown as text, never run as HTML.
    await createIntegrationClient({
      baseUrl: t.server.url,
      integrationKey: INTEGRATION_KEY,
    }).provisionAgentKey({
      deviceId: 'hostile',
      displayName: '<img src=x onerror="window.__pwned=1">Hostile',
      tags: ['<b>bold</b>'],
    });
    const hostile = page.locator('tr', { hasText: 'Hostile' });
    await hostile.waitFor({ timeout: 10_000 });
    expect(await hostile.textContent()).toContain('<img src=x onerror="window.__pwned=1">Hostile');
    expect(await hostile.locator('img, b').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    const row = page.locator('tr', { hasText: 'Reception PC' });
    await expect.poll(() => row.locator('.pill.online').count(), { timeout: 15_000 }).toBe(1);
    const inventory = await row.evaluate((tr) => tr.textContent ?? '');
    expect(inventory).toContain('Reception PC');
    const m = await t.server.kit.machines.search(
      { principal: { kind: 'user', userId: 'e2e', email: ADMIN_EMAIL, role: 'admin', via: 'jwt' } },
      'tag:frontdesk',
    );
    const inv = m.machines[0]?.inventory;
    if (!inv) throw new Error('machine not found by tag');
    const search = page.locator('input[type=search]');
    for (const q of [
      `os:${inv.osName.split(' ')[0]}`,
      `user:${inv.loggedOnUser}`,
      `ip:${inv.ipAddresses[0] ?? '127.0.0.1'}`,
      'tag:frontdesk',
      `os:${inv.osName.split(' ')[0]} tag:frontdesk`,
    ]) {
      await search.fill(q);
      await expect
        .poll(() => page.locator('tr', { hasText: 'Reception PC' }).count(), { timeout: 5000 })
        .toBe(1);
    }
    await search.fill('tag:nosuchtag');
    await expect
      .poll(() => page.locator('tr', { hasText: 'Reception PC' }).count(), { timeout: 5000 })
      .toBe(0);
    await search.fill('');
  });

  it('joins without any prompt on the agent and sees the desktop', async () => {
    await page.locator('tr', { hasText: 'Reception PC' }).locator('button', { hasText: 'Connect' }).click();
    await page.waitForURL(/#\/sessions\/[^/]+$/);
    await page.goto(`${page.url()}/view`);
    await expect
      .poll(() => framePixel(page, 10, 10), { timeout: 20_000, interval: 200 })
      .toEqual(ROOT_COLOUR);
    expect(consentAsked).toBe(0);
    await page.screenshot({ path: join(root, 'test-artifacts', 'console', 'unattended-viewer.png') });
  });

  it('survives a server restart: the agent comes back by itself and no ghost live session remains', async () => {
    const port = new URL(t.server.url).port;
    const dataDir = t.dataDir;
    await t.server.close();
    t = await startTestServer(
      {
        GC_DATA_DIR: dataDir,
        GC_PORT: port,
        GC_INTEGRATION_KEY: INTEGRATION_KEY,
        GC_EMBED_ALLOWED_ORIGINS: rmmOrigin,
      },
      { assetsDir, keepAdminFrom: t },
    );
    const { token } = await t.client(AuthService).login({ email: ADMIN_EMAIL, password: t.adminPassword });
    const sessions = t.client(SessionService, token);
    const live = (await sessions.listSessions({ liveOnly: true })).sessions;
    expect(live.filter((s) => s.state === SessionState_State.ACTIVE)).toEqual([]);
    await expect.poll(() => agent?.state.kind, { timeout: 20_000 }).toBe('connected');
    const admin = {
      principal: {
        kind: 'user' as const,
        userId: 'e2e',
        email: ADMIN_EMAIL,
        role: 'admin' as const,
        via: 'jwt' as const,
      },
    };
    await expect
      .poll(
        async () =>
          (await t.server.kit.machines.search(admin, 'tag:frontdesk')).machines.map((m) => m.online),
        { timeout: 20_000 },
      )
      .toEqual([true]);
  });
});
