// The scripted workloads, driven identically for every system, and what is measured in each.
import { fileURLToPath } from 'node:url';
import { cpuMeter, lines, percentile, sleep, spawnChild, stopChild, wallMs } from './env.mjs';
import { NOISE, noiseFrame, SCREEN, SLIDES, slideFrame, VIDEO, videoFrame } from './frames.mjs';
import { keyLatencies, typeKeys, XK_BACKSPACE } from './keys.mjs';

export const WINDOW_MS = Number(process.env.GC_BENCH_WINDOW_MS ?? 5000);
const PAINTER = fileURLToPath(new URL('./painter.mjs', import.meta.url));

let sources;
/** The painted images, for PSNR (generated once, like the painter does). */
function sourceImages() {
  sources ??= {
    video: { region: VIDEO, frames: Array.from({ length: VIDEO.frames }, (_, k) => videoFrame(k)) },
    noise: {
      region: { x: 0, y: 0, ...SCREEN },
      frames: Array.from({ length: NOISE.frames }, (_, k) => noiseFrame(k)),
    },
  };
  return sources;
}

/**
 * Records the updates a client reports while `body` runs, with CPU of `pids`. Returns the
 * updates, the measured seconds and cores per pid.
 */
async function record(ctx, body) {
  const updates = [];
  ctx.sink = (u) => updates.push(u);
  const meter = cpuMeter(ctx.pids);
  const t0 = wallMs();
  meter.start();
  const self = process.cpuUsage();
  const extra = await body(updates);
  const cores = meter.stop();
  const used = process.cpuUsage(self);
  const seconds = (wallMs() - t0) / 1000;
  ctx.sink = undefined;
  return { updates, seconds, cores, clientCores: (used.user + used.system) / 1e6 / seconds, t0, ...extra };
}

function summary(r) {
  const bytes = r.updates.reduce((s, u) => s + u.bytes, 0);
  return {
    seconds: r.seconds,
    updates: r.updates.length,
    updatesPerSec: r.updates.length / r.seconds,
    bytes,
    bytesPerUpdate: r.updates.length === 0 ? 0 : bytes / r.updates.length,
    cores: r.cores,
    clientCores: r.clientCores,
  };
}

/** PSNR (dB) of the lossy rectangles' decoded pixels against the best-matching source frame. */
function psnr(updates, source, maxSamples = 48) {
  const lossy = [];
  for (const u of updates) for (const r of u.rects) if (r.lossy && r.pixels !== undefined) lossy.push(r);
  if (lossy.length === 0) return { psnr: Number.NaN, lossyRects: 0 };
  const step = Math.max(1, Math.floor(lossy.length / maxSamples));
  const { region, frames } = source;
  let sse = 0;
  let count = 0;
  for (let i = 0; i < lossy.length; i += step) {
    const r = lossy[i];
    const x0 = Math.max(r.x, region.x);
    const y0 = Math.max(r.y, region.y);
    const x1 = Math.min(r.x + r.width, region.x + region.width);
    const y1 = Math.min(r.y + r.height, region.y + region.height);
    if (x1 <= x0 || y1 <= y0) continue;
    const px = new Uint32Array(
      r.pixels.data.buffer,
      r.pixels.data.byteOffset,
      r.pixels.width * r.pixels.height,
    );
    const errorOf = (frame, sub) => {
      let e = 0;
      let n = 0;
      for (let y = y0; y < y1; y += sub) {
        for (let x = x0; x < x1; x += sub) {
          const a = px[(y - r.y) * r.pixels.width + (x - r.x)];
          const b = frame[(y - region.y) * region.width + (x - region.x)];
          const d0 = (a & 0xff) - (b & 0xff);
          const d1 = ((a >> 8) & 0xff) - ((b >> 8) & 0xff);
          const d2 = ((a >> 16) & 0xff) - ((b >> 16) & 0xff);
          e += d0 * d0 + d1 * d1 + d2 * d2;
          n += 3;
        }
      }
      return { e, n };
    };
    let best;
    let bestE = Number.POSITIVE_INFINITY;
    for (const frame of frames) {
      const { e, n } = errorOf(frame, 7);
      if (e / n < bestE) {
        bestE = e / n;
        best = frame;
      }
    }
    const { e, n } = errorOf(best, 1);
    sse += e;
    count += n;
  }
  const mse = sse / count;
  return {
    psnr: mse === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((255 * 255) / mse),
    lossyRects: lossy.length,
  };
}

