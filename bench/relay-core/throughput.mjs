// Forwarding throughput: agent → relay → viewer versus a bare ws pipe (client → server →
// client, forwarding the received buffer untouched) measured in the same run, same process,
// same endpoints and the same end-to-end flow control (sender keeps W frames in flight,
// receiver acknowledges each frame, the ack travels back through the middle).
//
//   npm run build && node bench/relay-core/throughput.mjs [seconds-per-run=2] [rounds=5]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createEnvelope, decodeEnvelope, encodeEnvelope } from '@guruconnect/protocol';
import { WebSocket } from 'ws';
import { LIMITS, startBare, startRelay } from './middles.mjs';

const SECONDS = Number(process.argv[2] ?? 2);
const ROUNDS = Number(process.argv[3] ?? 5);
const MIDDLE_CHILD = fileURLToPath(new URL('./middle-child.mjs', import.meta.url));
const CONFIGS = [
  { size: 1024 * 1024, window: 3 },
  { size: 64 * 1024, window: 3 },
  { size: 64 * 1024, window: 16 },
];

function open(url, headers = {}) {
  const ws = new WebSocket(url, { headers, perMessageDeflate: false, maxPayload: LIMITS.maxFrameBytes });
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
    const a = await open(`ws://127.0.0.1:${port}/a`);
    const b = await open(`ws://127.0.0.1:${port}/b`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    return [a, b];
  }
  const agent = await open(`ws://127.0.0.1:${port}/v1/agent`);
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

/** One run with the middle in a child process: delivered MB/s and GB forwarded per middle CPU-second. */
async function separate(kind, size, window) {
  const child = spawn(process.execPath, [MIDDLE_CHILD, kind, String(window)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await new Promise((resolve) =>
    child.stdout.once('data', (d) => resolve(Number(String(d).split(' ')[1]))),
  );
  const [a, b] = await connect(kind, port);
  const cpu0 = cpuSeconds(child.pid);
  const result = await drive(a, b, size, window);
  const cpu = cpuSeconds(child.pid) - cpu0;
  a.terminate();
  b.terminate();
  child.stdin.end();
  await new Promise((resolve) => child.once('exit', resolve));
  return { ...result, middleCores: cpu / SECONDS, gbPerCoreSecond: (result.mbps * SECONDS) / 1000 / cpu };
}

console.log(
  `relay-core forwarding throughput (${SECONDS} s per run, ${ROUNDS} rounds alternating, median, same process)`,
);
for (const { size, window } of CONFIGS) {
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
  const runs = { bare: [], relay: [] };
  for (let round = 0; round < ROUNDS; round++) {
    runs.bare.push(await separate('bare', size, window));
    runs.relay.push(await separate('relay', size, window));
  }
  const median = (xs, key) => xs.map((x) => x[key]).sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  const label = `${size / 1024} KiB`;
  const relayRate = median(runs.relay, 'gbPerCoreSecond');
  console.log(
    `${label.padStart(7)} frames, window ${String(window).padStart(2)}: bare ws ${median(runs.bare, 'mbps').toFixed(0)} MB/s at ` +
      `${median(runs.bare, 'middleCores').toFixed(2)} cores → ${median(runs.bare, 'gbPerCoreSecond').toFixed(2)} GB/s per core; ` +
      `relay ${median(runs.relay, 'mbps').toFixed(0)} MB/s at ${median(runs.relay, 'middleCores').toFixed(2)} cores → ` +
      `${relayRate.toFixed(2)} GB/s per core (target ≥ 1 GB/s per core: ${relayRate >= 1 ? 'met' : 'NOT met'})`,
  );
}
