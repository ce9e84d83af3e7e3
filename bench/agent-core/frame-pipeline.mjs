// Per-frame cost of the agent's capture → diff → encode pipeline at 1920×1080 on a private Xvfb,
// for a static desktop, typing in a terminal (xterm running `cat`) and full-screen change.
// Run after `npm run build`: node bench/agent-core/frame-pipeline.mjs
import { fileURLToPath } from 'node:url';
import {
  FrameDiffer,
  RectEncoder,
  ScreenStreamer,
  X11InputInjector,
  X11ScreenCapturer,
} from '@guruconnect/agent-core';
import { encodeEnvelope } from '@guruconnect/protocol';
import { percentile, sleep, spawnOn, startXvfb } from './x-helpers.mjs';

const W = 1920;
const H = 1080;
const results = {};
const xvfb = await startXvfb(`${W}x${H}x24`);
const children = [];
const cleanup = async () => {
  for (const c of children) c.kill('SIGKILL');
  await xvfb.close();
};
process.on('uncaughtException', async (e) => {
  console.error(e);
  await cleanup();
  process.exit(1);
});

function cpuMs(since) {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
}

function drawer(mode) {
  const child = spawnOn(xvfb.display, process.execPath, [
    fileURLToPath(new URL('./draw-frames.mjs', import.meta.url)),
    xvfb.display,
    mode,
  ]);
  children.push(child);
  let buf = '';
  const waiters = [];
  child.stdout.on('data', (c) => {
    buf += c;
    while (buf.includes('\n')) {
      const line = buf.slice(0, buf.indexOf('\n'));
      buf = buf.slice(buf.indexOf('\n') + 1);
      waiters.shift()?.(line);
    }
  });
  const next = () => new Promise((resolve) => waiters.push(resolve));
  const step = () => {
    child.stdin.write('next\n');
    return next();
  };
  return { child, next, step };
}

/** A streamer with one viewer that acks each frame as soon as it is "sent". */
function streamerWithViewer(capturer, onSent) {
  const stats = { frames: 0, bytes: 0 };
  let streamer;
  streamer = new ScreenStreamer({
    capturer,
    send: (frame, viewerId) => {
      const bytes = encodeEnvelope({ viewerId, payload: { case: 'videoFrame', value: frame } });
      stats.frames++;
      stats.bytes += bytes.byteLength;
      onSent?.(frame, bytes.byteLength);
      setImmediate(() => streamer.ack('v1', frame.sequence));
    },
    onError: (e) => console.error('stream error', e),
  });
  streamer.setDisplay(capturer.displays()[0]);
  streamer.addViewer('v1');
  return { streamer, stats };
}

// ---- 1. capture: MIT-SHM vs XGetImage -------------------------------------------------------
{
  const d = drawer('step');
  await d.next(); // ready
  await d.step();
  const shm = new X11ScreenCapturer({ display: xvfb.display });
  const plain = new X11ScreenCapturer({ display: xvfb.display, useShm: false });
  const id = shm.displays()[0].id;
  const time = (c, n) => {
    c.capture(id);
    const t = performance.now();
    for (let i = 0; i < n; i++) c.capture(id);
    return (performance.now() - t) / n;
  };
  results.captureShmMs = time(shm, 60);
  results.captureGetImageMs = time(plain, 15);
  shm.close();
  plain.close();

  // ---- 2. full-screen change, per stage ------------------------------------------------------
  const capturer = new X11ScreenCapturer({ display: xvfb.display });
  const differ = new FrameDiffer({ width: W, height: H });
  const encoder = new RectEncoder();
  const full = { x: 0, y: 0, width: W, height: H };
  differ.store(capturer.capture(id, full));
  const stages = { capture: [], diff: [], encode: [], bytes: [], cpu: [] };
  for (let i = 0; i < 40; i++) {
    await d.step();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const image = capturer.capture(id, full);
    const t1 = performance.now();
    const changed = differ.diff(full, image);
    const t2 = performance.now();
    const rects = await encoder.encode({ data: differ.previous, stride: W * 4 }, changed);
    const t3 = performance.now();
    stages.cpu.push(cpuMs(cpu0));
    stages.capture.push(t1 - t0);
    stages.diff.push(t2 - t1);
    stages.encode.push(t3 - t2);
    stages.bytes.push(rects.reduce((s, r) => s + r.payload.byteLength, 0));
  }
  capturer.close();
  const mean = (a) => a.reduce((s, x) => s + x, 0) / a.length;
  results.fullFrame = {
    captureMs: mean(stages.capture),
    diffMs: mean(stages.diff),
    encodeMs: mean(stages.encode),
    totalMs: mean(stages.capture) + mean(stages.diff) + mean(stages.encode),
    cpuMsPerFrame: mean(stages.cpu),
    bytesPerFrame: mean(stages.bytes),
  };
  d.child.kill('SIGKILL');
}

