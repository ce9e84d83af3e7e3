export interface BackoffOptions {
  /** First ceiling in ms. Default 1000; bounds 1–60 000. */
  baseMs?: number;
  /** Largest ceiling in ms. Default 30 000; at least `baseMs`. */
  capMs?: number;
  /** Uniform random source in [0, 1). Default `Math.random`. Inject for deterministic tests. */
  random?: () => number;
}

/**
 * Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff and
 * Jitter"): delay = random(0, min(cap, base · 2^attempt)). Spreads reconnecting agents over
 * the whole window, so a relay restart is not met by a synchronized stampede.
 */
export class Backoff {
  readonly baseMs: number;
  readonly capMs: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: BackoffOptions = {}) {
    this.baseMs = Math.min(60_000, Math.max(1, options.baseMs ?? 1000));
    this.capMs = Math.max(this.baseMs, options.capMs ?? 30_000);
    this.#random = options.random ?? Math.random;
  }

  /** Attempts since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  /** The ceiling for attempt `attempt`: min(cap, base · 2^attempt). */
  ceiling(attempt: number): number {
    return Math.min(this.capMs, this.baseMs * 2 ** Math.min(attempt, 30));
  }

  /** The delay before the next attempt, and counts it. */
  next(): number {
    const delay = this.#random() * this.ceiling(this.#attempt);
    this.#attempt++;
    return Math.floor(delay);
  }

  reset(): void {
    this.#attempt = 0;
  }
}