function painter(ctx, mode) {
  const child = spawnChild(process.execPath, [PAINTER, ctx.display, mode], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const out = lines(child.stdout);
  return {
    child,
    out,
    ready: () => out.next(60_000),
    start: () => child.stdin.write('start\n'),
    /** Stops painting (the background is restored); resolves with the lines printed meanwhile. */
    async stop() {
      child.stdin.write('stop\n');
      const seen = [];
      for (;;) {
        const line = await out.next();
        if (line === 'stopped') break;
        seen.push(line);
      }
      child.stdin.end();
      await stopChild(child);
      return seen;
    },
  };
}

export async function staticDesktop(ctx) {
  await sleep(1000);
  const r = await record(ctx, () => sleep(WINDOW_MS));
  return summary(r);
}

/** Keys at 10/s into the xterm running `cat`: 30 letters then 30 backspaces, and again. */
export async function typing(ctx) {
  await sleep(500);
  const keys = Math.round(WINDOW_MS / 100);
  let starts = [];
  const r = await record(ctx, async () => {
    starts = await typeKeys(ctx, keys, (i) =>
      Math.floor(i / 30) % 2 === 0 ? 0x61 + (i % 26) : XK_BACKSPACE,
    );
  });
  if (process.env.GC_BENCH_DEBUG) {
    for (const u of r.updates.slice(0, 12))
      console.error(u.bytes, u.rects.map((x) => `${x.width}x${x.height}+${x.x}+${x.y}`).join(' '));
  }
  const s = summary(r);
  return {
    ...s,
    keys,
    bytesPerKey: s.bytes / keys,
    ...keyLatencies(
      starts,
      r.updates.map((u) => u.at),
    ),
  };
}

/** An xterm printing 40 lines per second, every line different (words drawn from a list). */
export async function scrolling(ctx) {
  const script = [
    "const w='the quick brown fox jumps over lazy dog pack my box with five dozen liquor jugs sphinx of black quartz judge vow'.split(' ');",
    'let i=0;let s=7;const r=()=>(s=(s*1103515245+12345)%2147483648)%w.length;',
    "setInterval(()=>{let l=String(i++).padStart(6)+' ';while(l.length<70+(i*37)%30)l+=w[r()]+' ';console.log(l)},25)",
  ].join('');
  const xterm = spawnChild('xterm', ['-geometry', '110x48+40+40', '-e', process.execPath, '-e', script], {
    env: { ...process.env, DISPLAY: ctx.display },
    stdio: 'ignore',
  });
  await sleep(1500);
  const r = await record(ctx, () => sleep(WINDOW_MS));
  if (process.env.GC_BENCH_DEBUG) {
    for (const u of r.updates.slice(0, 8))
      console.error(u.bytes, u.rects.map((x) => `${x.width}x${x.height}+${x.x}+${x.y}`).join(' '));
  }
  await stopChild(xterm);
  await sleep(500);
  return summary(r);
}

async function painted(ctx, mode, source, during) {
  const p = painter(ctx, mode);
  await p.ready();
  p.start();
  await sleep(700);
  const r = await record(ctx, async (updates) => {
    const extra = during === undefined ? undefined : await during(updates);
    if (extra === undefined) await sleep(WINDOW_MS);
    return extra;
  });
  await p.stop();
  await sleep(700);
  if (process.env.GC_BENCH_DEBUG) {
    for (const u of r.updates.slice(0, 12)) {
      console.error(
        mode,
        (u.at - r.t0).toFixed(1),
        u.bytes,
        u.rects.map((x) => `${x.width}x${x.height}+${x.x}+${x.y}${x.lossy ? 'J' : ''}`).join(' '),
      );
    }
  }
  const s = summary(r);
  return { ...s, ...psnr(r.updates, source), ...(r.small === undefined ? {} : { small: r.small }) };
}

export const video = (ctx) => painted(ctx, 'video', sourceImages().video);

/** Full-screen noise; for GuruConnect also viewer → agent pointer moves while frames stream. */
export const noise = (ctx) =>
  painted(
    ctx,
    'noise',
    sourceImages().noise,
    ctx.sendPointer === undefined ? undefined : () => smallMessages(ctx),
  );

async function smallMessages(ctx) {
  // Every other move skips GuruConnect: the harness injects it with XTest itself, which gives
  // the X server's own floor under the same load (its queue is busy with the painter and the
  // capture). Both are timed to the MotionNotify the X server sends (lib/motion-watch.mjs, no
  // polling). A viewer's move is also timed to the moment the agent's injector flushed it to
  // the X server (the agent child reports each move): the message's own latency through
  // viewer → relay → agent, apart from the X server's queue.
  const latencies = [];
  const floor = [];
  const viewerMoves = [];
  const end = wallMs() + WINDOW_MS;
  let i = 0;
  while (wallMs() < end) {
    const x = 100 + (i % 2) * 700 + (i % 7);
    const y = 900 + (i % 5);
    const direct = i % 2 === 1;
    i++;
    const t0 = wallMs();
    if (direct) ctx.injector.move(x, y);
    else {
      ctx.sendPointer(x, y);
      viewerMoves.push({ x, y, t0 });
    }
    const at = await ctx.motion.waitFor(x, y, t0);
    if (at !== undefined) (direct ? floor : latencies).push(at - t0);
    await sleep(75);
  }
  await sleep(200); // the agent's last reports
  const delivered = agentDelivery(viewerMoves, ctx.agentMoves ?? []);
  if (process.env.GC_BENCH_DEBUG) {
    const list = (a) => a.map((l) => l.toFixed(1)).join(' ');
    console.error(
      `small messages (ms): ${list(latencies)}\nviewer → agent injected (ms): ${list(delivered)}\nX server floor (ms): ${list(floor)}`,
    );
  }
  return {
    small: {
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      n: latencies.length,
      sent: Math.ceil(i / 2),
      floorP50: percentile(floor, 50),
      floorP99: percentile(floor, 99),
      deliveredP50: percentile(delivered, 50),
      deliveredP99: percentile(delivered, 99),
      delivered: delivered.length,
    },
  };
}

/** Per viewer move, the time until the agent's injector flushed that position (within 500 ms). */
function agentDelivery(viewerMoves, agentMoves) {
  const out = [];
  for (const m of viewerMoves) {
    const hit = agentMoves.find((a) => a.x === m.x && a.y === m.y && a.at >= m.t0 && a.at - m.t0 < 500);
    if (hit !== undefined) out.push(hit.at - m.t0);
  }
  return out;
}

const CELL = 8;
let slideImages;
/** Cells (CELL×CELL) in which slide `a` and slide `b` differ. */
function changedCells(a, b) {
  slideImages ??= Array.from({ length: SLIDES.frames }, (_, k) => slideFrame(k));
  const cols = Math.ceil(SCREEN.width / CELL);
  const rows = Math.ceil(SCREEN.height / CELL);
  const mask = new Uint8Array(cols * rows);
  const pa = slideImages[a];
  const pb = slideImages[b];
  for (let y = 0; y < SCREEN.height; y++) {
    const row = y * SCREEN.width;
    for (let x = 0; x < SCREEN.width; x++)
      if (pa[row + x] !== pb[row + x]) mask[((y / CELL) | 0) * cols + ((x / CELL) | 0)] = 1;
  }
  return { mask, cols, rows };
}

/**
 * Slides every SLIDES.periodMs: "full paint" is the time from the painter's XPutImage until every
 * CELL×CELL cell in which the slide differs from the previous one was touched by an update;
 * bytes per change are all update bytes until the next change.
 */
export async function slides(ctx) {
  const p = painter(ctx, 'slides');
  await p.ready();
  const r = await record(ctx, async () => {
    p.start();
    await sleep(Math.max(WINDOW_MS, 4 * SLIDES.periodMs));
  });
  const printed = await p.stop();
  const changes = [];
  for (const line of printed) {
    const m = line.match(/^painted ([\d.]+) (\d+)/);
    if (m) changes.push({ at: Number(m[1]), k: Number(m[2]) });
  }
  await sleep(700);
  const paints = [];
  const bytesPer = [];
  // The first slide replaces the plain background; measure the slide-to-slide changes.
  const recordedUntil = r.t0 + r.seconds * 1000;
  for (let c = 1; c < changes.length; c++) {
    const t0 = changes[c].at;
    if (t0 > recordedUntil - 1000) break; // too close to the end of the window to be judged
    const t1 = changes[c + 1]?.at ?? Number.POSITIVE_INFINITY;
    const { mask, cols, rows } = changedCells(changes[c - 1].k, changes[c].k);
    let left = mask.reduce((a, b) => a + b, 0);
    let done;
    let bytes = 0;
    for (const u of r.updates) {
      if (u.at < t0 || u.at >= t1) continue;
      bytes += u.bytes;
      if (done !== undefined) continue;
      for (const rect of u.rects) {
        const cx1 = Math.min(cols, Math.ceil((rect.x + rect.width) / CELL));
        const cy1 = Math.min(rows, Math.ceil((rect.y + rect.height) / CELL));
        for (let cy = Math.floor(rect.y / CELL); cy < cy1; cy++) {
          for (let cx = Math.floor(rect.x / CELL); cx < cx1; cx++) {
            if (mask[cy * cols + cx] === 1) {
              mask[cy * cols + cx] = 0;
              left--;
            }
          }
        }
      }
      if (left === 0) done = u.end - t0;
    }
    if (process.env.GC_BENCH_DEBUG) {
      const us = r.updates.filter((u) => u.at >= t0 && u.at < t1);
      console.error(
        `slide ${c}: ${left} cells never repainted; updates at`,
        us
          .map(
            (u) =>
              `${(u.at - t0).toFixed(1)}→${(u.end - t0).toFixed(1)} (${u.bytes} B, ${u.rects.length} rects)`,
          )
          .join(', '),
      );
    }
    paints.push(done ?? Number.NaN);
    bytesPer.push(bytes);
  }
  const s = summary(r);
  const ok = paints.filter((x) => !Number.isNaN(x));
  return {
    ...s,
    changes: paints.length,
    completed: ok.length,
    fullPaintP50: percentile(ok, 50),
    fullPaintMax: ok.length === 0 ? Number.NaN : Math.max(...ok),
    bytesPerChange: bytesPer.length === 0 ? 0 : bytesPer.reduce((a, b) => a + b, 0) / bytesPer.length,
  };
}
