// Typing through the harness's one XTest injector, the same for every system measured.
import { percentile, sleep, wallMs } from './env.mjs';

export const XK_BACKSPACE = 0xff08;

/** Types `count` keys at 10/s (`keysym(i)` each, held 30 ms); returns each press's wall-clock time. */
export async function typeKeys(ctx, count, keysym) {
  const starts = [];
  for (let i = 0; i < count; i++) {
    const t0 = wallMs();
    starts.push(t0);
    ctx.injector.key(keysym(i), true);
    await sleep(30);
    ctx.injector.key(keysym(i), false);
    await sleep(t0 + 100 - wallMs());
  }
  return starts;
}

/**
 * Per key, the time from its press to the first of `times` (wall clock, ascending) before the
 * next press; keys with none are not counted.
 */
export function keyLatencies(starts, times) {
  const latencies = [];
  for (let i = 0; i < starts.length; i++) {
    const end = starts[i + 1] ?? Number.POSITIVE_INFINITY;
    const first = times.find((t) => t >= starts[i] && t < end);
    if (first !== undefined) latencies.push(first - starts[i]);
  }
  if (process.env.GC_BENCH_DEBUG)
    console.error(`key latencies (ms): ${latencies.map((l) => l.toFixed(1)).join(' ')}`);
  return {
    keysSeen: latencies.length,
    latencyP50: percentile(latencies, 50),
    latencyP99: percentile(latencies, 99),
  };
}
