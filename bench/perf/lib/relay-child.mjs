// Child process: a relay-core relay on 127.0.0.1:0 with trivial hooks (one unattended machine).
// Prints "port <n>" when listening; exits when stdin closes.
import { createServer } from 'node:http';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

if (process.env.GC_BENCH_DEBUG) {
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  setInterval(() => {
    const ms = (ns) => (ns / 1e6).toFixed(1);
    console.error(
      `relay event loop delay p50 ${ms(loop.percentile(50))} p99 ${ms(loop.percentile(99))} max ${ms(loop.max)} ms`,
    );
    loop.reset();
  }, 5000).unref();
  new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      if (e.duration >= 5)
        console.error(`relay gc pause ${e.duration.toFixed(1)} ms (kind ${e.detail?.kind})`);
  }).observe({ entryTypes: ['gc'] });
}

import { Channel, SessionMode } from '@guruconnect/protocol';
import { createRelay } from '@guruconnect/relay-core';

const relay = createRelay({
  // The headless client's origin, and the loopback page server of browser-viewer.mjs.
  allowedOrigins: (origin) => origin === 'https://bench' || /^http:\/\/127\.0\.0\.1:\d+$/.test(origin ?? ''),
  authenticateAgent: async () => ({
    ok: true,
    value: { machineId: 'bench-machine', machineName: 'bench', mode: SessionMode.UNATTENDED },
  }),
  authorizeViewer: async (_token, sessionId) => ({
    ok: true,
    value: {
      sessionId,
      machineId: 'bench-machine',
      mode: SessionMode.UNATTENDED,
      channels: [Channel.VIEW, Channel.CONTROL],
      viewerName: 'bench viewer',
    },
  }),
  onError: (e) => console.error(`relay: ${e.message}`),
});
const server = createServer();
server.on('upgrade', (req, socket, head) => {
  if (!relay.handleUpgrade(req, socket, head)) socket.destroy();
});
server.listen(0, '127.0.0.1', () => console.log(`port ${server.address().port}`));
const stop = async () => {
  await relay.close();
  server.closeAllConnections();
  server.close();
  process.exit(0);
};
process.stdin.on('end', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
