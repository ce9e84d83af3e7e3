/** Smallest buffer the pool hands out (smaller requests share this size class). */
const MIN_CAPACITY = 64 * 1024;

export interface BufferPoolOptions {
  /** Free buffers kept per size class (powers of two from 64 KiB). Default 32; bounds 1–1024. */
  maxFreePerClass?: number;
}

/**
 * Reusable Buffers for per-frame output (JPEG rectangles): a full-screen frame of fresh
 * allocations is about 1 MB of garbage 30 times a second, which V8 collects in pauses that
 * delay input. `acquire` hands out a view of a pooled buffer; `release` takes it back once the
 * bytes have been used (a view that did not come from this pool is ignored).
 */
export class BufferPool {
  readonly #free = new Map<number, Buffer[]>();
  /** The pooled buffer behind each handed-out view, by the view's ArrayBuffer. */
  readonly #out = new WeakMap<ArrayBufferLike, Buffer>();
  readonly #maxFree: number;

  constructor(options: BufferPoolOptions = {}) {
    this.#maxFree = Math.min(1024, Math.max(1, Math.trunc(options.maxFreePerClass ?? 32)));
  }

  /** A view of `size` bytes (contents undefined). */
  acquire(size: number): Buffer {
    let capacity = MIN_CAPACITY;
    while (capacity < size) capacity *= 2;
    const whole = this.#free.get(capacity)?.pop() ?? Buffer.allocUnsafeSlow(capacity);
    this.#out.set(whole.buffer, whole);
    return whole.subarray(0, size);
  }

  /** Returns the buffer behind `view` to the pool; `view` must not be used afterwards. */
  release(view: Uint8Array): void {
    const whole = this.#out.get(view.buffer);
    if (whole === undefined) return;
    this.#out.delete(view.buffer);
    let free = this.#free.get(whole.byteLength);
    if (free === undefined) {
      free = [];
      this.#free.set(whole.byteLength, free);
    }
    if (free.length < this.#maxFree) free.push(whole);
  }
}
