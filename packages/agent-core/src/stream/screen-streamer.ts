import { Capability } from '@guruconnect/protocol';
import type { DisplayInfo, PixelRect, ScreenCapturer } from '../capture/screen-capturer.js';
import { BufferPool } from '../encode/buffer-pool.js';
import { boundingBox } from '../encode/frame-differ.js';
import { JpegEncoder } from '../encode/jpeg-encoder.js';
import { QualityController } from '../encode/quality-controller.js';
import { type EncodedRect, RectEncoder } from '../encode/rect-encoder.js';
import { ScrollDetector } from '../encode/scroll-detector.js';
import { ZstdStream } from '../encode/zstd-stream.js';
import { silentLogger } from '../logger.js';
import { areaOf, clipToDisplay, LARGE_DAMAGE_PIXELS } from './damage-reader.js';
import { type EncodeAllowance, FrameProducer } from './frame-producer.js';
import { FrameSender } from './frame-sender.js';
import type {
  CodecStats,
  ScreenStreamerOptions,
  StreamCodec,
  StreamerStats,
} from './screen-streamer-options.js';
import { ViewerCapabilities } from './viewer-capabilities.js';
import { ViewerWindows } from './viewer-windows.js';

export type {
  CodecStats,
  ScreenStreamerOptions,
  StreamCodec,
  StreamerStats,
} from './screen-streamer-options.js';

/**
 * Turns damage into VideoFrames: damage accumulates while no viewer has room in its window or
 * the fps cap says wait; when a frame may go, the damaged area is captured, diffed against the
 * last frame and the changed rectangles are encoded. A static screen sends nothing.
 */
