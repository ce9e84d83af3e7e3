export interface ViewerFlowOptions {
  /** Unacknowledged frames allowed in flight. */
  window: number;
  /** Video is admitted only while the socket's buffered bytes stay at or under this. */
  videoBudgetBytes: number;
}

/** What to do with one video frame for one viewer. */
export type VideoVerdict = 'send' | 'drop';

/**
 * Video flow control for one viewer, from the relay's side: frames in flight (cumulative
 * acks), whether the viewer lost frames and so needs a key frame, and whether a refresh was
 * asked for it. Pure bookkeeping: no socket, no timer.
 */
export class ViewerFlow {
  readonly #window: number;
  readonly #budget: number;
  /** Sequences forwarded and not yet acknowledged, ascending. */
  #inflight: number[] = [];
  #needsKeyFrame = false;
  #refreshAskedAt: number | undefined;
  #behindSince: number | undefined;
  /** Highest socket buffered-bytes figure seen right after a send. */
  peakBufferedBytes = 0;

  constructor(options: ViewerFlowOptions) {
    this.#window = options.window;
    this.#budget = options.videoBudgetBytes;
  }

  get inflight(): number {
    return this.#inflight.length;
  }

  get needsKeyFrame(): boolean {
    return this.#needsKeyFrame;
  }

  /** Since when (performance.now()) video has been dropped for this viewer; undefined when caught up. */
  get behindSince(): number | undefined {
    return this.#behindSince;
  }

  /**
   * Decides about one frame of `size` bytes while the socket holds `buffered` bytes. A drop
   * marks the viewer behind: from then on only a key frame is admitted.
   */
  admit(sequence: number, keyFrame: boolean, size: number, buffered: number, now: number): VideoVerdict {
    const room = this.#inflight.length < this.#window && buffered + size <= this.#budget;
    if (room && (keyFrame || !this.#needsKeyFrame)) {
      this.#inflight.push(sequence);
      if (keyFrame) {
        this.#needsKeyFrame = false;
        this.#refreshAskedAt = undefined;
        this.#behindSince = undefined;
      }
      return 'send';
    }
    if (!room) {
      // A refresh asked before this drop may be answered by a key frame we cannot send either.
      this.#refreshAskedAt = undefined;
    }
    this.#needsKeyFrame = true;
    this.#behindSince ??= now;
    return 'drop';
  }

  /** A cumulative FrameAck: every frame up to `sequence` was painted. */
  ack(sequence: number): void {
    let n = 0;
    while (n < this.#inflight.length && (this.#inflight[n] as number) <= sequence) n += 1;
    if (n > 0) this.#inflight.splice(0, n);
  }

  /**
   * True when a refresh should be asked for now: the viewer needs a key frame, has room again,
   * and no refresh is outstanding (or the last one is older than `retryMs`). Records the ask.
   */
  shouldRequestRefresh(buffered: number, now: number, retryMs: number): boolean {
    if (!this.#needsKeyFrame) return false;
    if (this.#inflight.length >= this.#window || buffered > this.#budget / 2) return false;
    if (this.#refreshAskedAt !== undefined && now - this.#refreshAskedAt < retryMs) return false;
    this.#refreshAskedAt = now;
    return true;
  }

  /** The agent connection changed: its sequences start over. */
  reset(): void {
    this.#inflight = [];
    this.#needsKeyFrame = false;
    this.#refreshAskedAt = undefined;
    this.#behindSince = undefined;
  }
}
