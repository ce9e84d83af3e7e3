import { create } from '@bufbuild/protobuf';
import { Codec, RectSchema, type VideoFrame, VideoFrameSchema } from '@guruconnect/protocol';
import type { DisplayInfo } from '../capture/screen-capturer.js';
import type { BufferPool } from '../encode/buffer-pool.js';
import type { EncodedRect } from '../encode/rect-encoder.js';
import type { ZstdStream } from '../encode/zstd-stream.js';
import type { Logger } from '../logger.js';
import type { CodecStats, StreamerStats } from './screen-streamer-options.js';
import { packStreamRects } from './stream-chunk.js';

export interface FrameSenderOptions {
  /** Hands one frame to the transport ('' for every viewer). */
  send(frame: VideoFrame, viewerId: string): void;
  /** Called as each frame goes out, with its sequence number. */
  onSent(sequence: bigint, viewerId: string): void;
  /** Encoded bytes per frame before the rectangles are split over several frames. */
  maxFrameBytes: number;
  stats: StreamerStats;
  codecStats: CodecStats;
  logger: Logger | undefined;
  /** Where payloads go back once their frame was sent (see `ScreenStreamerOptions.reusePayloads`). */
  pool?: BufferPool;
}

/** How one batch of rectangles goes out. */
export interface SendOptions {
  keyFrame: boolean;
  /** '' for every viewer, or the one viewer a key frame is addressed to. */
  viewerId: string;
  captureUs: bigint;
  /** The stream that takes the small rectangles (only for frames every viewer gets), if any. */
  stream: ZstdStream | undefined;
  /** Leave the display fields and capture time to key frames (every viewer has `compact-frames`). */
  compact: boolean;
}

/**
 * Turns encoded rectangles into numbered VideoFrames: the stream's rectangles into the first
 * frame's chunk, the others split so no frame passes `maxFrameBytes`, display fields on key
 * frames (or every frame unless compact).
 */
export class FrameSender {
  readonly #options: FrameSenderOptions;
  #sequence = 0n;

  constructor(options: FrameSenderOptions) {
    this.#options = options;
  }

  /** Numbers start over (a new connection). */
  resetSequence(): void {
    this.#sequence = 0n;
  }

  send(display: DisplayInfo, encoded: readonly EncodedRect[], how: SendOptions): void {
    const { stats, codecStats } = this.#options;
    const packed = packStreamRects(encoded, how.stream, this.#options.logger);
    codecStats.streamRects += packed.streamed;
    let chunk = packed.chunk;
    let batch: EncodedRect[] = [];
    let bytes = 0;
    let first = true;
    const flush = (): void => {
      if (batch.length === 0 && chunk === undefined) return;
      this.#sequence += 1n;
      const key = how.keyFrame && first;
      // Viewers that take compact frames keep a key frame's display fields until the next one.
      const full = key || !how.compact;
      const frame = create(VideoFrameSchema, {
        sequence: this.#sequence,
        displayId: full ? display.id : '',
        displayWidth: full ? display.width : 0,
        displayHeight: full ? display.height : 0,
        keyFrame: key,
        captureTimeUs: full ? how.captureUs : 0n,
        rects: batch.map((r) => create(RectSchema, r)),
        ...(chunk === undefined ? {} : { streamChunk: chunk }),
      });
      first = false;
      stats.frames++;
      if (key) stats.keyFrames++;
      stats.bytes += bytes + (chunk?.byteLength ?? 0);
      stats.rects += batch.length;
      for (const r of batch) if (r.codec === Codec.JPEG) codecStats.jpegRects++;
      this.#options.onSent(this.#sequence, how.viewerId);
      this.#options.send(frame, how.viewerId);
      if (this.#options.pool !== undefined) for (const r of batch) this.#options.pool.release(r.payload);
      batch = [];
      bytes = 0;
      chunk = undefined;
    };
    for (const rect of packed.rects) {
      if (bytes + rect.payload.byteLength > this.#options.maxFrameBytes) flush();
      batch.push(rect);
      bytes += rect.payload.byteLength;
    }
    flush();
  }
}
