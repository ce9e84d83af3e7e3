import { Codec } from '@guruconnect/protocol';
import type { PixelRect } from '../capture/screen-capturer.js';
import type { Logger } from '../logger.js';
import { type JpegEncoder, JpegSubsampling } from './jpeg-encoder.js';
import type { QualityController } from './quality-controller.js';
import type { EncodedRect, PixelSource, RectEncoder } from './rect-encoder.js';
import { TileClassifier, type TileClassifierOptions } from './tile-classifier.js';

export interface AdaptiveEncoderOptions {
  width: number;
  height: number;
  /** Lossless encoder (zstd). */
  lossless: RectEncoder;
  /** Lossy encoder; without one everything is lossless. */
  jpeg: JpegEncoder | undefined;
  quality: QualityController;
  /** Tile classification thresholds. */
  tiles?: Omit<TileClassifierOptions, 'width' | 'height'>;
  /** Lossy rectangles larger than this are cut into stripes compressed in parallel. Default 262 144; bounds 16 384–4 194 304. */
  maxJpegPixels?: number;
  logger: Logger;
}

/**
 * Per rectangle: zstd where it compresses well (text, UI), JPEG where it does not
 * (photographic or fast-changing tiles, see {@link TileClassifier}) at the link-adapted
 * quality; remembers what is lossy on screen so it can be refined to lossless when it stops
 * changing. A JPEG failure falls back to zstd for that rectangle (logged).
 */
export class AdaptiveEncoder {
  readonly classifier: TileClassifier;
  readonly #lossless: RectEncoder;
  readonly #jpeg: JpegEncoder | undefined;
  readonly #quality: QualityController;
  readonly #maxJpegPixels: number;
  readonly #logger: Logger;

  constructor(options: AdaptiveEncoderOptions) {
    this.classifier = new TileClassifier({ width: options.width, height: options.height, ...options.tiles });
    this.#lossless = options.lossless;
    this.#jpeg = options.jpeg;
    this.#quality = options.quality;
    this.#maxJpegPixels = Math.min(1 << 22, Math.max(1 << 14, options.maxJpegPixels ?? 1 << 18));
    this.#logger = options.logger;
  }

  /**
   * Encodes `rects` (changed at `now`, or repainted for a `key` frame) of `source`; everything
   * lossless when `allowLossy` is false (a viewer without `codec-jpeg`); small lossless
   * rectangles deferred to the sender's zstd stream when `stream` is true (see
   * `RectEncoder.encode`). The source must stay unchanged until the promise settles (JPEG reads
   * it in place).
   */
  async encode(
    source: PixelSource,
    rects: readonly PixelRect[],
    now: number,
    key = false,
    allowLossy = true,
    stream = false,
  ): Promise<EncodedRect[]> {
    if (this.#jpeg === undefined || !allowLossy) {
      this.classifier.classify(source, rects, now, false, key);
      return this.#lossless.encode(source, rects, stream);
    }
    const pieces = this.classifier.classify(source, rects, now, true, key);
    const lossless = pieces.filter((p) => !p.lossy);
    const lossy = pieces.filter((p) => p.lossy);
    const jobs: Array<Promise<EncodedRect[]>> = [];
    if (lossless.length > 0) jobs.push(this.#lossless.encode(source, lossless, stream));
    if (lossy.length > 0) {
      const area = lossy.reduce((s, r) => s + r.width * r.height, 0);
      const quality = this.#quality.qualityFor(area);
      for (const rect of lossy)
        for (const part of this.#stripes(rect)) jobs.push(this.#jpegOne(source, part, quality, stream));
    }
    return (await Promise.all(jobs)).flat();
  }

  /**
   * Lossless versions of lossy tiles that have been quiet for `quietMs` (marked refined); small
   * ones deferred to the sender's zstd stream when `stream` is true.
   */
  async refine(source: PixelSource, now: number, quietMs: number, stream = false): Promise<EncodedRect[]> {
    const due = this.classifier.dueForRefinement(now, quietMs);
    if (due.length === 0) return [];
    for (const rect of due) this.classifier.markLossless(rect);
    return this.#lossless.encode(source, due, stream);
  }

  async #jpegOne(
    source: PixelSource,
    rect: PixelRect,
    quality: number,
    stream: boolean,
  ): Promise<EncodedRect[]> {
    try {
      const payload = await (this.#jpeg as JpegEncoder).encode(source, rect, quality, JpegSubsampling.S420);
      return [{ ...rect, codec: Codec.JPEG, payload }];
    } catch (error) {
      this.#logger.warn('JPEG encoding failed; sending the rectangle lossless', { error: String(error) });
      this.classifier.markLossless(rect);
      return this.#lossless.encode(source, [rect], stream);
    }
  }

  /** Stripes of whole 16-row MCUs, so the seams fall on block boundaries. */
  #stripes(rect: PixelRect): PixelRect[] {
    if (rect.width * rect.height <= this.#maxJpegPixels) return [rect];
    const rows = Math.max(16, Math.floor(this.#maxJpegPixels / rect.width / 16) * 16);
    const out: PixelRect[] = [];
    for (let y = 0; y < rect.height; y += rows) {
      out.push({ x: rect.x, y: rect.y + y, width: rect.width, height: Math.min(rows, rect.height - y) });
    }
    return out;
  }
}
