import type { Rect, VideoFrame } from '@guruconnect/protocol';
import { Codec } from '@guruconnect/protocol';
import { StreamChunkReader } from './stream-chunk-reader.js';
import { ViewerError, ViewerErrorCode } from './viewer-error.js';
import { bgraToRgba, type ZstdDecoder } from './zstd-decoder.js';

export interface FramePainterOptions {
  /** The canvas frames are painted on; its pixel size follows the remote display. Required. */
  canvas: HTMLCanvasElement;
  /** Resolves to the zstd decoder (awaited before the first zstd rectangle). Required. */
  decoder: Promise<ZstdDecoder>;
  /** Largest display side accepted, in pixels. Default 16384 (a bigger frame is a decode error). */
  maxDisplaySide?: number;
}

/** What painting one frame did. */
export interface PaintResult {
  /** The canvas changed size (and lost its content) before this frame was painted. */
  readonly resized: boolean;
  /** Set when a rectangle used a codec this viewer does not know; the rest of the frame was skipped. */
  readonly unknownCodec?: number;
  /** A stream chunk was missed: the stream is skipped until the agent starts a new one (ask for a refresh). */
  readonly streamLost?: boolean;
}

const IMAGE_CACHE_SIZE = 8;

/**
 * Paints `VideoFrame`s onto a canvas: zstd and raw BGRA rectangles are swizzled to RGBA (with
 * alpha forced opaque, since X servers leave the padding byte of 32-bit pixels undefined) and
 * put at their position (zstd ones decoded and swizzled inside the decoder's own memory); JPEG
 * rectangles are decoded by the browser; copy rectangles (scrolling) move pixels already on the
 * canvas. Frames must be painted in order, one at a time (the caller chains them).
 */
export class FramePainter {
  readonly #canvas: HTMLCanvasElement;
  readonly #ctx: CanvasRenderingContext2D;
  readonly #decoder: Promise<ZstdDecoder>;
  readonly #maxSide: number;
  /** Reused ImageData by size: putImageData copies, so one buffer per rectangle size is enough. */
  readonly #images = new Map<string, ImageData>();
  /** The display size frames without one refer to (compact frames), from the last that had one. */
  #size: { width: number; height: number } | undefined;
  /** The agent's zstd stream; created on first use, undefined when the decoder cannot keep one. */
  #stream: StreamChunkReader | undefined;

  constructor(options: FramePainterOptions) {
    this.#canvas = options.canvas;
    const ctx = options.canvas.getContext('2d', { alpha: false });
    if (ctx === null) throw new ViewerError(ViewerErrorCode.Decode, 'canvas 2d context is not available');
    this.#ctx = ctx;
    this.#decoder = options.decoder;
    this.#maxSide = options.maxDisplaySide ?? 16384;
  }

