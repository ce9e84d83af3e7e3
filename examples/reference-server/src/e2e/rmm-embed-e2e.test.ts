// examples/rmm-embed, the integrator's view: its integration code stays under 40 lines, and its
// "Remote Control" button shows a live session both ways — <gc-viewer> on the RMM's own page and
// GuruConnect's embed page in an iframe — with no operator login anywhere.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Agent, createAgent } from '@guruconnect/agent-core';
import { type RmmExample, startRmmExample } from '@guruconnect/rmm-embed';
import { type Browser, chromium, type Frame, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../test-support/test-server.js';
import { DesktopFixture } from './desktop-fixture.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..', '..');
const KEY = `gik_${'RmmEmbedExampleIntegrationKey0123'.slice(0, 33)}`;
const COLOUR = [0x80, 0x20, 0x60];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

describe('the integration code', () => {
  it('is under 40 lines', () => {
    const text = readFileSync(join(root, 'examples', 'rmm-embed', 'src', 'remote-control.ts'), 'utf8');
    const code = text.split('\n').filter((l) => l.trim() !== '' && !/^\s*(\/\/|\/\*\*|\*)/.test(l));
    expect(code.length).toBeLessThan(40);
  });
});

describe('example RMM page', () => {
  let desktop: DesktopFixture;
  let t: TestServer;
  let rmm: RmmExample;
  let agent: Agent;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    desktop = await DesktopFixture.start(800, 600);
    desktop.paintRoot('#802060');
    const rmmPort = await freePort();
    t = await startTestServer(
      { GC_INTEGRATION_KEY: KEY, GC_EMBED_ALLOWED_ORIGINS: `http://127.0.0.1:${rmmPort}` },
      { assetsDir: join(root, 'examples', 'reference-server', 'dist', 'public') },
    );
    rmm = await startRmmExample({ gcUrl: t.server.url, integrationKey: KEY, port: rmmPort });
    agent = createAgent({
      server: t.server.url,
      agentKey: rmm.agentKey,
      deviceId: 'demo-device',
      persistent: true,
      display: desktop.display,
      machineUid: 'rmm-embed-e2e',
    });
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage({ viewport: { width: 900, height: 1300 } });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await agent?.close();
    await rmm?.close();
    await t?.stop();
    await desktop?.close();
  }, 60_000);

  it('opens the session on the RMM page and in the embed iframe', async () => {
    await page.goto(rmm.url);
    await page.click('#remote-control');
    await expect
      .poll(() => pixel(page.locator('#direct canvas').first()), { timeout: 20_000, interval: 250 })
      .toEqual(COLOUR);
    const frame = (await (await page.waitForSelector('#embed')).contentFrame()) as Frame;
    await expect
      .poll(() => pixel(frame.locator('gc-viewer canvas').first()), { timeout: 20_000, interval: 250 })
      .toEqual(COLOUR);
    await expect
      .poll(() => page.evaluate(() => document.body.dataset.embedConnected), { timeout: 10_000 })
      .toBe('yes');
    await page.screenshot({ path: join(root, 'test-artifacts', 'console', 'rmm-embed.png') });
  });
});

function pixel(canvas: ReturnType<Page['locator']>): Promise<number[]> {
  return canvas.evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')?.getImageData(20, 20, 1, 1).data;
    return d ? [d[0] ?? -1, d[1] ?? -1, d[2] ?? -1] : [];
  });
}
