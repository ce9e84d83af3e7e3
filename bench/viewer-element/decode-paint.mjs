// Benchmark of <gc-viewer>'s decode + paint path in headless Chromium (run `npm run build` first).
//
//   node bench/viewer-element/decode-paint.mjs [--quick]
//
// 1. The built element joins an in-process test relay over a real WebSocket; the relay sends
//    1920×1080 frames one at a time and reads the viewer's own measurement from each FrameAck
//    (paint_time_us: envelope decode + zstd decode + swizzle + putImageData).
//    The first full frame of the page (cold WebAssembly, no tier-up yet) is reported apart.
// 2. Decoder throughput: fzstd (pure JS), zstddec (WebAssembly, from the registry) and the
//    element's own WebAssembly build (wasm/build.mjs; alone, with its in-place swizzle, and in a
//    Worker), on the same payloads, in MB/s of decoded BGRA.
// 3. The stages after decoding for one full frame: BGRA→RGBA swizzle in JS and putImageData.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Channel, Codec, decodeEnvelope, encodeEnvelope, SessionState_State } from '@guruconnect/protocol';
import { compress } from '@mongodb-js/zstd';
import { chromium } from 'playwright-core';
import { WebSocketServer } from 'ws';
import { bundleForBrowser } from '../lib/browser-bundle.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const quick = process.argv.includes('--quick');
const W = 1920;
const H = 1080;
const FULL_FRAMES = quick ? 8 : 30;
const PARTIAL_FRAMES = quick ? 50 : 300;
const MIN_MS = quick ? 500 : 1500;
const progress = (what) => process.stderr.write(`[bench] ${what}\n`);

// ---- content -------------------------------------------------------------------------------

function put(buf, i, r, g, b) {
  buf[i] = b;
  buf[i + 1] = g;
  buf[i + 2] = r;
  buf[i + 3] = 255;
}

/** Wallpaper gradient, taskbar, two windows of text-like glyph rows: compresses like a desktop. */
function desktop(width, height, photo = false) {
  const out = Buffer.alloc(width * height * 4);
  let seed = 12345;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      if (y >= height - 40) {
        put(out, i, 32, 34, 40);
      } else if (x >= 200 && x < 1300 && y >= 100 && y < 900) {
        const line = (y - 136) % 18;
        const glyph = y >= 136 && line < 12 && ((x * 7) ^ (y * 3) ^ (x >> 3)) % 5 < 2 && x % 96 < 88;
        if (y < 128) put(out, i, 60, 90, 160);
        else if (glyph) put(out, i, 25, 25, 25);
        else put(out, i, 250, 250, 250);
      } else if (photo && x >= 1350 && x < 1850 && y >= 300 && y < 700) {
        // A photo: smooth colour with sensor-like noise (nearly incompressible).
        seed ^= seed << 13;
        seed ^= seed >>> 17;
        seed ^= seed << 5;
        const n = seed & 0x3f;
        put(out, i, (x >> 2) + n, (y >> 2) + n, 128 + (n >> 1));
      } else {
        put(out, i, (x * 255) / width, 90, (y * 255) / height);
      }
    }
  }
  return out;
}

function noise(width, height) {
  const out = Buffer.alloc(width * height * 4);
  let s = 99;
  for (let i = 0; i < out.length; i += 4) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    put(out, i, s & 0xff, (s >>> 8) & 0xff, (s >>> 16) & 0xff);
  }
  return out;
}

function crop(src, srcWidth, x, y, width, height) {
  const out = Buffer.alloc(width * height * 4);
  for (let row = 0; row < height; row++) {
    src.copy(out, row * width * 4, ((y + row) * srcWidth + x) * 4, ((y + row) * srcWidth + x + width) * 4);
  }
  return out;
}

async function zrect(src, srcWidth, x, y, width, height) {
  const payload = await compress(crop(src, srcWidth, x, y, width, height), 3);
  return { x, y, width, height, codec: Codec.ZSTD_BGRA, payload };
}

progress('generating frames');
const desk = desktop(W, H);
const deskPhoto = desktop(W, H, true);
const noisy = noise(W, H);
const cases = {
  'full 1080p desktop, 1 rect': [await zrect(desk, W, 0, 0, W, H)],
  'full 1080p desktop, 64×64 tiles': await tiles(desk),
  'full 1080p desktop + photo, 1 rect': [await zrect(deskPhoto, W, 0, 0, W, H)],
  // What typing in an editor or moving a window edge damages: a few tiles and a strip.
  'partial: 4 tiles + 1 strip': [
    await zrect(desk, W, 256, 384, 64, 64),
    await zrect(desk, W, 320, 384, 64, 64),
    await zrect(desk, W, 384, 384, 64, 64),
    await zrect(desk, W, 448, 384, 64, 64),
    await zrect(desk, W, 0, 1040, 512, 40),
  ],
};

