export interface ReconnectBackoffOptions {
  /** Delay before the first retry, in ms (before jitter). Default 500; ≥ 0. */
  baseDelayMs?: number;
  /** Longest delay between two retries, in ms. Default 15 000; ≥ `baseDelayMs`. */
  maxDelayMs?: number;
}

/**
 * Delay before reconnect attempt `attempt` (1 for the first retry): exponential from
 * `baseDelayMs`, capped at `maxDelayMs`, with jitter drawing it from the upper half of that
 * range so that many viewers dropped by one server restart do not come back in lockstep.
 */
export function reconnectDelay(
  attempt: number,
  options: ReconnectBackoffOptions = {},
  random: () => number = Math.random,
): number {
  const base = Math.max(0, options.baseDelayMs ?? 500);
  const max = Math.max(base, options.maxDelayMs ?? 15_000);
  const exp = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp * (0.5 + random() * 0.5));
}