export class ScreenStreamer {
  readonly stats: StreamerStats = { frames: 0, keyFrames: 0, bytes: 0, rects: 0 };
  readonly codecStats: CodecStats = {
    jpegRects: 0,
    refinements: 0,
    copyRects: 0,
    streamRects: 0,
    joinedDamage: 0,
  };
  /** The codec in use (after any fallback). */
  readonly codec: StreamCodec;
  readonly #capturer: ScreenCapturer;
  readonly #options: ScreenStreamerOptions;
  readonly #jpeg: JpegEncoder | undefined;
  readonly #quality: QualityController;
  readonly #refineMs: number;
  readonly #scroll: ScrollDetector | undefined;
  /** The `stream_chunk` compressor; undefined when turned off or libzstd is missing. */
  readonly #stream: ZstdStream | undefined;
  /** Each viewer's announced capabilities. */
  readonly #capabilities = new ViewerCapabilities();
  readonly #coalesceMs: number;
  readonly #producer: FrameProducer;
  readonly #allowance = (): EncodeAllowance => ({
    lossy: this.#capabilities.everyViewerHas(Capability.CodecJpeg),
    stream: this.#streamAllowed(),
    copies: this.#scroll !== undefined && this.#capabilities.everyViewerHas(Capability.CodecCopy),
  });
  #refineTimer: NodeJS.Timeout | undefined;
  readonly #windows: ViewerWindows;
  readonly #minIntervalMs: number;
  readonly #now: () => number;
  readonly #unsubscribe: () => void;
  #display: DisplayInfo | undefined;
  #pending: PixelRect[] = [];
  /** Viewers owed a key frame addressed to them; `broadcastKey` means everyone. */
  readonly #keyFor = new Set<string>();
  #broadcastKey = false;
  readonly #sender: FrameSender;
  #lastFrameAt = Number.NEGATIVE_INFINITY;
  #busy = false;
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  #closed = false;

  constructor(options: ScreenStreamerOptions) {
    this.#capturer = options.capturer;
    this.#options = options;
    const pool = options.reusePayloads === true ? new BufferPool() : undefined;
    this.#jpeg = options.codec === 'zstd' ? undefined : loadJpeg(options, pool);
    this.codec = this.#jpeg === undefined ? 'zstd' : 'adaptive';
    this.#quality = new QualityController(options.jpegQuality);
    this.#refineMs = Math.min(60_000, Math.max(50, options.refineAfterMs ?? 300));
    this.#scroll = options.scrollDetection === false ? undefined : new ScrollDetector();
    this.#stream = options.zstdStream === false ? undefined : ZstdStream.open();
    this.#coalesceMs = Math.min(50, Math.max(0, options.coalesceMs ?? 3));
    this.#windows = new ViewerWindows(Math.min(64, Math.max(1, options.window ?? 3)));
    this.#minIntervalMs = 1000 / Math.min(240, Math.max(1, options.fps ?? 60));
    this.#now = options.now ?? (() => performance.now());
    this.#producer = new FrameProducer({
      capturer: this.#capturer,
      lossless: new RectEncoder({ zstdLevel: options.zstdLevel ?? 1 }),
      jpeg: this.#jpeg,
      quality: this.#quality,
      scroll: this.#scroll,
      joinPixels: Math.min(65_536, Math.max(0, options.joinDamagePixels ?? 4096)),
      tiles: options.tiles,
      codecStats: this.codecStats,
      logger: options.logger ?? silentLogger,
      now: this.#now,
    });
    this.#sender = new FrameSender({
      send: options.send,
      onSent: (sequence, viewerId) => {
        this.#windows.sent(viewerId, sequence);
        this.#lastFrameAt = this.#now();
        this.#quality.sent(sequence, this.#lastFrameAt);
      },
      maxFrameBytes: options.maxFrameBytes ?? 3 * 1024 * 1024,
      ...(pool === undefined ? {} : { pool }),
      stats: this.stats,
      codecStats: this.codecStats,
      logger: options.logger,
    });
    this.#unsubscribe = this.#capturer.onDamage((rects) => this.#onDamage(rects));
  }

  /** The display being streamed. */
  get display(): DisplayInfo | undefined {
    return this.#display;
  }

  /** Streams `display` from now on; every viewer gets a key frame. */
  setDisplay(display: DisplayInfo): void {
    this.#display = display;
    this.#producer.setDisplay(display);
    this.#pending = [];
    this.#broadcastKey = true;
    this.#keyFor.clear();
    this.#stream?.reset();
    this.#schedule();
  }

  /**
   * A viewer may now see the screen: it gets a key frame addressed to it. `capabilities` are the
   * flags it announced: CODEC_COPY rectangles are sent only while every viewer has `codec-copy`,
   * JPEG only while every viewer has `codec-jpeg`. Without the argument the viewer takes every
   * codec this streamer may send.
   */
  addViewer(viewerId: string, capabilities?: readonly string[]): void {
    this.#capabilities.set(viewerId, capabilities);
    this.#windows.add(viewerId);
    // The newcomer has not seen the stream so far: the next chunk starts a new one.
    this.#stream?.reset();
    if (this.#producer.valid) this.#keyFor.add(viewerId);
    else this.#broadcastKey = true;
    this.#schedule();
  }

  removeViewer(viewerId: string): void {
    this.#capabilities.delete(viewerId);
    this.#windows.remove(viewerId);
    this.#keyFor.delete(viewerId);
    if (this.#windows.size === 0) {
      this.#pending = [];
      this.#producer.invalidate();
    }
  }

  /** Cumulative acknowledgement: `viewerId` painted every frame up to `sequence`. */
  ack(viewerId: string, sequence: bigint): void {
    this.#windows.ack(viewerId, sequence);
    this.#quality.acked(sequence, this.#now());
    this.#schedule();
  }

  /** A key frame for `viewerId` (its window is reset), or for everyone when `viewerId` is ''. */
  refresh(viewerId: string): void {
    // The viewer may have lost stream chunks (frames dropped for it, a chunk that failed).
    this.#stream?.reset();
    if (viewerId === '' || !this.#windows.has(viewerId)) {
      this.#broadcastKey = true;
      this.#windows.resetAll();
    } else {
      this.#windows.reset(viewerId);
      this.#keyFor.add(viewerId);
    }
    this.#schedule();
  }

  /** Forgets viewers and sequence numbers, e.g. for a new connection. */
  reset(): void {
    this.#windows.clear();
    this.#keyFor.clear();
    this.#pending = [];
    this.#sender.resetSequence();
    this.#producer.invalidate(true);
    this.#stream?.reset();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    if (this.#refineTimer !== undefined) clearTimeout(this.#refineTimer);
    // Compressions in flight finish on their own; the encoder frees its handles after them.
    this.#jpeg?.close();
    this.#stream?.close();
  }

  /** The JPEG quality the link currently allows (adaptive codec). */
  get jpegQuality(): number {
    return this.#quality.quality;
  }

  #onDamage(rects: PixelRect[]): void {
    const display = this.#display;
    if (display === undefined || this.#windows.size === 0 || !this.#producer.valid) return;
    for (const r of rects) {
      const clipped = clipToDisplay(r, display);
      if (clipped !== undefined) this.#pending.push(clipped);
    }
    if (this.#pending.length > 64) this.#pending = [boundingBox(this.#pending)];
    this.#schedule();
  }

  #hasWork(): boolean {
    return this.#broadcastKey || this.#keyFor.size > 0 || this.#pending.length > 0 || this.#refineDue();
  }

  /** The damage collected so far when it covers at most `maxPixels` (it is taken), else undefined. */
  #takePending(maxPixels: number): PixelRect[] | undefined {
    if (this.#pending.length === 0 || areaOf(this.#pending) > maxPixels) return undefined;
    const taken = this.#pending;
    this.#pending = [];
    return taken;
  }

  #streamAllowed(): boolean {
    return this.#stream !== undefined && this.#capabilities.everyViewerHas(Capability.CodecZstdStream);
  }

  #refineDue(): boolean {
    const at = this.#producer.nextRefinementAt(this.#refineMs);
    return at !== undefined && at <= this.#now();
  }

  #schedule(): void {
    if (this.#closed || this.#busy || this.#timer !== undefined || this.#immediate !== undefined) return;
    if (this.#display === undefined || this.#windows.size === 0) return;
    if (!this.#hasWork()) {
      this.#scheduleRefinement();
      return;
    }
    // Addressed key frames answer a refresh and are not held back by windows.
    if (this.#keyFor.size === 0 && !this.#windows.anyRoom()) {
      this.#quality.setBlocked(true, this.#now());
      return;
    }
    this.#quality.setBlocked(false, this.#now());
    const wait = this.#lastFrameAt + this.#minIntervalMs - this.#now();
    if (wait > 0) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#run();
      }, wait);
      return;
    }
    // A large paint arrives as several damage events: give the rest a few ms to join this frame
    // (one frame per paint, not several partial ones). Small damage (typing) goes at once.
    if (areaOf(this.#pending) >= LARGE_DAMAGE_PIXELS && this.#coalesceMs > 0) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#run();
      }, this.#coalesceMs);
      return;
    }
    // Let events already on their way (a glyph drawn in several requests) join this frame.
    this.#immediate = setImmediate(() => {
      this.#immediate = undefined;
      this.#run();
    });
  }

  /** Wakes the streamer when the next lossy tile becomes due for its lossless refinement. */
  #scheduleRefinement(): void {
    if (this.#refineTimer !== undefined) return;
    const at = this.#producer.nextRefinementAt(this.#refineMs);
    if (at === undefined) return;
    this.#refineTimer = setTimeout(
      () => {
        this.#refineTimer = undefined;
        this.#schedule();
      },
      Math.max(1, at - this.#now()),
    );
  }

  #run(): void {
    if (this.#closed || this.#busy) return;
    this.#busy = true;
    this.#produce()
      .catch((error: unknown) => this.#options.onError(error))
      .finally(() => {
        this.#busy = false;
        this.#schedule();
      });
  }

  async #produce(): Promise<void> {
    if (this.#display === undefined) return;
    const producer = this.#producer;
    if (this.#broadcastKey || !producer.valid) {
      this.#broadcastKey = false;
      this.#keyFor.clear();
      this.#pending = [];
      const captureUs = nowUs();
      this.#emit(await producer.keyFrame(this.#allowance), true, '', captureUs);
      return;
    }
    if (this.#keyFor.size > 0) {
      const viewers = [...this.#keyFor];
      this.#keyFor.clear();
      const captureUs = nowUs();
      const rects = await producer.repaint(this.#allowance);
      for (const viewerId of viewers) {
        if (this.#windows.has(viewerId)) this.#emit(rects, true, viewerId, captureUs);
      }
      return;
    }
    if (!this.#windows.anyRoom()) return;
    if (this.#pending.length === 0) {
      // Quiet: lossy tiles that stopped changing are resent lossless.
      this.#emit(await producer.refinement(this.#refineMs, this.#allowance), false, '', nowUs());
      return;
    }
    const damage = this.#pending;
    this.#pending = [];
    const captureUs = nowUs();
    const rects = await producer.damage(damage, (max) => this.#takePending(max), this.#allowance);
    this.#emit(rects, false, '', captureUs);
  }

  #emit(encoded: EncodedRect[], keyFrame: boolean, viewerId: string, captureUs: bigint): void {
    if (this.#closed || encoded.length === 0) return;
    this.#sender.send(this.#display!, encoded, {
      keyFrame,
      viewerId,
      captureUs,
      // Stream chunks only in frames every viewer gets, while every viewer takes them.
      stream: viewerId === '' && this.#streamAllowed() ? this.#stream : undefined,
      compact: this.#capabilities.everyViewerHas(Capability.CompactFrames),
    });
  }
}

function loadJpeg(options: ScreenStreamerOptions, pool: BufferPool | undefined): JpegEncoder | undefined {
  try {
    return new JpegEncoder({
      ...(options.jpegLibrary === undefined ? {} : { library: options.jpegLibrary }),
      ...(pool === undefined ? {} : { pool }),
    });
  } catch (error) {
    (options.logger ?? silentLogger).warn(
      'libturbojpeg is not available; every rectangle is sent lossless (zstd)',
      {
        error: String(error),
        cause: String((error as Error).cause ?? ''),
      },
    );
    return undefined;
  }
}

function nowUs(): bigint {
  return BigInt(Math.round(performance.now() * 1000));
}
