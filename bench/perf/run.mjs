// Side-by-side benchmark: GuruConnect (agent-core → relay-core → a headless decoding viewer)
// against TigerVNC's x0vncserver and x11vnc (read by the harness's own RFB client) and
// MeshCentral with its MeshAgent (read by the harness's own KVM client), on one Xvfb, with the
// same scripted workloads and the same XTest injector for every system.
//
//   npm run build && node bench/perf/run.mjs
//
// Environment: GC_BENCH_SYSTEMS (comma list of run names, default all), GC_BENCH_WORKLOADS
// (comma list, default all; the report needs all), GC_BENCH_WINDOW_MS
// (measurement window per workload, default 5000), GC_BENCH_RESULTS (path of the Markdown
// report, default bench/RESULTS.md; "-" for none).
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { typingInBrowser } from './lib/browser-viewer.mjs';
import {
  ensurePackages,
  freePort,
  killAll,
  lines,
  machine,
  sleep,
  spawnChild,
  startXvfb,
  stopChild,
} from './lib/env.mjs';
import { connectGc } from './lib/gc-client.mjs';
import { connectMesh } from './lib/mesh-client.mjs';
import { ensureMeshCentral, startMeshCentral } from './lib/meshcentral.mjs';
import { MotionWatch } from './lib/motion-watch.mjs';
import { report } from './lib/report.mjs';
import { connectRfb } from './lib/rfb-client.mjs';
import { noise, scrolling, slides, staticDesktop, typing, video, WINDOW_MS } from './lib/workloads.mjs';
import { Injector } from './lib/xlib.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const log = (m) => process.stderr.write(`[perf] ${m}\n`);
const deadline = setTimeout(() => {
  log('the whole run exceeded 15 minutes; stopping');
  void killAll().then(() => process.exit(2));
}, 15 * 60_000);
deadline.unref();

const RUNS = [
  { name: 'x0vnc-zrle', label: 'TigerVNC x0vncserver ZRLE', server: 'x0vnc', encoding: 'zrle' },
  { name: 'x0vnc-tight', label: 'TigerVNC x0vncserver Tight+JPEG q8', server: 'x0vnc', encoding: 'tight' },
  { name: 'x11vnc-zrle', label: 'x11vnc ZRLE', server: 'x11vnc', encoding: 'zrle' },
  { name: 'x11vnc-tight', label: 'x11vnc Tight+JPEG q8', server: 'x11vnc', encoding: 'tight' },
  { name: 'meshcentral', label: 'MeshCentral 1.1.55 (q40)', server: 'mesh' },
  { name: 'gc', label: 'GuruConnect (adaptive)', server: 'gc', codec: 'default' },
  { name: 'gc-zstd', label: 'GuruConnect (zstd only)', server: 'gc', codec: 'zstd' },
  // A second point on GuruConnect's rate–distortion curve, near MeshCentral's quality: JPEG
  // capped at 60 (its own cap for full-screen motion), for the video region only.
  {
    name: 'gc-q60',
    label: 'GuruConnect (adaptive, JPEG ≤ 60)',
    server: 'gc',
    codec: 'default',
    maxQuality: 60,
    workloads: ['video'],
  },
];
const MEASURE = { static: staticDesktop, typing, scrolling, video, noise, slides };
const WORKLOADS = (process.env.GC_BENCH_WORKLOADS ?? 'static,typing,scrolling,video,noise,slides').split(',');
const wanted = (process.env.GC_BENCH_SYSTEMS ?? RUNS.map((r) => r.name).join(',')).split(',');

