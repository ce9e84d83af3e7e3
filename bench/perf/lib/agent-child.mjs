// Child process: the real GuruConnect agent (createAgent, unattended key) on a display, talking
// to the relay (createAgent starts it). argv: display relayPort [codec [maxJpegQuality]]. Exits when stdin closes or on SIGTERM.
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { createAgent, createConsoleLogger, X11InputInjector } from '@guruconnect/agent-core';

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

const [display, port, codec, maxQuality] = process.argv.slice(2);

/**
 * The agent's own XTest injector, reporting each pointer move once it is flushed to the X server
 * ("moved x y wallMs" on stdout): the harness times viewer → agent delivery of small messages
 * apart from the X server's queue.
 */
class ReportingInjector {
  #inner = new X11InputInjector({ display });
  backend = this.#inner.backend;
  movePointer(x, y) {
    this.#inner.movePointer(x, y);
    process.stdout.write(`moved ${x} ${y} ${(performance.timeOrigin + performance.now()).toFixed(3)}\n`);
  }
  button(button, down) {
    this.#inner.button(button, down);
  }
  key(keysym, down) {
    this.#inner.key(keysym, down);
  }
  releaseAll() {
    this.#inner.releaseAll();
  }
  close() {
    this.#inner.close();
  }
}

const agent = createAgent({
  injector: new ReportingInjector(),
  server: `http://127.0.0.1:${port}`,
  agentKey: 'bench-key',
  display,
  logger: createConsoleLogger({ level: 'warn' }),
  ...(codec === undefined || codec === 'default' ? {} : { codec }),
  ...(maxQuality === undefined ? {} : { jpegQuality: { max: Number(maxQuality) } }),
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
