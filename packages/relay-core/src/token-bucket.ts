export interface TokenBucketOptions {
  /** Tokens added per second. Required, > 0. */
  ratePerSecond: number;
  /** Largest burst. Default `ratePerSecond` (one second's worth). */
  burst?: number;
}

/** A token bucket on `performance.now()`; holds no timer. */
export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  #tokens: number;
  #last: number;

  constructor(options: TokenBucketOptions) {
    this.#rate = options.ratePerSecond / 1000;
    this.#burst = options.burst ?? options.ratePerSecond;
    this.#tokens = this.#burst;
    this.#last = performance.now();
  }

  /** Takes one token; false when the bucket is empty. */
  take(): boolean {
    const now = performance.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#last) * this.#rate);
    this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
