// Forwarding throughput: agent → relay → viewer versus a bare ws pipe (client → server →
// client, forwarding the received buffer untouched) measured in the same run, same process,
// same endpoints and the same end-to-end flow control (sender keeps W frames in flight,
// receiver acknowledges each frame, the ack travels back through the middle).
//
//   npm run build && node bench/relay-core/throughput.mjs [seconds-per-run=2] [rounds=5] [all|own-process]
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createEnvelope, decodeEnvelope, encodeEnvelope } from '@guruconnect/protocol';
import { WebSocket, WebSocketServer } from 'ws';
import { freePort } from '../perf/lib/env.mjs';
import { LIMITS, startBare, startRelay } from './middles.mjs';

const SECONDS = Number(process.argv[2] ?? 2);
const ROUNDS = Number(process.argv[3] ?? 5);
/** `own-process` skips the same-process section and runs only the per-core one. */
const SECTIONS = process.argv[4] ?? 'all';
/** Node options for the middle child processes, e.g. GC_BENCH_MIDDLE_NODE_ARGS=--single-threaded-gc. */
const NODE_ARGS = (process.env.GC_BENCH_MIDDLE_NODE_ARGS ?? '').split(' ').filter(Boolean);
/** socat, when installed, gives the kernel's own floor: a middle that costs nothing in user space. */
const HAVE_SOCAT = spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;
const MIDDLE_CHILD = fileURLToPath(new URL('./middle-child.mjs', import.meta.url));
const CONFIGS = [
  { size: 1024 * 1024, window: 3 },
  { size: 64 * 1024, window: 3 },
  { size: 64 * 1024, window: 16 },
];

/**
 * The agent's masking key, as packages/agent-core's AgentConnection sets it: all zeros, so ws
 * neither copies nor XORs what it sends and the middle does not unmask (see agent-connection.ts
 * for why a Node agent may). The sending end of the bare pipe uses it too, so both middles see
 * the same bytes; viewers (browsers) always mask, and so do the bench's.
 */
const zeroMask = (mask) => mask.fill(0);

