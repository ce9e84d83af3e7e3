import { ViewerError, ViewerErrorCode } from './viewer-error.js';
import type { ZstdStreamContext, ZstdStreamOutput } from './zstd-decoder.js';

/** Bit 7 of a chunk's header byte: the chunk starts a new stream. */
const RESET_FLAG = 0x80;
/** Bytes of geometry before each rectangle's pixels. */
const GEOMETRY_BYTES = 8;
/** Most bytes a chunk may decompress to (the protocol's promise). */
export const STREAM_CHUNK_MAX_BYTES = 4 * 1024 * 1024;

/** One rectangle of a chunk; its pixels are at `offset` of the chunk's output. */
export interface StreamRect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly offset: number;
}

/** What reading one chunk gave. */
export type StreamRead =
  | { readonly kind: 'rects'; readonly rects: readonly StreamRect[]; readonly output: ZstdStreamOutput }
  /** The viewer has not seen the start of the stream (it joined, or lost a chunk): skipped. */
  | { readonly kind: 'unsynced' }
  /** A chunk was missed just now: this one is skipped and a refresh is due. */
  | { readonly kind: 'lost' };

/**
 * Follows the agent's `VideoFrame.stream_chunk` stream for one viewer: checks each chunk's
 * number, starts over on a chunk that opens a new stream, and splits what a chunk decompresses
 * to into rectangles. After a missed or failed chunk it skips the stream until the agent starts
 * a new one (the refresh the viewer asks for makes it do so).
 */
export class StreamChunkReader {
  readonly #ctx: ZstdStreamContext;
  #synced = false;
  #next = 0;

  constructor(ctx: ZstdStreamContext) {
    this.#ctx = ctx;
  }

  /**
   * Reads one chunk. Throws {@link ViewerError} `GC_ERR_VIEWER_DECODE` for a chunk that does not
   * decode or whose rectangles do not add up (the stream is then skipped until it starts over).
   */
  read(chunk: Uint8Array): StreamRead {
    const header = chunk[0];
    if (header === undefined) throw this.#fail('empty stream chunk');
    if ((header & RESET_FLAG) !== 0) {
      this.#ctx.reset();
      this.#synced = true;
      this.#next = header & 0x7f;
    } else if (!this.#synced) {
      return { kind: 'unsynced' };
    } else if ((header & 0x7f) !== this.#next) {
      this.#synced = false;
      return { kind: 'lost' };
    }
    let output: ZstdStreamOutput;
    try {
      output = this.#ctx.decode(chunk.subarray(1), STREAM_CHUNK_MAX_BYTES);
    } catch (error) {
      this.#synced = false;
      throw error;
    }
    this.#next = (this.#next + 1) & 0x7f;
    const bytes = output.bytes;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const rects: StreamRect[] = [];
    for (let at = 0; at < bytes.byteLength; ) {
      if (at + GEOMETRY_BYTES > bytes.byteLength)
        throw this.#fail('stream chunk ends inside a rectangle header');
      const rect = {
        x: view.getUint16(at, true),
        y: view.getUint16(at + 2, true),
        width: view.getUint16(at + 4, true),
        height: view.getUint16(at + 6, true),
        offset: at + GEOMETRY_BYTES,
      };
      at = rect.offset + rect.width * rect.height * 4;
      if (at > bytes.byteLength) throw this.#fail('stream chunk ends inside a rectangle');
      rects.push(rect);
    }
    return { kind: 'rects', rects, output };
  }

  dispose(): void {
    this.#ctx.dispose();
  }

  #fail(message: string): ViewerError {
    this.#synced = false;
    return new ViewerError(ViewerErrorCode.Decode, message);
  }
}
