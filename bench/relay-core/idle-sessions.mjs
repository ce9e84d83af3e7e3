// Memory of idle sessions: the relay in this process, 1,000 sessions (one agent and one viewer
// each, all ACTIVE, heartbeats answered) opened by a child process so that the figure is the
// relay's own. Prints RSS and V8 heap per session.
//
//   npm run build && node bench/relay-core/idle-sessions.mjs [sessions=1000]
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Channel, createEnvelope, decodeEnvelope, encodeEnvelope, SessionMode } from '@guruconnect/protocol';

if (process.argv[2] === 'clients') {
  await runClients(Number(process.argv[3]), Number(process.argv[4]), Number(process.argv[5]));
} else {
  await main(Number(process.argv[2] ?? 1000));
}

async function main(SESSIONS) {
  const { createRelay } = await import('@guruconnect/relay-core');
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc');
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const relay = createRelay({
    allowedOrigins: ['https://bench'],
    authenticateAgent: async (hello) => ({
      ok: true,
      value: { machineId: hello.credential.value, machineName: 'idle', mode: SessionMode.UNATTENDED },
    }),
    authorizeViewer: async (_token, sessionId) => ({
      ok: true,
      value: {
        sessionId,
        machineId: `m${sessionId.slice(1)}`,
        mode: SessionMode.UNATTENDED,
        channels: [Channel.VIEW, Channel.CONTROL],
        viewerName: 'tech',
      },
    }),
  });
  const server = createServer();
  server.on('upgrade', (req, socket, head) => relay.handleUpgrade(req, socket, head) || socket.destroy());
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = server.address().port;

  // Warm up with a few sessions so that code and pools are loaded before the baseline.
  await openSessions(port, 20, relay);
  await settle();
  const before = process.memoryUsage();
  const warm = relay.stats().sessions;
  const child = await openSessions(port, SESSIONS, relay, 20);
  await settle();
  const after = process.memoryUsage();
  const stats = relay.stats();
  const n = stats.sessions - warm;
  const active = relay.listSessions().filter((s) => s.state === 4).length;
  console.log(
    `relay-core idle sessions: ${n} sessions (${active} of ${stats.sessions} ACTIVE), ${stats.sockets} sockets`,
  );
  console.log(
    `RSS ${(before.rss / 1e6).toFixed(1)} MB → ${(after.rss / 1e6).toFixed(1)} MB: ` +
      `${((after.rss - before.rss) / n / 1024).toFixed(1)} KiB per session (target < 100 KB)`,
  );
  console.log(
    `V8 heap used ${((after.heapUsed - before.heapUsed) / n / 1024).toFixed(1)} KiB per session, ` +
      `external+arrayBuffers ${((after.external - before.external) / n / 1024).toFixed(1)} KiB per session`,
  );
  child.kill();
  await relay.close();
  server.closeAllConnections();
  server.close();
}

/** Opens `count` sessions from a child process and resolves (with the child) once all are ACTIVE. */
async function openSessions(port, count, relay, offset = 0) {
  const child = fork(
    fileURLToPath(import.meta.url),
    ['clients', String(port), String(count), String(offset)],
    {
      stdio: 'inherit',
    },
  );
  await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`clients exited with ${code}`)));
  });
  const target = offset + count;
  while (relay.listSessions().filter((s) => s.state === 4).length < target) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return child;
}

async function runClients(port, count, offset) {
  const { WebSocket } = await import('ws');
  const open = (path, headers) =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers, perMessageDeflate: false });
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
      ws.on('message', (data) => {
        const envelope = decodeEnvelope(data);
        if (envelope.payload.case === 'heartbeat' && !envelope.payload.value.reply) {
          ws.send(
            encodeEnvelope(
              createEnvelope({
                payload: { case: 'heartbeat', value: { nonce: envelope.payload.value.nonce, reply: true } },
              }),
            ),
          );
        }
      });
    });
  const send = (ws, init) => ws.send(encodeEnvelope(createEnvelope(init)));
  const sockets = [];
  for (let i = offset; i < offset + count; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, offset + count - i) }, async (_, j) => {
        const k = i + j;
        const agent = await open('/v1/agent', {});
        send(agent, {
          payload: { case: 'agentHello', value: { credential: { case: 'agentKey', value: `m${k}` } } },
        });
        const viewer = await open('/v1/viewer', { origin: 'https://bench' });
        send(viewer, { payload: { case: 'viewerHello', value: { token: 't', sessionId: `s${k}` } } });
        sockets.push(agent, viewer);
      }),
    );
  }
  process.send?.('ready');
  // Stay idle until killed.
  setInterval(() => undefined, 1 << 30);
}