  /**
   * True when this painter follows the agent's zstd stream (`VideoFrame.stream_chunk`), so the
   * viewer may announce `codec-zstd-stream`: the WebAssembly decoder can, the JS fallback cannot.
   */
  async streamCapable(): Promise<boolean> {
    if (this.#stream === undefined) {
      const ctx = (await this.#decoder).createStream();
      if (ctx !== undefined) {
        if (this.#stream === undefined) this.#stream = new StreamChunkReader(ctx);
        else ctx.dispose();
      }
    }
    return this.#stream !== undefined;
  }

  /**
   * Forgets the display size frames referred to and the stream (the agent starts a new one for
   * a viewer that joins), freeing the stream's decompression context: before a new connection,
   * and when the element leaves the page.
   */
  resetSession(): void {
    this.#size = undefined;
    this.#stream?.dispose();
    this.#stream = undefined;
  }

  /**
   * Paints every rectangle of `frame`. Throws {@link ViewerError} `GC_ERR_VIEWER_DECODE` for a
   * rectangle that is out of bounds or does not decode (rectangles before it stay painted). A
   * frame without a display size before any frame had one is not painted (nothing to paint on
   * yet; the key frame that follows covers it), but its stream chunk is still read: it may be the
   * one that starts the stream this viewer follows from now on.
   */
  async paint(frame: VideoFrame): Promise<PaintResult> {
    // Compact frames leave the display fields to key frames: 0 means unchanged.
    if (frame.displayWidth === 0 && frame.displayHeight === 0) {
      if (this.#size === undefined) {
        const lost =
          frame.streamChunk.byteLength > 0 && this.#stream?.read(frame.streamChunk).kind === 'lost';
        return lost ? { resized: false, streamLost: true } : { resized: false };
      }
    } else {
      this.#size = { width: frame.displayWidth, height: frame.displayHeight };
    }
    const { width, height } = this.#size;
    if (width === 0 || height === 0 || width > this.#maxSide || height > this.#maxSide) {
      this.#size = undefined;
      throw new ViewerError(ViewerErrorCode.Decode, `invalid display size ${width}×${height}`);
    }
    let resized = false;
    if (this.#canvas.width !== width || this.#canvas.height !== height) {
      this.#canvas.width = width;
      this.#canvas.height = height;
      resized = true;
    }
    for (const rect of frame.rects) {
      if (rect.width === 0 || rect.height === 0) continue;
      assertInside('rectangle', rect.x, rect.y, rect, width, height);
      switch (rect.codec) {
        case Codec.ZSTD_BGRA: {
          const decoder = await this.#decoder;
          const rgba = decoder.decodeRgba(rect.payload, rect.width, rect.height);
          this.#ctx.putImageData(new ImageData(rgba, rect.width, rect.height), rect.x, rect.y);
          break;
        }
        case Codec.RAW_BGRA:
          if (rect.payload.byteLength !== rect.width * rect.height * 4) {
            throw new ViewerError(
              ViewerErrorCode.Decode,
              `raw rectangle has ${rect.payload.byteLength} bytes, expected ${rect.width * rect.height * 4}`,
            );
          }
          this.#putBgra(rect, rect.payload);
          break;
        case Codec.JPEG:
          await this.#drawJpeg(rect);
          break;
        case Codec.COPY:
          assertInside('copy source', rect.srcX, rect.srcY, rect, width, height);
          // A canvas drawn onto itself reads its pixels as they were before the draw, so
          // overlapping scrolls are exact.
          this.#ctx.drawImage(
            this.#canvas,
            rect.srcX,
            rect.srcY,
            rect.width,
            rect.height,
            rect.x,
            rect.y,
            rect.width,
            rect.height,
          );
          break;
        default:
          return { resized, unknownCodec: rect.codec };
      }
    }
    if (frame.streamChunk.byteLength > 0 && !this.#paintStream(frame.streamChunk, width, height)) {
      return { resized, streamLost: true };
    }
    return { resized };
  }

  /** Paints a stream chunk's rectangles; false when a chunk was missed (see {@link PaintResult}). */
  #paintStream(chunk: Uint8Array, width: number, height: number): boolean {
    const stream = this.#stream;
    // A chunk the viewer did not ask for (no `codec-zstd-stream`) is an agent bug: repaint.
    if (stream === undefined) return false;
    const read = stream.read(chunk);
    if (read.kind === 'lost') return false;
    if (read.kind === 'unsynced') return true;
    for (const rect of read.rects) {
      if (rect.width === 0 || rect.height === 0) continue;
      assertInside('stream rectangle', rect.x, rect.y, rect, width, height);
      const rgba = read.output.rgba(rect.offset, rect.width * rect.height);
      this.#ctx.putImageData(new ImageData(rgba, rect.width, rect.height), rect.x, rect.y);
    }
    return true;
  }

  #putBgra(rect: Rect, bgra: Uint8Array): void {
    const image = this.#image(rect.width, rect.height);
    bgraToRgba(bgra, image.data);
    this.#ctx.putImageData(image, rect.x, rect.y);
  }

  async #drawJpeg(rect: Rect): Promise<void> {
    let bitmap: ImageBitmap;
    try {
      bitmap = await createImageBitmap(
        new Blob([rect.payload as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' }),
      );
    } catch (cause) {
      throw new ViewerError(ViewerErrorCode.Decode, 'JPEG rectangle failed to decode', { cause });
    }
    try {
      this.#ctx.drawImage(bitmap, rect.x, rect.y, rect.width, rect.height);
    } finally {
      bitmap.close();
    }
  }

  #image(width: number, height: number): ImageData {
    const key = `${width}x${height}`;
    let image = this.#images.get(key);
    if (image === undefined) {
      image = new ImageData(width, height);
      if (this.#images.size >= IMAGE_CACHE_SIZE) {
        const oldest = this.#images.keys().next().value as string;
        this.#images.delete(oldest);
      }
      this.#images.set(key, image);
    }
    return image;
  }
}

/** Throws `GC_ERR_VIEWER_DECODE` unless `size` at (`x`, `y`) lies inside a `width`×`height` display. */
function assertInside(
  what: string,
  x: number,
  y: number,
  size: { width: number; height: number },
  width: number,
  height: number,
): void {
  if (x + size.width > width || y + size.height > height) {
    throw new ViewerError(
      ViewerErrorCode.Decode,
      `${what} ${size.width}×${size.height}+${x}+${y} lies outside the ${width}×${height} display`,
    );
  }
}
