// The agent's side of VideoFrame.stream_chunk for the viewer tests: a zstd stream (the system's
// libzstd through koffi) flushed once per chunk, each chunk rectangles as geometry + BGRA.
import koffi from 'koffi';
import type { TestRect } from './test-frames.js';

interface LibZstd {
  create(): unknown;
  free(cctx: unknown): number;
  set(cctx: unknown, param: number, value: number): number;
  reset(cctx: unknown, directive: number): number;
  compress(
    cctx: unknown,
    dst: Buffer,
    cap: number,
    dstPos: [number],
    src: Uint8Array,
    size: number,
    srcPos: [number],
    endOp: number,
  ): number;
  isError(code: number): number;
}

let lib: LibZstd | undefined;
function load(): LibZstd {
  if (lib !== undefined) return lib;
  const so = koffi.load('libzstd.so.1');
  lib = {
    create: so.func('void *ZSTD_createCCtx(void)'),
    free: so.func('size_t ZSTD_freeCCtx(void *)'),
    set: so.func('size_t ZSTD_CCtx_setParameter(void *, int, int)'),
    reset: so.func('size_t ZSTD_CCtx_reset(void *, int)'),
    compress: so.func(
      'size_t ZSTD_compressStream2_simpleArgs(void *, void *, size_t, _Inout_ size_t *, const void *, size_t, _Inout_ size_t *, int)',
    ),
    isError: so.func('unsigned int ZSTD_isError(size_t)'),
  } as LibZstd;
  return lib;
}

/** Rectangles as a chunk's content: 8 bytes of geometry (uint16 LE x, y, w, h), then BGRA. */
export function chunkContent(rects: readonly TestRect[]): Buffer {
  return Buffer.concat(
    rects.flatMap((r) => {
      const geometry = Buffer.alloc(8);
      geometry.writeUInt16LE(r.x, 0);
      geometry.writeUInt16LE(r.y, 2);
      geometry.writeUInt16LE(r.width, 4);
      geometry.writeUInt16LE(r.height, 6);
      return [geometry, r.bgra];
    }),
  );
}

/** One zstd stream, a chunk per call; the first chunk (and the first after reset()) opens it. */
export class TestStream {
  readonly #cctx: unknown;
  #counter = 0;
  #open = false;

  constructor(windowLog = 22) {
    const l = load();
    this.#cctx = l.create();
    l.set(this.#cctx, 100, 3); // compression level
    l.set(this.#cctx, 101, windowLog);
    l.set(this.#cctx, 200, 0); // no content size: the frame never ends
  }

  /** A chunk holding `content` (header byte first); `number` overrides its number. */
  chunk(content: Uint8Array, number?: number): Buffer {
    const l = load();
    const out = Buffer.alloc(content.byteLength + 1024);
    const dst: [number] = [1];
    const src: [number] = [0];
    const flag = this.#open ? 0 : 0x80;
    if (!this.#open) this.#counter = 0;
    this.#open = true;
    for (;;) {
      const left = l.compress(this.#cctx, out, out.byteLength, dst, content, content.byteLength, src, 1);
      if (l.isError(left) !== 0) throw new Error('zstd stream compression failed');
      if (left === 0) break;
    }
    out[0] = flag | ((number ?? this.#counter) & 0x7f);
    this.#counter = (this.#counter + 1) & 0x7f;
    return out.subarray(0, dst[0]);
  }

  /** The next chunk opens a new stream. */
  reset(): void {
    load().reset(this.#cctx, 1); // session only: the parameters stay
    this.#open = false;
  }

  close(): void {
    load().free(this.#cctx);
  }
}