function waitForPort(port, timeoutMs = 10_000) {
  const end = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > end) reject(new Error(`nothing listens on ${port}`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

async function startVnc(kind, display) {
  const port = await freePort();
  const child =
    kind === 'x0vnc'
      ? spawnChild('X0tigervnc', [
          '-display',
          display,
          '-rfbport',
          String(port),
          '-SecurityTypes',
          'None',
          '-localhost',
          '-interface',
          '127.0.0.1',
          '-AlwaysShared',
        ])
      : spawnChild('x11vnc', [
          '-display',
          display,
          '-rfbport',
          String(port),
          '-localhost',
          '-nopw',
          '-forever',
          '-shared',
          '-quiet',
          '-norc',
          '-no6',
        ]);
  child.stderr.resume();
  child.stdout.resume();
  await waitForPort(port);
  return { port, pids: [child.pid], stop: () => stopChild(child) };
}

// GC_BENCH_NODE_ARGS: extra Node flags for the agent and relay children, e.g.
// "--cpu-prof --cpu-prof-dir=/tmp/prof" or "--trace-gc" (NODE_OPTIONS refuses some of them).
// The agent and the relay run with the flags their product launchers use: gc-agent's shebang
// and the reference server's start script (--single-threaded-gc, see agent-core node-flags.ts).
const NODE_FLAGS = [
  '--single-threaded-gc',
  ...(process.env.GC_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
];

async function startGc(display, codec, maxQuality) {
  const relay = spawnChild(process.execPath, [...NODE_FLAGS, `${HERE}lib/relay-child.mjs`], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const relayOut = lines(relay.stdout);
  const port = Number((await relayOut.next()).split(' ')[1]);
  const agent = spawnChild(
    process.execPath,
    [
      ...NODE_FLAGS,
      `${HERE}lib/agent-child.mjs`,
      display,
      String(port),
      codec,
      ...(maxQuality === undefined ? [] : [String(maxQuality)]),
    ],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const agentOut = lines(agent.stdout);
  if ((await agentOut.next()) !== 'connected') throw new Error('agent did not connect');
  // "moved x y wallMs": the agent's injector flushed a viewer's pointer move to the X server.
  const agentMoves = [];
  agentOut.listen((line) => {
    const [kind, x, y, at] = line.split(' ');
    if (kind === 'moved') agentMoves.push({ x: Number(x), y: Number(y), at: Number(at) });
  });
  return {
    port,
    pids: [agent.pid, relay.pid],
    agentMoves,
    async stop() {
      agent.stdin.end();
      relay.stdin.end();
      await Promise.all([stopChild(agent), stopChild(relay)]);
    },
  };
}

function startServer(run, display) {
  if (run.server === 'gc') return startGc(display, run.codec, run.maxQuality);
  if (run.server === 'mesh') return startMeshCentral(display);
  return startVnc(run.server, display);
}

/** The client for a run; resolves once it has a whole screen (`firstFrameMs`). */
function connectClient(run, server, onUpdate, wantPixels) {
  if (run.server === 'gc') return connectGc({ port: server.port, onUpdate, wantPixels });
  if (run.server === 'mesh')
    return connectMesh({ port: server.port, nodeId: server.nodeId, onUpdate, wantPixels });
  return connectRfb({ port: server.port, encoding: run.encoding, quality: 8, onUpdate, wantPixels });
}

// What each run's CPU figures are: for MeshCentral, "agent" is the MeshAgent together with the
// KVM process it forks for the session.
const PIDS_LABEL = { gc: ['agent', 'relay'], mesh: ['agent', 'server'] };

async function runOne(run, display, injector, motion) {
  log(`${run.label}…`);
  const server = await startServer(run, display);
  const ctx = {
    display,
    injector,
    motion,
    pids: server.pids,
    port: server.port,
    sink: undefined,
    agentMoves: server.agentMoves,
  };
  const onUpdate = (u) => ctx.sink?.(u);
  // Decode lossy pixels for about 8 rectangles a second (PSNR samples), for every system alike.
  let lastSample = 0;
  const wantPixels = () => {
    const now = performance.now();
    if (now - lastSample < 120) return false;
    lastSample = now;
    return true;
  };
  let client;
  const result = {
    run: run.name,
    label: run.label,
    ...(run.workloads === undefined ? {} : { partial: true }),
    pidsLabel: PIDS_LABEL[run.server] ?? ['server'],
  };
  try {
    const xterm = spawnChild('xterm', ['-geometry', '80x24+1300+60', '-e', 'cat'], {
      env: { ...process.env, DISPLAY: display },
      stdio: 'ignore',
    });
    await sleep(1200);
    injector.move(1500, 200); // focus follows the pointer (no window manager)
    await sleep(300);
    client = await connectClient(run, server, onUpdate, wantPixels);
    result.firstFrameMs = client.firstFrameMs;
    // Processes that only exist once a session runs (MeshAgent's KVM child).
    if (server.sessionPids !== undefined) ctx.pids = server.sessionPids();
    if (run.server === 'gc') {
      ctx.sendPointer = (x, y) =>
        client.send({ payload: { case: 'pointerEvent', value: { displayId: '', x, y, buttons: 0 } } });
    }
    for (const w of WORKLOADS) {
      if (w === 'scrolling') await stopChild(xterm);
      if (run.workloads !== undefined && !run.workloads.includes(w)) continue;
      log(`  ${w}`);
      result[w] = await MEASURE[w](ctx);
      if (w === 'typing' && run.server === 'gc' && process.env.GC_BENCH_BROWSER !== '0') {
        log('  typing, painted in Chromium');
        result.typingBrowser = await typingInBrowser(ctx);
      }
    }
    await stopChild(xterm);
  } finally {
    client?.close();
    await server.stop();
    await sleep(500);
  }
  return result;
}

/** Writes the report to `bench/RESULTS.md`, or where `GC_BENCH_RESULTS` says (`-`: nowhere). */
function writeResults(markdown) {
  const out = process.env.GC_BENCH_RESULTS ?? fileURLToPath(new URL('../RESULTS.md', import.meta.url));
  if (out !== '-') writeFileSync(out, markdown);
}

// `--report-from FILE`: re-render RESULTS.md from the JSON line an earlier run printed.
const from = process.argv.indexOf('--report-from');
if (from >= 0) {
  // JSON has no NaN (a figure with no samples, PSNR of lossless output): it was written as null.
  const raw = JSON.parse(readFileSync(process.argv[from + 1], 'utf8'), (_k, v) =>
    v === null ? Number.NaN : v,
  );
  const text = report(raw.results, raw.machine, WINDOW_MS);
  console.log(text.stdout);
  writeResults(text.markdown);
  process.exit(0);
}

ensurePackages(log);
// Why MeshCentral cannot run (undefined: it can, or it was not asked for).
const meshUnavailable = wanted.includes('meshcentral') ? ensureMeshCentral(log) : undefined;
const xvfb = await startXvfb('1920x1080x24');
log(`Xvfb on ${xvfb.display}`);
const results = [];
const info = machine();
try {
  const bg = spawnChild('xsetroot', ['-solid', '#3a6ea5'], {
    env: { ...process.env, DISPLAY: xvfb.display },
  });
  await new Promise((r) => bg.once('exit', r));
  const injector = new Injector(xvfb.display);
  const motion = new MotionWatch(xvfb.display);
  await motion.ready();
  for (const run of RUNS) {
    if (!wanted.includes(run.name)) continue;
    if (run.server === 'mesh' && meshUnavailable !== undefined) {
      results.push({ run: run.name, label: run.label, error: `not run: ${meshUnavailable}` });
      continue;
    }
    try {
      results.push(await runOne(run, xvfb.display, injector, motion));
    } catch (error) {
      log(`${run.label} failed: ${error.stack ?? error}`);
      results.push({ run: run.name, label: run.label, error: String(error.message ?? error) });
    }
  }
  injector.close();
  await motion.close();
} finally {
  await killAll();
  await xvfb.close();
}
const text = report(results, info, WINDOW_MS);
console.log(text.stdout);
writeResults(text.markdown);
console.log(
  JSON.stringify({ machine: info, results }, (_k, v) =>
    typeof v === 'number' ? Math.round(v * 1000) / 1000 : v,
  ),
);
