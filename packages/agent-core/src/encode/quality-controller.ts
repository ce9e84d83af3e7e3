export interface QualityControllerOptions {
  /** Lowest JPEG quality the link may push it to. Default 40, or `max` when that is lower; bounds 1–100. */
  min?: number;
  /** Highest (and starting) JPEG quality. Default 93; bounds `min`–100. */
  max?: number;
  /**
   * JPEG quality cap for frames whose lossy area is at least `motionPixels` (full-screen motion:
   * detail is not seen, bytes and CPU are). Default 60; bounds `min`–`max`.
   */
  motionQuality?: number;
  /** Lossy pixels in one frame from which `motionQuality` applies. Default 1 000 000. */
  motionPixels?: number;
  /** How often the quality is re-evaluated, ms. Default 250; bounds 50–10 000. */
  intervalMs?: number;
  /** A smoothed acknowledgement round trip above this counts as a congested link, ms. Default 150; bounds 10–10 000. */
  slowRoundTripMs?: number;
}

/**
 * Adapts JPEG quality to the measured link: the share of time the streamer had something to
 * send but no viewer had room in its window (the viewer or the link cannot keep up), and the
 * smoothed frame acknowledgement round trip. Congested → quality drops by 8 per interval; a
 * clear link → it climbs back by 3.
 */
export class QualityController {
  readonly min: number;
  readonly max: number;
  readonly #motionQuality: number;
  readonly #motionPixels: number;
  readonly #intervalMs: number;
  #quality: number;
  readonly #sentAt = new Map<bigint, number>();
  #rtt: number | undefined;
  readonly #slowMs: number;
  #blockedSince: number | undefined;
  #blockedMs = 0;
  #intervalStart: number | undefined;

  constructor(options: QualityControllerOptions = {}) {
    // A cap under the default floor lowers the floor with it (it is not raised to 40).
    this.min = clamp(options.min ?? Math.min(40, options.max ?? 40), 1, 100);
    this.max = clamp(options.max ?? 93, this.min, 100);
    this.#motionQuality = clamp(options.motionQuality ?? 60, this.min, this.max);
    this.#motionPixels = Math.max(1, options.motionPixels ?? 1_000_000);
    this.#intervalMs = clamp(options.intervalMs ?? 250, 50, 10_000);
    this.#slowMs = clamp(options.slowRoundTripMs ?? 150, 10, 10_000);
    this.#quality = this.max;
  }

  /** The link-adapted quality now. */
  get quality(): number {
    return this.#quality;
  }

  /** Smoothed acknowledgement round trip in ms, once one was measured. */
  get roundTripMs(): number | undefined {
    return this.#rtt;
  }

  /** Quality for a frame with `lossyPixels` of JPEG. */
  qualityFor(lossyPixels: number): number {
    return lossyPixels >= this.#motionPixels ? Math.min(this.#quality, this.#motionQuality) : this.#quality;
  }

  sent(sequence: bigint, now: number): void {
    this.#sentAt.set(sequence, now);
    if (this.#sentAt.size > 256) {
      const oldest = this.#sentAt.keys().next().value as bigint;
      this.#sentAt.delete(oldest);
    }
    this.#tick(now);
  }

  /** A viewer acknowledged every frame up to `sequence`. */
  acked(sequence: bigint, now: number): void {
    const at = this.#sentAt.get(sequence);
    for (const s of this.#sentAt.keys()) {
      if (s > sequence) break;
      this.#sentAt.delete(s);
    }
    if (at !== undefined) {
      const sample = now - at;
      this.#rtt = this.#rtt === undefined ? sample : this.#rtt * 0.8 + sample * 0.2;
    }
    this.#tick(now);
  }

  /** The streamer has work but every window is full (true) / has room again (false). */
  setBlocked(blocked: boolean, now: number): void {
    if (blocked && this.#blockedSince === undefined) this.#blockedSince = now;
    if (!blocked && this.#blockedSince !== undefined) {
      this.#blockedMs += now - this.#blockedSince;
      this.#blockedSince = undefined;
    }
    this.#tick(now);
  }

  #tick(now: number): void {
    this.#intervalStart ??= now;
    const elapsed = now - this.#intervalStart;
    if (elapsed < this.#intervalMs) return;
    let blocked = this.#blockedMs;
    if (this.#blockedSince !== undefined) {
      blocked += now - this.#blockedSince;
      this.#blockedSince = now;
    }
    const blockedShare = blocked / elapsed;
    const rtt = this.#rtt ?? 0;
    if (rtt > this.#slowMs || blockedShare > 0.25) this.#quality = Math.max(this.min, this.#quality - 8);
    else if (blockedShare < 0.05 && rtt <= this.#slowMs / 2)
      this.#quality = Math.min(this.max, this.#quality + 3);
    this.#blockedMs = 0;
    this.#intervalStart = now;
  }
}

function clamp(value: number, min: number, max: number): number {
  if (!Number.isFinite(value)) return max;
  return Math.min(max, Math.max(min, Math.round(value)));
}
