import { RateLimiterMemory } from 'rate-limiter-flexible';
import { ServerKitError, ServerKitErrorCode } from './server-kit-error.js';

export interface AttemptLimit {
  /** Failures allowed per window (≥ 1). */
  failures: number;
  /** Window length in seconds (≥ 1). */
  windowSeconds: number;
}

/**
 * Counts FAILED attempts per key with rate-limiter-flexible (in memory, per process) and refuses
 * further attempts for a key once its failures in the window are used up. Only failures count, so
 * a legitimate user is never slowed by their own successes.
 */
export class AttemptLimiter {
  readonly #limiter: RateLimiterMemory;
  readonly #what: string;

  constructor(keyPrefix: string, limit: AttemptLimit, what: string) {
    if (!Number.isInteger(limit.failures) || limit.failures < 1) throw new RangeError('failures must be ≥ 1');
    if (!Number.isInteger(limit.windowSeconds) || limit.windowSeconds < 1)
      throw new RangeError('windowSeconds must be ≥ 1');
    this.#limiter = new RateLimiterMemory({
      keyPrefix,
      points: limit.failures,
      duration: limit.windowSeconds,
    });
    this.#what = what;
  }

  /** Throws GC_ERR_RATE_LIMITED (with retryAfterSeconds) when `key` has no failures left. */
  async check(key: string, correlationId?: string): Promise<void> {
    const state = await this.#limiter.get(key);
    if (state !== null && state.remainingPoints <= 0) {
      throw new ServerKitError(
        ServerKitErrorCode.RateLimited,
        `Too many failed ${this.#what}; try again later`,
        {
          retryAfterSeconds: Math.max(1, Math.ceil(state.msBeforeNext / 1000)),
          ...(correlationId === undefined ? {} : { correlationId }),
        },
      );
    }
  }

  async fail(key: string): Promise<void> {
    await this.#limiter.penalty(key, 1);
  }

  async reset(key: string): Promise<void> {
    await this.#limiter.delete(key);
  }
}
