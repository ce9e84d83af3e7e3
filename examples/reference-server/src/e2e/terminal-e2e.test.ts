// Terminal mode through the product: a headless server (no X display) runs the agent in
// terminal-only mode; a technician opens its terminal from the console, runs a command, and the
// session is recorded and replayable from the Recordings page.
import { join } from 'node:path';
import { type Agent, createAgent } from '@guruconnect/agent-core';
import { createIntegrationClient } from '@guruconnect/protocol';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_EMAIL, startTestServer, type TestServer } from '../test-support/test-server.js';

const root = join(import.meta.dirname, '..', '..', '..', '..');
const KEY = `gik_${'TerminalModeEndToEndIntegration00'.slice(0, 33)}`;

let t: TestServer;
let agent: Agent;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  t = await startTestServer(
    { GC_INTEGRATION_KEY: KEY },
    { assetsDir: join(root, 'examples', 'reference-server', 'dist', 'public') },
  );
  const { agentKey } = await createIntegrationClient({
    baseUrl: t.server.url,
    integrationKey: KEY,
  }).provisionAgentKey({
    deviceId: 'headless-1',
    displayName: 'Headless server',
  });
  agent = createAgent({
    server: t.server.url,
    agentKey,
    machineUid: 'headless-e2e',
    display: ':4242', // nothing there: the agent falls back to terminal-only mode
    terminalOnly: 'auto',
    allowRootShell: true, // CI runs as root
  });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await agent?.close();
  await t?.stop();
}, 60_000);

const terminalText = (viewer: Locator) =>
  viewer.evaluate((el) => {
    const term = (
      el as unknown as {
        terminal?: {
          buffer: {
            active: {
              length: number;
              getLine(y: number): { translateToString(trim: boolean): string } | undefined;
            };
          };
        };
      }
    ).terminal;
    if (!term) return '';
    const b = term.buffer.active;
    return Array.from({ length: b.length }, (_, y) => b.getLine(y)?.translateToString(true) ?? '').join('\n');
  });

describe('terminal mode from the console', () => {
  it('opens a shell on a machine without a display and runs a command', async () => {
    await page.goto(t.server.url);
    await page.fill('input[name=email]', ADMIN_EMAIL);
    await page.fill('input[name=password]', t.adminPassword);
    await page.click('button[type=submit]');
    const row = page.locator('tr', { hasText: 'Headless server' });
    await expect.poll(() => row.locator('.pill.online').count(), { timeout: 20_000 }).toBe(1);
    await row.locator('button', { hasText: 'Connect' }).click();
    await page.waitForURL(/#\/sessions\/[^/]+$/);
    await page.goto(`${page.url()}/terminal`);
    const viewer = page.locator('gc-viewer[mode=terminal]');
    await expect.poll(() => terminalText(viewer), { timeout: 20_000 }).toMatch(/[#$] *$/m);
    await viewer.click();
    await page.keyboard.type('echo $((6*7))\n');
    await expect.poll(() => terminalText(viewer), { timeout: 10_000 }).toMatch(/^42\s*$/m);
    await page.screenshot({ path: join(root, 'test-artifacts', 'console', 'terminal.png') });
  });

  it('records the session and replays it from the Recordings page', async () => {
    await page.click('text=End session');
    await page.waitForURL(/#\/sessions$/);
    await page.click('a[href="#/recordings"]');
    const rec = page.locator('tr[data-recording-id]').first();
    await rec.waitFor({ timeout: 15_000 });
    await rec.locator('button', { hasText: 'Play' }).click();
    const player = page.locator('gc-viewer[mode=playback]');
    await player.locator('button', { hasText: 'Play' }).click();
    await expect
      .poll(() => terminalText(player), { timeout: 20_000 })
      .toMatch(/^42\s*$/m)
      .finally(() =>
        page.screenshot({ path: join(root, 'test-artifacts', 'console', 'recording-playback.png') }),
      );
  });
});
