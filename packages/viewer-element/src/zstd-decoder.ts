import { decompress as fzstdDecompress } from 'fzstd';
import { ZSTD_WASM_BASE64 } from './gen/zstd-wasm.js';
import { ViewerError, ViewerErrorCode } from './viewer-error.js';

/** Which implementation decodes zstd rectangles. */
export type ZstdDecoderKind = 'wasm' | 'js';

/** Decompresses zstd rectangles of 32-bit BGRX pixels. Not reentrant: one call at a time. */
export interface ZstdDecoder {
  readonly kind: ZstdDecoderKind;
  /**
   * Returns exactly `size` decompressed bytes (a copy the caller owns); throws
   * {@link ViewerError} `GC_ERR_VIEWER_DECODE` when the input is not a zstd frame or does not
   * decompress to `size` bytes.
   */
  decode(src: Uint8Array, size: number): Uint8Array;
  /**
   * Decodes a `width`×`height` BGRX rectangle straight to opaque RGBA, ready for `ImageData`.
   * The returned pixels are valid only until the next call on this decoder (the WebAssembly
   * decoder returns a view of its own memory, so nothing is copied). Throws like {@link decode}.
   */
  decodeRgba(src: Uint8Array, width: number, height: number): Uint8ClampedArray<ArrayBuffer>;
  /**
   * A decompression context for one `VideoFrame.stream_chunk` stream, or undefined when this
   * decoder cannot keep one (the pure-JS fallback): the viewer then does not announce
   * `codec-zstd-stream`.
   */
  createStream(): ZstdStreamContext | undefined;
}

/**
 * One zstd stream's decompression context (see {@link ZstdDecoder.createStream}). Shares the
 * decoder's buffers: what {@link decode} returns is valid until the next call on the decoder.
 */
export interface ZstdStreamContext {
  /** Forgets the stream so far (the next data starts a new zstd frame). */
  reset(): void;
  /**
   * Decompresses the next flushed piece of the stream, at most `maxBytes` of output. Throws
   * {@link ViewerError} `GC_ERR_VIEWER_DECODE` when the data is corrupt or larger.
   */
  decode(src: Uint8Array, maxBytes: number): ZstdStreamOutput;
  /** Frees the context. Idempotent. */
  dispose(): void;
}

/** Decompressed stream bytes, in place in the decoder's memory. */
export interface ZstdStreamOutput {
  readonly bytes: Uint8Array<ArrayBuffer>;
  /**
   * Swizzles `pixels` BGRX pixels at `offset` of {@link bytes} to opaque RGBA in place and returns
   * them, ready for `ImageData`.
   */
  rgba(offset: number, pixels: number): Uint8ClampedArray<ArrayBuffer>;
}

let wasmDecoder: Promise<ZstdDecoder> | undefined;

/**
 * The zstd decoder to use: the reference zstd decompressor built for WebAssembly with SIMD by
 * `wasm/build.mjs` (chosen by measurement: bench/viewer-element shows it ahead of `zstddec` and
 * far ahead of the pure-JS `fzstd`, and it also swizzles the pixels in place), or `fzstd` when
 * WebAssembly cannot start — e.g. a page whose CSP lacks `'wasm-unsafe-eval'`. Loaded once
 * per page.
 */
export function loadZstdDecoder(preferred: ZstdDecoderKind = 'wasm'): Promise<ZstdDecoder> {
  if (preferred === 'js') return Promise.resolve(createJsDecoder());
  wasmDecoder ??= instantiateWasmDecoder().catch(() => createJsDecoder());
  return wasmDecoder;
}

interface ZstdExports {
  readonly memory: WebAssembly.Memory;
  gc_input(size: number): number;
  gc_output(size: number): number;
  gc_size_mismatch(srcLength: number, expected: number): number;
  gc_decode(srcLength: number, dstLength: number): number;
  gc_is_error(code: number): number;
  gc_error_name(code: number): number;
  gc_bgra_to_rgba(pixels: number): void;
  gc_bgra_to_rgba_at(offset: number, pixels: number): void;
  gc_stream_new(): number;
  gc_stream_free(ctx: number): void;
  gc_stream_reset(ctx: number): void;
  gc_stream_decode(ctx: number, srcLength: number, dstCapacity: number): number;
}