async function tiles(src) {
  const rects = [];
  for (let y = 0; y < H; y += 64) {
    for (let x = 0; x < W; x += 64)
      rects.push(await zrect(src, W, x, y, Math.min(64, W - x), Math.min(64, H - y)));
  }
  return rects;
}

const payloads = {
  desktop: await compress(desk, 3),
  'desktop + photo': await compress(deskPhoto, 3),
  'noise (worst case)': await compress(noisy, 3),
};

// ---- page, relay, browser ------------------------------------------------------------------

const bundle = (entry) => bundleForBrowser(join(here, entry));
progress('bundling the page');
const pageJs = await bundle('bench-page.js');
const workerJs = await bundle('decode-worker.js');
const payloadUrls = Object.fromEntries(Object.keys(payloads).map((name, i) => [name, `/payload/${i}`]));

const server = createServer((req, res) => {
  if (req.url === '/page.js' || req.url === '/worker.js') {
    res.writeHead(200, { 'content-type': 'text/javascript' }).end(req.url === '/page.js' ? pageJs : workerJs);
    return;
  }
  const name = Object.keys(payloadUrls).find((n) => payloadUrls[n] === req.url);
  if (name !== undefined) {
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(payloads[name]);
    return;
  }
  res
    .writeHead(200, { 'content-type': 'text/html' })
    .end(
      '<!doctype html><meta charset="utf-8"><body style="margin:0"><script type="module" src="/page.js"></script>',
    );
});
const wss = new WebSocketServer({ noServer: true });
server.on('upgrade', (req, socket, head) =>
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws)),
);
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  timeout: 30_000,
});

