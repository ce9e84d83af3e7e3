import type { VideoFrame } from '@guruconnect/protocol';
import type { ScreenCapturer } from '../capture/screen-capturer.js';
import type { QualityControllerOptions } from '../encode/quality-controller.js';
import type { TileClassifierOptions } from '../encode/tile-classifier.js';
import type { Logger } from '../logger.js';

/** `zstd`: every rectangle lossless. `adaptive`: zstd for text/UI, JPEG for photographic or fast-changing tiles, refined to lossless when quiet. */
export type StreamCodec = 'zstd' | 'adaptive';

export interface ScreenStreamerOptions {
  capturer: ScreenCapturer;
  /**
   * Hands one frame to the transport. `viewerId` is '' for every viewer, or the one viewer a
   * key frame after its refresh request is meant for. With `reusePayloads`, the rectangles'
   * payload bytes are reused once this returns: encode (or copy) the frame during the call.
   */
  send(frame: VideoFrame, viewerId: string): void;
  /**
   * Reuse the buffers JPEG rectangles are compressed into, frame after frame, instead of
   * allocating about 1 MB per full-screen frame (garbage the collector pauses for, in front of
   * input). Only for a `send` that is done with the frame when it returns. Default false.
   */
  reusePayloads?: boolean;
  /** Called with capture or encode failures; streaming continues with the next damage. Default: ignored by nobody — it is required. */
  onError(error: unknown): void;
  /** Most frames per second. Default 60; bounds 1–240. */
  fps?: number;
  /** Frames in flight per viewer before the streamer waits for acks. Default 3; bounds 1–64. */
  window?: number;
  /** zstd level for rectangles. Default 1; bounds -7–19. */
  zstdLevel?: number;
  /** Encoded bytes per VideoFrame before the rectangles are split over several frames. Default 3 MiB. */
  maxFrameBytes?: number;
  /**
   * Default `adaptive` when libturbojpeg loads, else `zstd` (with a logged warning). `adaptive`
   * asked for explicitly but unavailable also falls back to `zstd` with a warning.
   */
  codec?: StreamCodec;
  /** JPEG quality range and motion cap (see {@link QualityControllerOptions}). Defaults 40–93, motion 60. */
  jpegQuality?: QualityControllerOptions;
  /** Tile classification thresholds (see {@link TileClassifierOptions}). */
  tiles?: Omit<TileClassifierOptions, 'width' | 'height'>;
  /** A tile shown lossy is resent lossless once it has not changed for this long, ms. Default 300; bounds 50–60 000. */
  refineAfterMs?: number;
  /** The TurboJPEG library. Default `libturbojpeg.so.0`. */
  jpegLibrary?: string;
  /** Where the codec fallback and JPEG failures are reported. Default silent. */
  logger?: Logger;
  /**
   * Damage of at least 65 536 pixels waits this long for the rest of the same paint before it
   * is captured. Default 3 ms; bounds 0–50.
   */
  coalesceMs?: number;
  /**
   * Send scrolled areas as CODEC_COPY rectangles (the viewer moves pixels it already shows) plus
   * the newly exposed lines, instead of repainting the whole area. Default true.
   */
  scrollDetection?: boolean;
  /**
   * Send small lossless rectangles as chunks of one zstd stream (`VideoFrame.stream_chunk`) while every
   * viewer announced `codec-zstd-stream`, so repeated pixels (glyphs, UI) cost a few bytes.
   * Default true (used when the system's libzstd loads).
   */
  zstdStream?: boolean;
  /**
   * Damage of at most this many pixels (typing) that arrives while its frame is being captured
   * joins that frame (the glyph and the cursor xterm draws a moment later go as one update).
   * Default 4096; 0 turns it off; bounds 0–65 536.
   */
  joinDamagePixels?: number;
  /** Monotonic clock in ms. Default `performance.now`. */
  now?: () => number;
}

/** Statistics since construction, for benchmarks and diagnostics. */
export interface StreamerStats {
  frames: number;
  keyFrames: number;
  bytes: number;
  rects: number;
}

/** What the adaptive codec did since construction. */
export interface CodecStats {
  /** Rectangles sent as JPEG. */
  jpegRects: number;
  /** Lossless rectangles that replaced earlier JPEG tiles once they stopped changing. */
  refinements: number;
  /** Scrolled areas sent as CODEC_COPY rectangles. */
  copyRects: number;
  /** Rectangles sent as chunks of the zstd stream. */
  streamRects: number;
  /** Damage that arrived during a capture and joined that frame. */
  joinedDamage: number;
}
