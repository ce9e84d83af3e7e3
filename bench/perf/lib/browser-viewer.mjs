// <gc-viewer> in headless Chromium (Debian's /usr/bin/chromium through playwright-core) joined
// to the bench relay, for keystroke → painted. The page is served from a loopback HTTP server
// (Chromium's local-network checks let a loopback page reach the loopback relay), an origin the
// bench relay allows.
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { bundleForBrowser } from '../../lib/browser-bundle.mjs';
import { sleep } from './env.mjs';
import { keyLatencies, typeKeys, XK_BACKSPACE } from './keys.mjs';

const PAGE = fileURLToPath(new URL('./browser-page.js', import.meta.url));

export async function openBrowserViewer({ port }) {
  const script = await bundleForBrowser(PAGE);
  const html =
    '<!doctype html><meta charset="utf-8"><body style="margin:0"><script type="module" src="/page.js"></script>';
  const server = createServer((req, res) => {
    if (req.url === '/page.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    else res.writeHead(200, { 'content-type': 'text/html' }).end(html);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    timeout: 30_000,
  });
  const close = async () => {
    await browser.close();
    server.close();
  };
  try {
    const page = await browser.newPage({ viewport: { width: 1300, height: 760 } });
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    await page.waitForFunction(() => 'benchOpen' in window);
    await page.evaluate((relay) => window.benchOpen(relay), `http://127.0.0.1:${port}`);
    await page
      .waitForFunction(() => window.benchConnected === true, undefined, { timeout: 15_000 })
      .catch(async (error) => {
        const log = await page.evaluate(() => window.benchLog.join('; '));
        throw new Error(`<gc-viewer> did not connect: ${log}`, { cause: error });
      });
    return {
      /** Wall-clock times (ms) at which the element acknowledged painted frames. */
      acks: () => page.evaluate(() => window.benchAcks()),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Keystroke → painted in headless Chromium: <gc-viewer> joins the same session, the same
 * injector types 30 keys at 10/s into the idle xterm, and each key's latency runs to the first
 * FrameAck the element sends after painting (wall clock on both sides).
 */
export async function typingInBrowser(ctx) {
  const viewer = await openBrowserViewer({ port: ctx.port });
  try {
    await sleep(1000); // the key frame painted, the screen quiet again
    const keys = 30;
    const starts = await typeKeys(ctx, keys, (i) => (i < keys / 2 ? 0x61 + i : XK_BACKSPACE));
    await sleep(200);
    return { keys, ...keyLatencies(starts, await viewer.acks()) };
  } finally {
    await viewer.close();
  }
}
