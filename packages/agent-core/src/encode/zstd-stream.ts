import { EncoderError, EncoderErrorCode } from './encoder-error.js';
import { type LibZstd, loadLibZstd } from './libzstd.js';

/** Largest window a stream uses (and viewers accept): 2^22 = 4 MiB. */
export const ZSTD_STREAM_WINDOW_LOG = 22;
/** Bit 7 of a chunk's first byte: the chunk starts a new stream. */
export const ZSTD_STREAM_RESET_FLAG = 0x80;

export interface ZstdStreamOptions {
  /**
   * zstd level. Default 15: chunks are small (a frame's glyphs and lines, at most 256 KiB), so
   * a thorough search costs little (a 660×13 line of text: 0.15 ms, 650 B; level 9: 0.2 ms,
   * 1.2 KB) and its match tables are capped at 2^17 entries. Bounds 1–19.
   */
  level?: number;
  /** Shared library to load. Default `libzstd.so.1`. */
  library?: string;
}

const ZSTD_C_COMPRESSION_LEVEL = 100;
const ZSTD_C_WINDOW_LOG = 101;
const ZSTD_C_HASH_LOG = 102;
const ZSTD_C_CHAIN_LOG = 103;
/** Match-finder tables of 2^17 entries (about 1 MiB in all) whatever the level. */
const TABLE_LOG = 17;
const ZSTD_C_CONTENT_SIZE_FLAG = 200;
const ZSTD_C_CHECKSUM_FLAG = 201;
const ZSTD_RESET_SESSION_ONLY = 1;
const ZSTD_E_FLUSH = 1;

/**
 * The compressor behind `VideoFrame.stream_chunk`: one zstd stream (system libzstd through
 * koffi) flushed once per chunk (a frame's small rectangles), so a chunk costs only what is new
 * against the pixels sent before it — a typed glyph already seen is a few bytes. Every chunk starts with one byte:
 * {@link ZSTD_STREAM_RESET_FLAG} when it opens a new stream, and its number in the stream modulo
 * 128, so a viewer notices a chunk it missed. Compression is synchronous: chunks must be made
 * in the order the viewers will decode them. Holds a native context: {@link close} frees it.
 */
export class ZstdStream {
  readonly #lib: LibZstd;
  #cctx: unknown;
  #resetPending = true;
  #counter = 0;
  #out = Buffer.alloc(0);

  private constructor(lib: LibZstd, cctx: unknown) {
    this.#lib = lib;
    this.#cctx = cctx;
  }

  /** A new stream, or undefined when libzstd cannot be loaded. */
  static open(options: ZstdStreamOptions = {}): ZstdStream | undefined {
    const lib = loadLibZstd(options.library);
    if (lib === null) return undefined;
    const cctx = lib.createCCtx();
    if (cctx === null) return undefined;
    const level = Math.min(19, Math.max(1, Math.trunc(options.level ?? 15)));
    for (const [param, value] of [
      [ZSTD_C_COMPRESSION_LEVEL, level],
      [ZSTD_C_WINDOW_LOG, ZSTD_STREAM_WINDOW_LOG],
      [ZSTD_C_CONTENT_SIZE_FLAG, 0],
      [ZSTD_C_CHECKSUM_FLAG, 0],
      [ZSTD_C_HASH_LOG, TABLE_LOG],
      [ZSTD_C_CHAIN_LOG, TABLE_LOG],
    ] as const) {
      const code = lib.setParameter(cctx, param, value);
      if (lib.isError(code) !== 0) {
        lib.freeCCtx(cctx);
        return undefined;
      }
    }
    return new ZstdStream(lib, cctx);
  }

  /** The next chunk starts a new stream (a viewer joined, lost frames or asked for a refresh). */
  reset(): void {
    this.#resetPending = true;
  }

  /** Compresses `raw` as the stream's next chunk (header byte included). */
  chunk(raw: Uint8Array): Uint8Array {
    if (this.#cctx === undefined) throw new EncoderError(EncoderErrorCode.Closed, 'zstd stream is closed');
    const lib = this.#lib;
    let header = this.#counter;
    if (this.#resetPending) {
      const code = lib.resetCCtx(this.#cctx, ZSTD_RESET_SESSION_ONLY);
      if (lib.isError(code) !== 0) throw failure(lib, code);
      this.#resetPending = false;
      this.#counter = 0;
      header = ZSTD_STREAM_RESET_FLAG;
    }
    // A flush of n bytes never exceeds the bound of n plus a block header or two.
    const capacity = lib.bound(raw.byteLength) + 32;
    if (this.#out.byteLength < capacity + 1) this.#out = Buffer.allocUnsafe(Math.max(capacity + 1, 4096));
    const dstPos: [number] = [1];
    const srcPos: [number] = [0];
    for (let round = 0; ; round++) {
      const left = lib.compressStream2(
        this.#cctx,
        this.#out,
        capacity + 1,
        dstPos,
        raw,
        raw.byteLength,
        srcPos,
        ZSTD_E_FLUSH,
      );
      if (lib.isError(left) !== 0) {
        // The context's state is unknown now: the next chunk opens a new stream.
        this.#resetPending = true;
        throw failure(lib, left);
      }
      if (left === 0 && srcPos[0] === raw.byteLength) break;
      if (round > 8 || dstPos[0] >= capacity + 1) {
        this.#resetPending = true;
        throw new EncoderError(EncoderErrorCode.ZstdStreamFailed, 'zstd stream flush did not complete');
      }
    }
    this.#out[0] = header | (this.#counter & 0x7f);
    this.#counter = (this.#counter + 1) & 0x7f;
    return Uint8Array.prototype.slice.call(this.#out, 0, dstPos[0]);
  }

  /** Frees the native context. Idempotent. */
  close(): void {
    if (this.#cctx === undefined) return;
    this.#lib.freeCCtx(this.#cctx);
    this.#cctx = undefined;
  }
}

function failure(lib: LibZstd, code: number): EncoderError {
  return new EncoderError(EncoderErrorCode.ZstdStreamFailed, `zstd stream failed: ${lib.errorName(code)}`);
}