function open(url, headers = {}, { zeroKey = false } = {}) {
  const ws = new WebSocket(url, {
    headers,
    perMessageDeflate: false,
    maxPayload: LIMITS.maxFrameBytes,
    ...(zeroKey ? { generateMask: zeroMask } : {}),
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function nextMessage(ws, kind) {
  return new Promise((resolve) => {
    const onMessage = (data) => {
      const envelope = decodeEnvelope(data, LIMITS);
      if (envelope.payload.case === kind) {
        ws.off('message', onMessage);
        resolve(envelope);
      }
    };
    ws.on('message', onMessage);
  });
}

const send = (ws, init) => ws.send(encodeEnvelope(createEnvelope(init), LIMITS));

/** Drives one sender/receiver pair for SECONDS; returns delivered MB/s. */
async function drive(sender, receiver, size, window) {
  // The pixels are encoded once; each frame is that envelope followed by a tiny one carrying its
  // sequence (protobuf merges repeated message fields), so the endpoints spend next to nothing
  // and the figure is about the middle.
  const body = encodeEnvelope(
    createEnvelope({
      payload: { case: 'videoFrame', value: { rects: [{ payload: new Uint8Array(size - 64).fill(7) }] } },
    }),
    LIMITS,
  );
  let sequence = 0;
  let acked = 0;
  let delivered = 0;
  let running = true;
  let dropsSeen = 0;
  const frame = (viewerId = '', keyFrame = false) =>
    Buffer.concat([
      body,
      encodeEnvelope(
        createEnvelope({
          viewerId,
          payload: { case: 'videoFrame', value: { sequence: BigInt(++sequence), keyFrame } },
        }),
        LIMITS,
      ),
    ]);
  const pump = () => {
    while (running && sequence - acked < window) sender.send(frame('', sequence === 0));
  };
  receiver.on('message', (data) => {
    const envelope = decodeEnvelope(data, LIMITS);
    if (envelope.payload.case === 'videoFrame') {
      delivered += data.byteLength;
      send(receiver, { payload: { case: 'frameAck', value: { sequence: envelope.payload.value.sequence } } });
    } else if (envelope.payload.case === 'heartbeat' && !envelope.payload.value.reply) {
      send(receiver, {
        payload: { case: 'heartbeat', value: { nonce: envelope.payload.value.nonce, reply: true } },
      });
    }
  });
  sender.on('message', (data) => {
    const envelope = decodeEnvelope(data, LIMITS);
    if (envelope.payload.case === 'frameAck') {
      acked = Math.max(acked, Number(envelope.payload.value.sequence));
      pump();
    } else if (envelope.payload.case === 'refreshRequest') {
      dropsSeen += 1;
      acked = sequence; // the relay dropped frames for it: start over with a key frame
      sender.send(frame(envelope.viewerId, true));
    }
  });
  const started = performance.now();
  const cpu = process.cpuUsage();
  pump();
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  running = false;
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const cpuMsPerGB = (used.user + used.system) / 1000 / (delivered / 1e9);
  sender.removeAllListeners('message');
  receiver.removeAllListeners('message');
  return { mbps: delivered / seconds / 1e6, cpuMsPerGB, dropsSeen };
}

/** Connects an agent and a viewer (or the two ends of a bare pipe) to a middle on `port`. */
async function connect(kind, port) {
  if (kind === 'bare') {
    const a = await open(`ws://127.0.0.1:${port}/a`, {}, { zeroKey: true });
    const b = await open(`ws://127.0.0.1:${port}/b`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    return [a, b];
  }
  const agent = await open(`ws://127.0.0.1:${port}/v1/agent`, {}, { zeroKey: true });
  const hello = nextMessage(agent, 'helloResult');
  send(agent, { payload: { case: 'agentHello', value: { credential: { case: 'agentKey', value: 'k' } } } });
  await hello;
  const presence = nextMessage(agent, 'viewerPresence');
  const viewer = await open(`ws://127.0.0.1:${port}/v1/viewer`, { origin: 'https://bench' });
  send(viewer, { payload: { case: 'viewerHello', value: { token: 't', sessionId: 's1' } } });
  await presence;
  return [agent, viewer];
}

/** One run with the middle in this process. */
async function inProcess(kind, size, window) {
  const middle = kind === 'relay' ? await startRelay(window) : await startBare();
  const [a, b] = await connect(kind, middle.port);
  const result = await drive(a, b, size, window);
  a.terminate();
  b.terminate();
  const stats = middle.stats();
  await middle.close();
  return { ...result, dropped: stats.framesDropped };
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

/**
 * The receiving end for the raw TCP middle: a ws server in this process that the middle pipes
 * the sender's connection to, so the middle only ever moves bytes.
 */
async function tcpTarget() {
  const wss = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    perMessageDeflate: false,
    maxPayload: LIMITS.maxFrameBytes,
  });
  await new Promise((resolve) => wss.once('listening', resolve));
  return wss;
}

/** Opens the sender's end, retrying while the middle (socat) is not listening yet. */
async function openWithRetry(url) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await open(url, {}, { zeroKey: true });
    } catch (error) {
      if (error.code !== 'ECONNREFUSED' || attempt >= 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/**
 * Starts a middle in a process of its own: `kernel` is socat (a C read/write loop, 64 KiB
 * buffer: what the kernel alone costs), the others are middle-child.mjs.
 */
async function startMiddle(kind, window, targetPort) {
  if (kind === 'kernel') {
    const port = await freePort();
    const child = spawn(
      'socat',
      ['-b', '65536', `TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr`, `TCP:127.0.0.1:${targetPort}`],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    return { child, port };
  }
  const args = [...NODE_ARGS, MIDDLE_CHILD, kind, String(window)];
  if (targetPort !== undefined) args.push(String(targetPort));
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise((resolve) =>
    child.stdout.once('data', (d) => resolve(Number(String(d).split(' ')[1]))),
  );
  return { child, port };
}

/** One run with the middle in a child process: delivered MB/s and GB forwarded per middle CPU-second. */
async function separate(kind, size, window) {
  const target = kind === 'tcp' || kind === 'kernel' ? await tcpTarget() : undefined;
  const { child, port } = await startMiddle(kind, window, target?.address().port);
  let a;
  let b;
  if (target !== undefined) {
    const accepted = new Promise((resolve) => target.once('connection', resolve));
    a = await openWithRetry(`ws://127.0.0.1:${port}/a`);
    b = await accepted;
  } else {
    [a, b] = await connect(kind, port);
  }
  const cpu0 = cpuSeconds(child.pid);
  const result = await drive(a, b, size, window);
  const cpu = cpuSeconds(child.pid) - cpu0;
  a.terminate();
  b.terminate();
  const exited = new Promise((resolve) => child.once('exit', resolve));
  if (kind === 'kernel') child.kill();
  else child.stdin.end();
  await exited;
  if (target !== undefined) await new Promise((resolve) => target.close(resolve));
  return { ...result, middleCores: cpu / SECONDS, gbPerCoreSecond: (result.mbps * SECONDS) / 1000 / cpu };
}

console.log(
  `relay-core forwarding throughput (${SECONDS} s per run, ${ROUNDS} rounds alternating, median, same process)`,
);
for (const { size, window } of SECTIONS === 'own-process' ? [] : CONFIGS) {
  const runs = { bare: [], relay: [], bareCpu: [], relayCpu: [] };
  let dropped = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const p = await inProcess('bare', size, window);
    runs.bare.push(p.mbps);
    runs.bareCpu.push(p.cpuMsPerGB);
    const r = await inProcess('relay', size, window);
    runs.relay.push(r.mbps);
    runs.relayCpu.push(r.cpuMsPerGB);
    dropped += r.dropped;
  }
  const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const b = median(runs.bare);
  const r = median(runs.relay);
  const label = size >= 1024 * 1024 ? `${size / 1024 / 1024} MiB` : `${size / 1024} KiB`;
  console.log(
    `${label.padStart(7)} frames, window ${String(window).padStart(2)}: bare ws ${b.toFixed(0).padStart(5)} MB/s, ` +
      `relay ${r.toFixed(0).padStart(5)} MB/s, ratio ${(r / b).toFixed(2)}× (target ≥ 0.80×), relay drops ${dropped}` +
      `  [bare ${runs.bare.map((x) => x.toFixed(0)).join('/')}; relay ${runs.relay.map((x) => x.toFixed(0)).join('/')}]`,
  );
  const bc = median(runs.bareCpu);
  const rc = median(runs.relayCpu);
  console.log(
    `${''.padStart(7)}        CPU per GB delivered (whole process, both ends included): bare ${bc.toFixed(0)} ms, ` +
      `relay ${rc.toFixed(0)} ms → CPU-bound ratio ${(bc / rc).toFixed(2)}×`,
  );
}

console.log(
  '\nthe middle in a process of its own (endpoints in this one): forwarded GB per CPU-second of the middle (median)',
);
for (const { size, window } of CONFIGS.filter((c) => c.size <= 64 * 1024)) {
  const runs = HAVE_SOCAT ? { kernel: [], tcp: [], bare: [], relay: [] } : { tcp: [], bare: [], relay: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of Object.keys(runs)) runs[kind].push(await separate(kind, size, window));
  }
  const median = (kind, key) => runs[kind].map((x) => x[key]).sort((x, y) => x - y)[Math.floor(ROUNDS / 2)];
  const describe = (kind) =>
    `${median(kind, 'mbps').toFixed(0)} MB/s at ${median(kind, 'middleCores').toFixed(2)} cores → ` +
    `${median(kind, 'gbPerCoreSecond').toFixed(2)} GB/s per core`;
  const relayRate = median('relay', 'gbPerCoreSecond');
  console.log(
    `${`${size / 1024} KiB`.padStart(7)} frames, window ${String(window).padStart(2)}: ` +
      (HAVE_SOCAT ? `socat (kernel floor) ${describe('kernel')}; ` : '') +
      `raw TCP (Node) ${describe('tcp')}; ` +
      `bare ws ${describe('bare')}; relay ${describe('relay')} (target ≥ 1 GB/s per core: ${relayRate >= 1 ? 'met' : 'NOT met'})`,
  );
  console.log(
    `${''.padStart(7)}        per round GB/s per core: ` +
      Object.keys(runs)
        .map((kind) => `${kind} ${runs[kind].map((x) => x.gbPerCoreSecond.toFixed(2)).join('/')}`)
        .join('; '),
  );
}
