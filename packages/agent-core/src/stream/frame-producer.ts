import { Codec } from '@guruconnect/protocol';
import type { DisplayInfo, PixelRect, ScreenCapturer } from '../capture/screen-capturer.js';
import { AdaptiveEncoder } from '../encode/adaptive-encoder.js';
import { FrameDiffer, mergeAdjacent } from '../encode/frame-differ.js';
import type { JpegEncoder } from '../encode/jpeg-encoder.js';
import type { QualityController } from '../encode/quality-controller.js';
import type { EncodedRect, RectEncoder } from '../encode/rect-encoder.js';
import type { ScrollDetector } from '../encode/scroll-detector.js';
import type { TileClassifierOptions } from '../encode/tile-classifier.js';
import type { Logger } from '../logger.js';
import { areaOf, LARGE_DAMAGE_PIXELS, nextTurn, readDamage, readLateDamage } from './damage-reader.js';
import type { CodecStats } from './screen-streamer-options.js';

export interface FrameProducerOptions {
  capturer: ScreenCapturer;
  /** Lossless encoder (zstd). */
  lossless: RectEncoder;
  /** Lossy encoder; without one everything is lossless. */
  jpeg: JpegEncoder | undefined;
  quality: QualityController;
  /** Scroll detection, when turned on. */
  scroll: ScrollDetector | undefined;
  /** Late damage up to this many pixels joins a small frame (0: never). */
  joinPixels: number;
  tiles: Omit<TileClassifierOptions, 'width' | 'height'> | undefined;
  codecStats: CodecStats;
  logger: Logger;
  now: () => number;
}

/**
 * How the viewers let a frame be encoded — asked when it is needed, after any capture, so a
 * viewer that joined meanwhile counts.
 */
export interface EncodeAllowance {
  /** JPEG allowed (every viewer has `codec-jpeg`). */
  lossy: boolean;
  /** Small lossless rectangles may go into the zstd stream (every viewer has `codec-zstd-stream`). */
  stream: boolean;
  /** Scroll copies allowed (every viewer has `codec-copy`). */
  copies: boolean;
}

/**
 * The pixels of each frame for one display: captured, compared with the previous frame (which it
 * keeps) and encoded — a whole-screen key frame, a repaint of the shared previous frame, the
 * lossless refinement of quiet JPEG tiles, or the changes within some damage. The streamer decides
 * which and when, and numbers and sends the result.
 */
export class FrameProducer {
  readonly #options: FrameProducerOptions;
  #display: DisplayInfo | undefined;
  #differ: FrameDiffer | undefined;
  #encoder: AdaptiveEncoder | undefined;

  constructor(options: FrameProducerOptions) {
    this.#options = options;
  }

  /** Produces frames of `display` from now on; the first must be a key frame. */
  setDisplay(display: DisplayInfo): void {
    this.#display = display;
    this.#differ = new FrameDiffer({ width: display.width, height: display.height });
    this.#encoder = new AdaptiveEncoder({
      width: display.width,
      height: display.height,
      lossless: this.#options.lossless,
      jpeg: this.#options.jpeg,
      quality: this.#options.quality,
      logger: this.#options.logger,
      ...(this.#options.tiles === undefined ? {} : { tiles: this.#options.tiles }),
    });
  }

  /** Whether a previous frame is held (else the next frame must be a key frame). */
  get valid(): boolean {
    return this.#differ?.valid === true;
  }

  /** Forgets the previous frame (and, with `classifier`, which tiles are lossy on screen). */
  invalidate(classifier = false): void {
    this.#differ?.invalidate();
    if (classifier) this.#encoder?.classifier.reset();
  }

  /** When the next lossy tile becomes due for its lossless refinement, if any. */
  nextRefinementAt(quietMs: number): number | undefined {
    return this.#encoder?.classifier.nextRefinementAt(quietMs);
  }

  /**
   * The whole screen, captured off the event loop where the capturer can, stored as the previous
   * frame and encoded a turn later, so input keeps flowing while it is built.
   */
  async keyFrame(allow: () => EncodeAllowance): Promise<EncodedRect[]> {
    const { display, differ, encoder } = this.#state();
    const full = fullArea(display);
    const capturer = this.#options.capturer;
    differ.store(
      capturer.captureAsync !== undefined
        ? await capturer.captureAsync(display.id, full)
        : capturer.capture(display.id, full),
    );
    await nextTurn();
    return encoder.encode(this.#previous(), [full], this.#options.now(), true, allow().lossy);
  }

  /**
   * The whole screen encoded from the shared previous frame, so a viewer joining or refreshing
   * sees what everyone's screen shows (scroll copies moved what each viewer shows); the changes
   * since then follow as ordinary damage.
   */
  async repaint(allow: () => EncodeAllowance): Promise<EncodedRect[]> {
    const { display, encoder } = this.#state();
    await nextTurn();
    return encoder.encode(this.#previous(), [fullArea(display)], this.#options.now(), true, allow().lossy);
  }

  /** Lossless versions of lossy tiles that were quiet for `quietMs`. */
  async refinement(quietMs: number, allow: () => EncodeAllowance): Promise<EncodedRect[]> {
    const { encoder } = this.#state();
    const refined = await encoder.refine(this.#previous(), this.#options.now(), quietMs, allow().stream);
    this.#options.codecStats.refinements += refined.length;
    return refined;
  }

  /**
   * The changes within `damage`: captured, a scroll found in the largest area sent as a copy
   * first, and small damage queued meanwhile (`take` hands it over) joined to the frame.
   */
  async damage(
    damage: readonly PixelRect[],
    take: (maxPixels: number) => PixelRect[] | undefined,
    allow: () => EncodeAllowance,
  ): Promise<EncodedRect[]> {
    const { display, differ, encoder } = this.#state();
    const { joinPixels, codecStats } = this.#options;
    const context = {
      capturer: this.#options.capturer,
      displayId: display.id,
      displayWidth: display.width,
      differ,
      classifier: encoder.classifier,
      scroll: allow().copies ? this.#options.scroll : undefined,
      now: this.#options.now(),
    };
    const read = await readDamage(context, damage);
    const copy = read.copy;
    const late =
      joinPixels > 0 && areaOf(damage) <= joinPixels
        ? await readLateDamage(context, () => take(joinPixels))
        : [];
    if (late.length > 0) codecStats.joinedDamage++;
    const changed = mergeAdjacent([...read.changed, ...late]);
    if (changed.length === 0 && copy === undefined) return [];
    if (areaOf(changed) >= LARGE_DAMAGE_PIXELS) await nextTurn();
    const { lossy, stream } = allow();
    const rects = await encoder.encode(this.#previous(), changed, this.#options.now(), false, lossy, stream);
    if (copy !== undefined) {
      codecStats.copyRects++;
      rects.unshift({ ...copy, codec: Codec.COPY, payload: new Uint8Array(0) });
    }
    return rects;
  }

  #state(): { display: DisplayInfo; differ: FrameDiffer; encoder: AdaptiveEncoder } {
    const display = this.#display;
    const differ = this.#differ;
    const encoder = this.#encoder;
    if (display === undefined || differ === undefined || encoder === undefined) {
      throw new Error('FrameProducer used before setDisplay');
    }
    return { display, differ, encoder };
  }

  #previous(): { data: Uint8Array; stride: number } {
    const { display, differ } = this.#state();
    return { data: differ.previous, stride: display.width * 4 };
  }
}

function fullArea(display: DisplayInfo): PixelRect {
  return { x: 0, y: 0, width: display.width, height: display.height };
}
