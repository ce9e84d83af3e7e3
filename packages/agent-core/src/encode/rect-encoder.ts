import { Codec } from '@guruconnect/protocol';
import type { PixelRect } from '../capture/screen-capturer.js';
import { zstdCompress, zstdCompressSync } from './zstd-compress.js';

/** One encoded rectangle, shaped like the wire `Rect`. */
export interface EncodedRect extends PixelRect {
  codec: Codec;
  payload: Uint8Array;
  /** Source corner of a CODEC_COPY rectangle. */
  srcX?: number;
  srcY?: number;
  /**
   * Set on rectangles meant for the sender's zstd stream (`VideoFrame.stream_chunk`): their
   * pixels (BGRA, alpha 255), compressed when the frame goes out, in send order; `payload` is
   * empty until then (`codec` says what to send if the stream cannot take them).
   */
  raw?: Uint8Array;
}

export interface RectEncoderOptions {
  /**
   * zstd level. Default 1 (fast); bounds -7–19 (negative levels trade bytes for speed).
   * Rectangles of at most 4096 pixels use at least level 5.
   */
  zstdLevel?: number;
  /**
   * Rectangles larger than this many pixels are cut into horizontal stripes, compressed in
   * parallel and kept well under the 4 MiB frame limit. Default 262 144 (1 MiB of BGRA);
   * bounds 4096–1 048 576.
   */
  maxRectPixels?: number;
}

/** Pixels to encode from: BGRX rows, `stride` bytes apart, origin at display (0, 0). */
export interface PixelSource {
  data: Uint8Array;
  stride: number;
}

/**
 * Encodes rectangles as CODEC_ZSTD_BGRA: the pixels are copied out synchronously (alpha forced
 * to 255, X servers leave it undefined), so the source may change as soon as `encode` returns;
 * compression then runs on libuv's thread pool, rectangles in parallel.
 */
export class RectEncoder {
  readonly #level: number;
  readonly #smallLevel: number;
  readonly #maxPixels: number;

  constructor(options: RectEncoderOptions = {}) {
    this.#level = Math.min(19, Math.max(-7, Math.trunc(options.zstdLevel ?? 1)));
    // Levels 1–4 look for matches of 5+ bytes and miss the 4-byte pixel repeats of a glyph
    // (a 6×13 glyph: 78 B at level 1, 24 B at level 5, 0.1 ms): small rectangles use ≥ 5.
    this.#smallLevel = Math.max(this.#level, 5);
    this.#maxPixels = Math.min(1 << 20, Math.max(4096, options.maxRectPixels ?? 1 << 18));
  }

  /**
   * Encodes `rects` of `source`. With `stream`, rectangles of at most
   * {@link STREAM_RECT_PIXELS} pixels come back uncompressed, their pixels in `raw`, for the
   * sender's zstd stream (see `EncodedRect.raw`).
   */
  encode(source: PixelSource, rects: readonly PixelRect[], stream = false): Promise<EncodedRect[]> {
    const jobs: Array<Promise<EncodedRect>> = [];
    let streamBudget = stream ? STREAM_FRAME_PIXELS : 0;
    for (const rect of rects) {
      for (const part of this.#stripes(rect)) {
        const raw = extract(source, part);
        const pixels = part.width * part.height;
        if (pixels <= STREAM_RECT_PIXELS && pixels <= streamBudget) {
          streamBudget -= pixels;
          jobs.push(Promise.resolve({ ...part, codec: Codec.ZSTD_BGRA, payload: new Uint8Array(0), raw }));
          continue;
        }
        const small = part.width * part.height <= SMALL_RECT_PIXELS;
        const level = small ? this.#smallLevel : this.#level;
        // Small rectangles (typing) compress right here: cheaper than the thread-pool hop.
        const now = small ? zstdCompressSync(raw, level) : undefined;
        const payload = now === undefined ? zstdCompress(raw, level) : Promise.resolve(now);
        jobs.push(payload.then((bytes) => ({ ...part, codec: Codec.ZSTD_BGRA, payload: bytes })));
      }
    }
    return Promise.all(jobs);
  }

  #stripes(rect: PixelRect): PixelRect[] {
    if (rect.width * rect.height <= this.#maxPixels) return [rect];
    const rows = Math.max(1, Math.floor(this.#maxPixels / rect.width));
    const out: PixelRect[] = [];
    for (let y = 0; y < rect.height; y += rows) {
      out.push({ x: rect.x, y: rect.y + y, width: rect.width, height: Math.min(rows, rect.height - y) });
    }
    return out;
  }
}

/** Rectangles up to this many pixels are compressed at level ≥ 5 (see the constructor). */
const SMALL_RECT_PIXELS = 4096;
/**
 * Rectangles up to this many pixels may go into the sender's zstd stream (typing, UI, new
 * lines of scrolled text: what repeats earlier pixels); larger ones are compressed on the
 * thread pool as single frames.
 */
export const STREAM_RECT_PIXELS = 16_384;
/**
 * Pixels one `encode` call defers to the stream (the stream compresses synchronously, when the
 * frame goes out); the rest goes to the thread pool as usual.
 */
export const STREAM_FRAME_PIXELS = 65_536;

const OPAQUE = -16777216; // 0xff000000 as int32

/** Copies `rect` of `source` into a tight BGRA buffer with opaque alpha. */
export function extract(source: PixelSource, rect: PixelRect): Buffer {
  const out = Buffer.allocUnsafe(rect.width * rect.height * 4);
  // Int32 views keep the OR in small-integer arithmetic (no double conversion).
  const out32 = new Int32Array(out.buffer, out.byteOffset, rect.width * rect.height);
  const aligned = source.data.byteOffset % 4 === 0 && source.stride % 4 === 0;
  if (aligned) {
    const src32 = new Int32Array(source.data.buffer, source.data.byteOffset, source.data.byteLength >>> 2);
    const stride32 = source.stride >>> 2;
    let o = 0;
    for (let y = rect.y; y < rect.y + rect.height; y++) {
      let i = y * stride32 + rect.x;
      const end = i + rect.width;
      while (i < end) out32[o++] = src32[i++]! | OPAQUE;
    }
    return out;
  }
  let o = 0;
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    const start = y * source.stride + rect.x * 4;
    out.set(source.data.subarray(start, start + rect.width * 4), o);
    for (let a = o + 3; a < o + rect.width * 4; a += 4) out[a] = 255;
    o += rect.width * 4;
  }
  return out;
}
