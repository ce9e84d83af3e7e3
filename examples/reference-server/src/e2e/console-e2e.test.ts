// End to end, as a technician and an end user would live it: a real server, a real Xvfb with an
// X client, the real `gc-agent` CLI, and the console in headless Chromium. Once on PGlite and
// once on PostgreSQL.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuditService, AuthService } from '@guruconnect/protocol';
import pg from 'pg';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_EMAIL, startTestServer, type TestServer } from '../test-support/test-server.js';
import { DesktopFixture } from './desktop-fixture.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..', '..');
const agentCli = join(root, 'packages', 'agent-core', 'dist', 'cli', 'gc-agent.js');
const artifacts = join(root, 'test-artifacts', 'console');
const ROOT_COLOUR = [0x20, 0x50, 0xa0];
const XEV = { x: 300, y: 200, w: 320, h: 240 };

let browser: Browser;
beforeAll(() => {
  // The console bundle and the agent CLI are what a user runs: build both from the current sources.
  execFileSync(process.execPath, [join(root, 'examples', 'reference-server', 'build-assets.mjs')], {
    stdio: 'ignore',
  });
  execFileSync(join(root, 'node_modules', '.bin', 'tsc'), ['-b', join(root, 'packages', 'agent-core')], {
    stdio: 'inherit',
  });
  mkdirSync(artifacts, { recursive: true });
}, 120_000);
beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});
afterAll(() => browser?.close());