/** A new WebAssembly zstd decoder with its own memory (exported for tests and benchmarks). */
export async function instantiateWasmDecoder(): Promise<ZstdDecoder> {
  const bytes = Uint8Array.from(atob(ZSTD_WASM_BASE64), (c) => c.charCodeAt(0));
  const { instance } = await WebAssembly.instantiate(bytes, {});
  const wasm = instance.exports as unknown as ZstdExports;

  /** Decompresses into the WebAssembly output buffer; returns its address. */
  const run = (src: Uint8Array, size: number): number => {
    const input = wasm.gc_input(src.byteLength);
    if (input === 0) throw tooLarge(src.byteLength);
    new Uint8Array(wasm.memory.buffer, input, src.byteLength).set(src);
    // Refuse a frame whose header declares another size before allocating for it.
    if (wasm.gc_size_mismatch(src.byteLength, size) !== 0) {
      throw new ViewerError(
        ViewerErrorCode.Decode,
        `zstd rectangle is not a zstd frame of ${size} bytes (its header says otherwise)`,
      );
    }
    const output = wasm.gc_output(size);
    if (output === 0) throw tooLarge(size);
    // Sizes cross as wasm32 size_t; `>>> 0` reads the result back unsigned.
    const result = wasm.gc_decode(src.byteLength, size) >>> 0;
    if (wasm.gc_is_error(result) !== 0) {
      throw new ViewerError(ViewerErrorCode.Decode, `zstd rectangle failed to decode: ${errorName(result)}`);
    }
    if (result !== size) {
      throw new ViewerError(
        ViewerErrorCode.Decode,
        `zstd rectangle decoded to ${result} bytes, expected ${size}`,
      );
    }
    return output;
  };
  const tooLarge = (bytes: number) =>
    new ViewerError(ViewerErrorCode.Decode, `zstd rectangle of ${bytes} bytes is too large to decode`);
  const errorName = (code: number): string => {
    const memory = new Uint8Array(wasm.memory.buffer);
    const start = wasm.gc_error_name(code) >>> 0;
    let end = start;
    while (end < memory.length && memory[end] !== 0 && end - start < 200) end++;
    return new TextDecoder().decode(memory.subarray(start, end));
  };

  const createStream = (): ZstdStreamContext | undefined => {
    let ctx = wasm.gc_stream_new();
    if (ctx === 0) return undefined;
    return {
      reset() {
        if (ctx !== 0) wasm.gc_stream_reset(ctx);
      },
      decode(src, maxBytes) {
        if (ctx === 0) throw new ViewerError(ViewerErrorCode.Decode, 'zstd stream is closed');
        const input = wasm.gc_input(src.byteLength);
        if (input === 0) throw tooLarge(src.byteLength);
        new Uint8Array(wasm.memory.buffer, input, src.byteLength).set(src);
        const output = wasm.gc_output(maxBytes);
        if (output === 0) throw tooLarge(maxBytes);
        const result = wasm.gc_stream_decode(ctx, src.byteLength, maxBytes) >>> 0;
        if (wasm.gc_is_error(result) !== 0) {
          throw new ViewerError(
            ViewerErrorCode.Decode,
            `zstd stream chunk failed to decode: ${errorName(result)}`,
          );
        }
        const bytes = new Uint8Array(wasm.memory.buffer as ArrayBuffer, output, result);
        return {
          bytes,
          rgba(offset, pixels) {
            wasm.gc_bgra_to_rgba_at(offset, pixels);
            return new Uint8ClampedArray(wasm.memory.buffer as ArrayBuffer, output + offset, pixels * 4);
          },
        };
      },
      dispose() {
        if (ctx !== 0) wasm.gc_stream_free(ctx);
        ctx = 0;
      },
    };
  };

  return {
    kind: 'wasm',
    createStream,
    decode(src, size) {
      const output = run(src, size);
      return new Uint8Array(wasm.memory.buffer, output, size).slice();
    },
    decodeRgba(src, width, height) {
      const pixels = width * height;
      const output = run(src, pixels * 4);
      wasm.gc_bgra_to_rgba(pixels);
      return new Uint8ClampedArray(wasm.memory.buffer as ArrayBuffer, output, pixels * 4);
    },
  };
}

/** The pure-JS fallback (`fzstd`), for pages that forbid WebAssembly. */
export function createJsDecoder(): ZstdDecoder {
  let rgba = new Uint8ClampedArray(0);
  const decode = (src: Uint8Array, size: number): Uint8Array => {
    let out: Uint8Array;
    try {
      // fzstd is markedly slower when handed an output buffer, so let it allocate.
      out = fzstdDecompress(src);
    } catch (cause) {
      throw new ViewerError(ViewerErrorCode.Decode, 'zstd rectangle failed to decode', { cause });
    }
    if (out.byteLength !== size) {
      throw new ViewerError(
        ViewerErrorCode.Decode,
        `zstd rectangle decoded to ${out.byteLength} bytes, expected ${size}`,
      );
    }
    return out;
  };
  return {
    kind: 'js',
    decode,
    // fzstd's streaming decoder holds back short inputs, so it cannot promise a flushed chunk's
    // pixels when the chunk arrives: without WebAssembly the viewer does without the stream.
    createStream: () => undefined,
    decodeRgba(src, width, height) {
      const bgra = decode(src, width * height * 4);
      if (rgba.byteLength < bgra.byteLength) rgba = new Uint8ClampedArray(bgra.byteLength);
      const view = rgba.subarray(0, bgra.byteLength);
      bgraToRgba(bgra, view);
      return view;
    },
  };
}

/**
 * BGRA → RGBA with alpha 255, one 32-bit word per pixel (little-endian, as every browser is).
 * `src` and `dst` must hold the same number of pixels.
 */
export function bgraToRgba(src: Uint8Array, dst: Uint8ClampedArray): void {
  const aligned = src.byteOffset % 4 === 0 ? src : src.slice();
  const from = new Uint32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength >>> 2);
  const to = new Uint32Array(dst.buffer, dst.byteOffset, dst.byteLength >>> 2);
  const n = from.length;
  for (let i = 0; i < n; i++) {
    const v = from[i]!;
    to[i] = 0xff000000 | (v & 0xff00) | ((v >>> 16) & 0xff) | ((v & 0xff) << 16);
  }
}
