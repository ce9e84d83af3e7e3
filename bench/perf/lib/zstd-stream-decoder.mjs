// VideoFrame.stream_chunk for the headless viewer: one decompression context (the system's libzstd
// through koffi) fed the stream's chunks in order, as <gc-viewer>'s WebAssembly decoder is.
import koffi from 'koffi';

let lib;
function load() {
  if (lib !== undefined) return lib;
  const so = koffi.load('libzstd.so.1');
  lib = {
    create: so.func('void *ZSTD_createDCtx(void)'),
    free: so.func('size_t ZSTD_freeDCtx(void *)'),
    reset: so.func('size_t ZSTD_DCtx_reset(void *, int)'),
    setParameter: so.func('size_t ZSTD_DCtx_setParameter(void *, int, int)'),
    decompress: so.func(
      'size_t ZSTD_decompressStream_simpleArgs(void *, void *, size_t, _Inout_ size_t *, const void *, size_t, _Inout_ size_t *)',
    ),
    isError: so.func('unsigned int ZSTD_isError(size_t)'),
    errorName: so.func('const char *ZSTD_getErrorName(size_t)'),
  };
  return lib;
}

const ZSTD_D_WINDOW_LOG_MAX = 100;
const RESET_FLAG = 0x80;

/** The rectangles of a decoded chunk: 8 bytes of geometry (uint16 LE x, y, w, h), then BGRA. */
export function chunkRects(content) {
  const rects = [];
  for (let at = 0; at < content.byteLength; ) {
    const r = {
      x: content.readUInt16LE(at),
      y: content.readUInt16LE(at + 2),
      width: content.readUInt16LE(at + 4),
      height: content.readUInt16LE(at + 6),
    };
    at += 8 + r.width * r.height * 4;
    if (at > content.byteLength) throw new Error('stream chunk rectangle runs past its end');
    rects.push(r);
  }
  return rects;
}

/** Most bytes one chunk decompresses to (the wire promise of `VideoFrame.stream_chunk`). */
const CHUNK_MAX_BYTES = 4 * 1024 * 1024;

export class ZstdStreamDecoder {
  #dctx;
  #next = -1;
  // One output buffer, reused: a fresh 4 MiB per chunk would make this process the bottleneck.
  #out = Buffer.allocUnsafe(CHUNK_MAX_BYTES);
  constructor() {
    const l = load();
    this.#dctx = l.create();
    l.setParameter(this.#dctx, ZSTD_D_WINDOW_LOG_MAX, 22);
  }
  /** Decodes one chunk (header byte first), or throws; the bytes are valid until the next decode. */
  decode(payload) {
    if (this.#dctx === undefined) throw new Error('zstd stream decoder is closed');
    const l = load();
    const header = payload[0];
    if (header & RESET_FLAG) {
      l.reset(this.#dctx, 1);
      this.#next = header & 0x7f;
    }
    if ((header & 0x7f) !== this.#next)
      throw new Error(`zstd stream chunk ${header & 0x7f}, expected ${this.#next}`);
    const out = this.#out;
    const dst = [0];
    const src = [1];
    for (;;) {
      const before = dst[0];
      const r = l.decompress(this.#dctx, out, out.byteLength, dst, payload, payload.byteLength, src);
      if (l.isError(r)) throw new Error(`zstd stream: ${l.errorName(r)}`);
      if (src[0] === payload.byteLength && dst[0] === before) break;
      if (dst[0] === out.byteLength) throw new Error('zstd stream chunk is too large');
    }
    this.#next = (this.#next + 1) & 0x7f;
    return out.subarray(0, dst[0]);
  }
  close() {
    if (this.#dctx) load().free(this.#dctx);
    this.#dctx = undefined;
  }
}