try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (error) => progress(`page error: ${error.message}`));
  page.on('console', (message) => progress(`page: ${message.text()}`));
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => 'bench' in window);

  // The viewer, through the protocol.
  const connected = new Promise((resolve) => wss.once('connection', resolve));
  await page.evaluate((server) => window.bench.create(server), origin);
  const ws = await connected;
  const acks = [];
  let ackWaiter;
  let helloDone;
  const hello = new Promise((resolve) => {
    helloDone = resolve;
  });
  ws.on('message', (data) => {
    const env = decodeEnvelope(new Uint8Array(data));
    if (env.payload.case === 'viewerHello') {
      ws.send(encodeEnvelope({ payload: { case: 'helloResult', value: { channels: [Channel.VIEW] } } }));
      ws.send(
        encodeEnvelope({ payload: { case: 'sessionState', value: { state: SessionState_State.ACTIVE } } }),
      );
      helloDone();
    } else if (env.payload.case === 'heartbeat' && !env.payload.value.reply) {
      ws.send(
        encodeEnvelope({ payload: { case: 'heartbeat', value: { ...env.payload.value, reply: true } } }),
      );
    } else if (env.payload.case === 'frameAck') {
      acks.push(env.payload.value);
      ackWaiter?.();
    }
  });
  await hello;
  let sequence = 0;
  async function sendFrame(rects, keyFrame) {
    sequence++;
    const bytes = encodeEnvelope({
      payload: {
        case: 'videoFrame',
        value: {
          sequence: BigInt(sequence),
          displayWidth: W,
          displayHeight: H,
          rects,
          keyFrame,
          captureTimeUs: 1n,
        },
      },
    });
    const sent = performance.now();
    const acked = new Promise((resolve) => {
      ackWaiter = resolve;
    });
    ws.send(bytes);
    await acked;
    const ack = acks.at(-1);
    if (ack.sequence !== BigInt(sequence)) throw new Error(`ack ${ack.sequence} for frame ${sequence}`);
    return {
      paintMs: ack.paintTimeUs / 1000,
      roundTripMs: performance.now() - sent,
      bytes: bytes.byteLength,
    };
  }

  const paint = {};
  const first = await sendFrame(Object.values(cases)[0], true);
  for (const [name, rects] of Object.entries(cases)) {
    progress(`painting: ${name}`);
    const n = name.startsWith('partial') ? PARTIAL_FRAMES : FULL_FRAMES;
    for (let i = 0; i < 3; i++) await sendFrame(rects, !name.startsWith('partial')); // warm up
    const runs = [];
    for (let i = 0; i < n; i++) runs.push(await sendFrame(rects, !name.startsWith('partial')));
    const sorted = runs.map((r) => r.paintMs).sort((a, b) => a - b);
    paint[name] = {
      frames: n,
      wireKiB: Math.round(runs[0].bytes / 1024),
      medianMs: sorted[Math.floor(n / 2)],
      p95Ms: sorted[Math.floor(n * 0.95)],
      roundTripMedianMs: runs.map((r) => r.roundTripMs).sort((a, b) => a - b)[Math.floor(n / 2)],
    };
  }

  const decoders = {};
  for (const [name, url] of Object.entries(payloadUrls)) {
    progress(`decoders: ${name}`);
    decoders[name] = await page.evaluate(
      ([url, size, minMs]) => window.bench.decoders(url, size, minMs),
      [url, W * H * 4, MIN_MS],
    );
    decoders[name].ratio = (W * H * 4) / payloads[name].byteLength;
  }
  const coldDecodeMs = await page.evaluate(
    ([url, size]) => window.bench.coldDecode(url, size),
    [payloadUrls.desktop, W * H * 4],
  );
  const stages = await page.evaluate(([w, h, minMs]) => window.bench.stages(w, h, minMs), [W, H, MIN_MS]);

  const fmt = (n) => n.toFixed(2).padStart(8);
  console.log(`\n<gc-viewer> decode + paint per frame (viewer's own FrameAck.paint_time_us), ${W}×${H}`);
  console.log('case                                   wire KiB   median ms   p95 ms   send→ack median ms');
  for (const [name, r] of Object.entries(paint)) {
    console.log(
      `${name.padEnd(38)} ${String(r.wireKiB).padStart(8)}  ${fmt(r.medianMs)}   ${fmt(r.p95Ms)}   ${fmt(r.roundTripMedianMs)}`,
    );
  }
  console.log(
    `first full frame of the page (cold WebAssembly): ${first.paintMs.toFixed(2)} ms; a fresh decoder's first desktop decode: ${coldDecodeMs.toFixed(2)} ms`,
  );
  const full = paint['full 1080p desktop, 1 rect'].medianMs;
  console.log(
    `target: full 1080p frame decoded and painted in < 16 ms — ${full < 16 ? 'met' : 'NOT met'} (median ${full.toFixed(2)} ms, ${(full / 16).toFixed(2)}× the budget)`,
  );
  console.log(`\nzstd decoder throughput, one ${W}×${H} BGRA frame (MB/s of decoded output; ms per frame)`);
  const labels = Object.keys(Object.values(decoders)[0]).filter((k) => k !== 'ratio');
  console.log(`payload               ratio  ${labels.map((l) => l.padStart(24)).join('')}`);
  for (const [name, r] of Object.entries(decoders)) {
    const cells = labels
      .map((l) => `${r[l].mbps.toFixed(0)} MB/s ${r[l].ms.toFixed(1)} ms`.padStart(24))
      .join('');
    console.log(`${name.padEnd(20)} ${r.ratio.toFixed(1).padStart(6)}  ${cells}`);
  }
  const d = decoders.desktop;
  const zstddecPath = d['zstddec main'].ms + stages.swizzle;
  console.log(
    `desktop frame, decode + swizzle: element (gc wasm, in place) ${d['gc wasm main, +swizzle'].ms.toFixed(2)} ms vs zstddec + JS swizzle ${zstddecPath.toFixed(2)} ms (${(zstddecPath / d['gc wasm main, +swizzle'].ms).toFixed(2)}×) vs fzstd + JS swizzle ${(d['fzstd main'].ms + stages.swizzle).toFixed(2)} ms; gc wasm in a Worker ${(d['gc wasm main'].ms / d['gc wasm worker'].ms).toFixed(2)}× the main thread`,
  );
  console.log(
    `\nafter decoding, per full frame: BGRA→RGBA swizzle ${stages.swizzle.toFixed(2)} ms, putImageData ${stages.put.toFixed(2)} ms`,
  );

  const results = join(here, '..', 'results');
  mkdirSync(results, { recursive: true });
  writeFileSync(
    join(results, 'viewer-element.json'),
    JSON.stringify(
      {
        at: new Date().toISOString(),
        quick,
        firstFrameMs: first.paintMs,
        coldDecodeMs,
        paint,
        decoders,
        stages,
      },
      null,
      2,
    ),
  );
} finally {
  await browser.close();
  for (const client of wss.clients) client.terminate();
  wss.close();
  server.close();
}