// ---- 3. full-screen change at 60 Hz through the streamer -----------------------------------
{
  const capturer = new X11ScreenCapturer({ display: xvfb.display });
  const { streamer, stats } = streamerWithViewer(capturer);
  const d = drawer('loop');
  await d.next();
  await sleep(500);
  const f0 = stats.frames;
  const b0 = stats.bytes;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(5000);
  const secs = (performance.now() - t0) / 1000;
  results.fullScreenStream = {
    fps: (stats.frames - f0) / secs,
    cpuPercentOfCore: cpuMs(cpu0) / 10 / secs,
    bytesPerFrame: (stats.bytes - b0) / Math.max(1, stats.frames - f0),
  };
  d.child.kill('SIGKILL');
  streamer.close();
  capturer.close();
}

// ---- 4. static desktop ----------------------------------------------------------------------
{
  await sleep(300);
  const capturer = new X11ScreenCapturer({ display: xvfb.display });
  const { streamer, stats } = streamerWithViewer(capturer);
  await sleep(500); // key frame
  const f0 = stats.frames;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(5000);
  const secs = (performance.now() - t0) / 1000;
  results.static = { framesIn5s: stats.frames - f0, cpuPercentOfCore: cpuMs(cpu0) / 10 / secs };
  streamer.close();
  capturer.close();
}

// ---- 5. typing in a terminal ----------------------------------------------------------------
{
  const xterm = spawnOn(xvfb.display, 'xterm', ['-geometry', '100x30+100+100', '-e', 'cat']);
  children.push(xterm);
  await sleep(1500);
  const capturer = new X11ScreenCapturer({ display: xvfb.display });
  const injector = new X11InputInjector({ display: xvfb.display });
  injector.movePointer(400, 300); // focus follows the pointer without a window manager
  let waiting;
  const { streamer, stats } = streamerWithViewer(capturer, () => {
    if (waiting !== undefined) {
      const w = waiting;
      waiting = undefined;
      w(performance.now());
    }
  });
  await sleep(500);
  const latencies = [];
  const keys = 200;
  const f0 = stats.frames;
  const b0 = stats.bytes;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < keys; i++) {
    // 30 letters, then 30 backspaces (cat's line discipline erases them on screen), and again.
    const keysym = Math.floor(i / 30) % 2 === 0 ? 0x61 + (i % 26) : 0xff08;
    const sent = new Promise((resolve) => {
      waiting = resolve;
    });
    const start = performance.now();
    injector.key(keysym, true);
    const end = await Promise.race([sent, sleep(500).then(() => undefined)]);
    if (end !== undefined) latencies.push(end - start);
    injector.key(keysym, false);
    await sleep(40);
  }
  const secs = (performance.now() - t0) / 1000;
  results.typing = {
    keystrokes: keys,
    framed: latencies.length,
    latencyP50Ms: percentile(latencies, 50),
    latencyP99Ms: percentile(latencies, 99),
    framesPerKeystroke: (stats.frames - f0) / keys,
    bytesPerKeystroke: (stats.bytes - b0) / keys,
    cpuPercentOfCore: cpuMs(cpu0) / 10 / secs,
  };
  streamer.close();
  injector.close();
  capturer.close();
}

await cleanup();

const r = results;
const f = (x, d = 2) => x.toFixed(d);
console.log(`agent-core frame pipeline, ${W}×${H}, Xvfb (${process.platform}, node ${process.version})`);
console.log('');
console.log('capture of a full frame        MIT-SHM          XGetImage        ratio');
console.log(
  `                               ${f(r.captureShmMs)} ms          ${f(r.captureGetImageMs)} ms        ${f(r.captureGetImageMs / r.captureShmMs, 1)}×`,
);
console.log('');
console.log(
  'workload              ms/frame (capture+diff+encode)   bytes/frame    CPU (% of one core)   other',
);
console.log(
  `static desktop        -                                -              ${f(r.static.cpuPercentOfCore)} %               ${r.static.framesIn5s} frames in 5 s (target: 0, CPU < 1 %)`,
);
console.log(
  `typing (xterm)        p50 latency ${f(r.typing.latencyP50Ms)} ms, p99 ${f(r.typing.latencyP99Ms)} ms  ${f(r.typing.bytesPerKeystroke, 0)} B/key    ${f(r.typing.cpuPercentOfCore)} %               ${f(r.typing.framesPerKeystroke)} frames/key, ${r.typing.framed}/${r.typing.keystrokes} keys framed (targets: ≤ 300 B/key, p50 ≤ 3 ms)`,
);
console.log(
  `full-screen change    ${f(r.fullFrame.totalMs)} (${f(r.fullFrame.captureMs)}+${f(r.fullFrame.diffMs)}+${f(r.fullFrame.encodeMs)})            ${f(r.fullFrame.bytesPerFrame / 1024, 0)} KiB       ${f(r.fullFrame.cpuMsPerFrame)} ms CPU/frame → ${f(1000 / r.fullFrame.cpuMsPerFrame, 0)} fps per core`,
);
console.log(
  `full-screen @60 Hz    streamed ${f(r.fullScreenStream.fps, 1)} fps                  ${f(r.fullScreenStream.bytesPerFrame / 1024, 0)} KiB       ${f(r.fullScreenStream.cpuPercentOfCore)} %               (target: ≥ 30 fps within one core)`,
);
console.log('');
console.log(JSON.stringify(results));