const drivers = [
  { name: 'PGlite', env: async () => ({}), drop: async () => undefined },
  {
    name: 'PostgreSQL',
    database: `gc_e2e_${process.pid}_${Date.now()}`,
    async env() {
      const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' });
      await admin.connect();
      await admin.query(`create database ${this.database}`);
      await admin.end();
      return { DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${this.database}` };
    },
    async drop() {
      const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/test' });
      await admin.connect();
      await admin.query(`drop database if exists ${this.database} with (force)`);
      await admin.end();
    },
  },
];

describe.each(drivers)('support session end to end on $name', (driver) => {
  let desktop: DesktopFixture;
  let t: TestServer;
  let page: Page;
  let agent: ChildProcess | undefined;
  let agentLog = '';

  beforeAll(async () => {
    desktop = await DesktopFixture.start();
    desktop.paintRoot('#2050a0');
    await desktop.openRecorder(XEV.x, XEV.y, XEV.w, XEV.h);
    t = await startTestServer(await driver.env(), {
      assetsDir: join(root, 'examples', 'reference-server', 'dist', 'public'),
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  }, 120_000);
  afterAll(async () => {
    await page?.close();
    if (agent && agent.exitCode === null) {
      agent.kill('SIGKILL');
      await once(agent, 'exit');
    }
    await t?.stop();
    await desktop?.close();
    await driver.drop();
  }, 60_000);

  const shot = (name: string) =>
    page.screenshot({ path: join(artifacts, `${driver.name.toLowerCase()}-${name}.png`) });

  it('signs in, generates a support code, the agent connects and the end user accepts', async () => {
    await page.goto(t.server.url);
    await page.fill('input[name=email]', ADMIN_EMAIL);
    await page.fill('input[name=password]', t.adminPassword);
    await page.click('button[type=submit]');
    await page.waitForSelector('text=Machines');
    await shot('machines-empty');

    await page.click('a[href="#/sessions"]');
    await page.click('text=Generate support code');
    const code = (await page.locator('[data-code]').textContent())?.trim() ?? '';
    expect(code).toMatch(/^\d{6,}$/);
    await shot('support-code');

    agent = spawn(
      process.execPath,
      [agentCli, 'connect', '--server', t.server.url, '--code', code, '--display', desktop.display],
      {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { ...process.env, DISPLAY: desktop.display, PATH: '/usr/bin:/bin' },
      },
    );
    const consentAsked = new Promise<void>((resolve) => {
      const onData = (chunk: Buffer) => {
        agentLog += String(chunk);
        if (agentLog.includes('[y/N]')) resolve();
      };
      agent?.stdout?.on('data', onData);
      agent?.stderr?.on('data', onData);
    });
    // The console shows the agent connecting; the technician joins.
    const join = page.locator('[data-testid=support-code] a', { hasText: 'Join' });
    await join.waitFor({ timeout: 20_000 });
    await join.click();
    await consentAsked;
    agent.stdin?.write('y\n');
  });

  it('shows the X client’s pixels on the canvas', async () => {
    const canvas = page.locator('gc-viewer canvas').first();
    await expect
      .poll(() => pixel(page, 10, 10), { timeout: 20_000, interval: 200 })
      .toEqual(ROOT_COLOUR)
      .catch(async (err: unknown) => {
        await shot('viewer-failed');
        const status = await page.locator('gc-viewer [part=status]').textContent();
        throw new Error(`canvas never showed the desktop (viewer status: ${status})\n${agentLog}`, {
          cause: err,
        });
      });
    expect(await pixel(page, 1000, 700)).toEqual(ROOT_COLOUR);
    // xev's window is white inside.
    expect(await pixel(page, XEV.x + XEV.w / 2, XEV.y + XEV.h / 2)).toEqual([255, 255, 255]);
    expect(await canvas.evaluate((c: HTMLCanvasElement) => [c.width, c.height])).toEqual([1024, 768]);
    // The console's CSP lets the viewer compile its zstd WebAssembly (else it falls back to fzstd).
    const wasm = await page.evaluate(() =>
      WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])).then(
        () => 'compiled',
        (error: unknown) => String(error),
      ),
    );
    expect(wasm).toBe('compiled');
    await shot('viewer');
  });

  it('delivers a click and typed text to the X client', async () => {
    const box = await page.locator('gc-viewer canvas').first().boundingBox();
    if (!box) throw new Error('canvas not visible');
    const target = { x: XEV.x + 100, y: XEV.y + 80 };
    await page.mouse.click(box.x + (target.x * box.width) / 1024, box.y + (target.y * box.height) / 768);
    await expect.poll(() => desktop.clicks(), { timeout: 10_000 }).not.toEqual([]);
    const click = desktop.clicks()[0];
    expect(click?.button).toBe(1);
    // Fit mode scales the screen; the click must land within a pixel of the target.
    expect(Math.abs((click?.x ?? 0) - target.x)).toBeLessThanOrEqual(1);
    expect(Math.abs((click?.y ?? 0) - target.y)).toBeLessThanOrEqual(1);
    await page.keyboard.type('hi!');
    await expect
      .poll(() => desktop.keys().filter((k) => k !== 'Shift_L'), { timeout: 10_000 })
      .toEqual(['h', 'i', 'exclam']);
  });

  it('ends the session; the agent exits and the audit log shows every step', async () => {
    if (!agent) throw new Error('no agent');
    // Listen before clicking: the agent can exit before the click's promise settles.
    const exited = once(agent, 'exit');
    await page.click('text=End session');
    const [exitCode] = await Promise.race([
      exited,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`agent did not exit:\n${agentLog}`)), 15_000),
      ),
    ]);
    expect(exitCode).toBe(0);
    await t.server.kit.drainEvents();
    const { token } = await t.client(AuthService).login({ email: ADMIN_EMAIL, password: t.adminPassword });
    const { events } = await t.client(AuditService, token).listAuditEvents({ pageSize: 500 });
    const types = events.map((e) => e.type);
    for (const step of [
      'auth.login',
      'support-code.created',
      'support-code.redeem',
      'agent.connected',
      'viewer-token.minted',
      'viewer.joined',
      'consent.granted',
      'session.started',
      'session.ended',
    ]) {
      expect(types, `audit log lacks ${step}`).toContain(step);
    }
    await page.click('a[href="#/audit"]');
    await page.waitForSelector('[data-audit-type="session.ended"]');
    await shot('audit');
  });

  it('manages keys (shown once) and users from the console', async () => {
    await page.click('a[href="#/keys"]');
    await page.fill('input[name=name]', 'Head office');
    await page.fill('input[name=company]', 'Acme');
    await page.fill('input[name=site]', 'HQ');
    await page.click('form >> text=Create');
    const secret = (await page.locator('[data-secret]').textContent())?.trim() ?? '';
    expect(secret).toMatch(/^gek_[0-9A-Za-z]{33}$/);
    await shot('keys-created');
    expect(await page.getByText(secret).count()).toBe(1);
    await page.click('text=I have copied it');
    // Only the fingerprint remains; the secret is nowhere on the page any more.
    await expect.poll(() => page.getByText(secret).count()).toBe(0);
    await expect.poll(() => page.locator('tr', { hasText: 'Head office' }).count()).toBe(1);
    await page.click('a[href="#/users"]');
    await expect.poll(() => page.locator('tr', { hasText: ADMIN_EMAIL }).count()).toBe(1);
    await shot('users');
  });
});

/** One pixel of the viewer's canvas, in display coordinates, as [r, g, b]. */
function pixel(page: Page, x: number, y: number): Promise<number[]> {
  return page
    .locator('gc-viewer canvas')
    .first()
    .evaluate(
      (c: HTMLCanvasElement, [px, py]) => {
        const data = c.getContext('2d')?.getImageData(px as number, py as number, 1, 1).data;
        return data ? [data[0] ?? -1, data[1] ?? -1, data[2] ?? -1] : [];
      },
      [x, y],
    );
}
