// Child process: the real GuruConnect agent (createAgent, unattended key) on a display, talking
// to the relay (createAgent starts it). argv: display relayPort [codec]. Exits when stdin closes or on SIGTERM.
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { createAgent, createConsoleLogger } from '@guruconnect/agent-core';

// GC_BENCH_DEBUG: the agent's event-loop delay every 5 s (what input waits behind).
const loop = process.env.GC_BENCH_DEBUG ? monitorEventLoopDelay({ resolution: 1 }) : undefined;
if (loop !== undefined) {
  loop.enable();
  setInterval(() => {
    const ms = (ns) => (ns / 1e6).toFixed(1);
    console.error(
      `agent event loop delay p50 ${ms(loop.percentile(50))} p99 ${ms(loop.percentile(99))} max ${ms(loop.max)} ms`,
    );
    loop.reset();
  }, 5000).unref();
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.duration >= 5)
        console.error(`agent gc pause ${e.duration.toFixed(1)} ms (kind ${e.detail?.kind})`);
    }
  }).observe({ entryTypes: ['gc'] });
}

const [display, port, codec] = process.argv.slice(2);
const agent = createAgent({
  server: `http://127.0.0.1:${port}`,
  agentKey: 'bench-key',
  display,
  logger: createConsoleLogger({ level: 'warn' }),
  ...(codec === undefined || codec === 'default' ? {} : { codec }),
});
agent.onStateChange((s) => {
  if (s.kind === 'connected') console.log('connected');
});
const stop = async () => {
  await agent.close();
  process.exit(0);
};
process.stdin.on('end', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
