import koffi from 'koffi';
import type { PixelRect } from '../capture/screen-capturer.js';
import type { BufferPool } from './buffer-pool.js';
import { EncoderError, EncoderErrorCode } from './encoder-error.js';
import type { PixelSource } from './rect-encoder.js';

type Ptr = bigint;
type AsyncFn = ((...args: unknown[]) => unknown) & {
  async(...args: unknown[]): void;
};

interface TurboJpeg {
  init: () => Ptr | null;
  destroy: (h: Ptr) => number;
  compress: AsyncFn;
  bufSize: (w: number, h: number, sub: number) => number;
  alloc: (bytes: number) => Ptr | null;
  free: (p: Ptr) => void;
  error: (h: Ptr) => string;
}

const TJPF_BGRX = 3;
const TJFLAG_NOREALLOC = 1024;
const TJFLAG_FASTDCT = 2048;

/** Chroma subsampling, as TurboJPEG numbers it. */
export const JpegSubsampling = { S444: 0, S422: 1, S420: 2 } as const;
export type JpegSubsampling = (typeof JpegSubsampling)[keyof typeof JpegSubsampling];

export interface JpegEncoderOptions {
  /** The TurboJPEG library to load. Default `libturbojpeg.so.0` (Debian/Ubuntu `libturbojpeg0`). */
  library?: string;
  /** Most compressions running at once on libuv's thread pool. Default 4; bounds 1–16. */
  maxParallel?: number;
  /**
   * Where compressed rectangles are copied to. Default: a new Buffer each. With a pool, the
   * caller releases each result to it once the bytes were used.
   */
  pool?: BufferPool;
}

interface Slot {
  handle: Ptr;
  buffer: Ptr | null;
  capacity: number;
}

const bindings = new Map<string, TurboJpeg>();

function bind(library: string): TurboJpeg {
  const known = bindings.get(library);
  if (known !== undefined) return known;
  const lib = koffi.load(library);
  const tj: TurboJpeg = {
    init: lib.func('void *tjInitCompress()') as TurboJpeg['init'],
    destroy: lib.func('int tjDestroy(void *handle)') as TurboJpeg['destroy'],
    compress: lib.func(
      'int tjCompress2(void *handle, const uint8_t *src, int width, int pitch, int height, int pixelFormat, _Inout_ void **jpegBuf, _Inout_ unsigned long *jpegSize, int subsamp, int quality, int flags)',
    ) as unknown as AsyncFn,
    bufSize: lib.func('unsigned long tjBufSize(int width, int height, int subsamp)') as TurboJpeg['bufSize'],
    alloc: lib.func('void *tjAlloc(int bytes)') as TurboJpeg['alloc'],
    free: lib.func('void tjFree(void *buffer)') as TurboJpeg['free'],
    error: lib.func('const char *tjGetErrorStr2(void *handle)') as TurboJpeg['error'],
  };
  bindings.set(library, tj);
  return tj;
}

/**
 * Baseline JPEG (CODEC_JPEG) through the system's libjpeg-turbo, called with koffi on libuv's
 * thread pool so several rectangles compress in parallel off the event loop. The pixels are
 * read in place (BGRX, the source's stride), so the source must not change until the returned
 * promise settles. Each concurrent compression has its own TurboJPEG handle and output buffer,
 * both reused.
 */
export class JpegEncoder {
  readonly #tj: TurboJpeg;
  readonly #maxParallel: number;
  readonly #pool: BufferPool | undefined;
  readonly #idle: Slot[] = [];
  readonly #all: Slot[] = [];
  readonly #waiting: Array<(slot: Slot) => void> = [];
  #closed = false;

  /** Loads the library; throws {@link EncoderError} `GC_ERR_AGENT_JPEG_UNAVAILABLE` when it cannot. */
  constructor(options: JpegEncoderOptions = {}) {
    const library = options.library ?? 'libturbojpeg.so.0';
    try {
      this.#tj = bind(library);
    } catch (cause) {
      throw new EncoderError(EncoderErrorCode.JpegUnavailable, `cannot load ${library}`, { cause });
    }
    this.#maxParallel = Math.min(16, Math.max(1, Math.trunc(options.maxParallel ?? 4)));
    this.#pool = options.pool;
    // One handle now, so a library that loads but cannot compress fails here.
    this.#idle.push(this.#newSlot());
  }

  /** Compresses `rect` of `source` at `quality` (1–100). */
  async encode(
    source: PixelSource,
    rect: PixelRect,
    quality: number,
    subsampling: JpegSubsampling = JpegSubsampling.S420,
  ): Promise<Buffer> {
    if (this.#closed) throw new EncoderError(EncoderErrorCode.Closed, 'the JPEG encoder is closed');
    const slot = await this.#acquire();
    try {
      const need = this.#tj.bufSize(rect.width, rect.height, subsampling);
      if (slot.capacity < need) {
        if (slot.buffer !== null) this.#tj.free(slot.buffer);
        slot.buffer = this.#tj.alloc(need);
        slot.capacity = slot.buffer === null ? 0 : need;
        if (slot.buffer === null)
          throw new EncoderError(EncoderErrorCode.JpegFailed, `tjAlloc(${need}) failed`);
      }
      const start = rect.y * source.stride + rect.x * 4;
      const pixels = source.data.subarray(start, start + (rect.height - 1) * source.stride + rect.width * 4);
      const bufferRef: Array<Ptr | null> = [slot.buffer];
      const sizeRef = [slot.capacity];
      const q = Math.min(100, Math.max(1, Math.round(quality)));
      const rc = await new Promise<number>((resolve, reject) => {
        this.#tj.compress.async(
          slot.handle,
          pixels,
          rect.width,
          source.stride,
          rect.height,
          TJPF_BGRX,
          bufferRef,
          sizeRef,
          subsampling,
          q,
          TJFLAG_NOREALLOC | TJFLAG_FASTDCT,
          (error: unknown, result: number) => (error ? reject(error) : resolve(result)),
        );
      });
      if (rc !== 0) {
        throw new EncoderError(EncoderErrorCode.JpegFailed, `tjCompress2: ${this.#tj.error(slot.handle)}`);
      }
      const size = sizeRef[0] as number;
      const compressed = new Uint8Array(koffi.view(slot.buffer as Ptr, size));
      if (this.#pool === undefined) return Buffer.from(compressed);
      const out = this.#pool.acquire(size);
      out.set(compressed);
      return out;
    } finally {
      this.#release(slot);
    }
  }

  /** Frees every handle and buffer; pending compressions finish first. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const slot of this.#idle.splice(0)) this.#destroy(slot);
  }

  #newSlot(): Slot {
    const handle = this.#tj.init();
    if (handle === null || handle === 0n) {
      throw new EncoderError(EncoderErrorCode.JpegUnavailable, 'tjInitCompress failed');
    }
    const slot = { handle, buffer: null, capacity: 0 };
    this.#all.push(slot);
    return slot;
  }

  #acquire(): Promise<Slot> {
    const idle = this.#idle.pop();
    if (idle !== undefined) return Promise.resolve(idle);
    if (this.#all.length < this.#maxParallel) return Promise.resolve(this.#newSlot());
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #release(slot: Slot): void {
    const next = this.#waiting.shift();
    if (next !== undefined) next(slot);
    else if (this.#closed) this.#destroy(slot);
    else this.#idle.push(slot);
  }

  #destroy(slot: Slot): void {
    if (slot.buffer !== null) this.#tj.free(slot.buffer);
    slot.buffer = null;
    this.#tj.destroy(slot.handle);
  }
}
