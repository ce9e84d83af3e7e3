import { Codec } from '@guruconnect/protocol';
import type { EncodedRect } from '../encode/rect-encoder.js';
import { zstdCompressSync } from '../encode/zstd-compress.js';
import type { ZstdStream } from '../encode/zstd-stream.js';
import type { Logger } from '../logger.js';

/** Most bytes one chunk decompresses to (the wire promise in `VideoFrame.stream_chunk`). */
export const STREAM_CHUNK_MAX_BYTES = 4 * 1024 * 1024;
/** Bytes of geometry before each rectangle's pixels in a chunk. */
const GEOMETRY_BYTES = 8;

/** What goes on the wire for one frame's rectangles. */
export interface PackedRects {
  /** The frame's `rects`, in order, each with its payload. */
  rects: EncodedRect[];
  /** The frame's `stream_chunk`, when some rectangles went into the stream. */
  chunk: Uint8Array | undefined;
  /** How many rectangles the chunk holds. */
  streamed: number;
}

/**
 * Puts the rectangles that wait for the stream (`EncodedRect.raw`) into one chunk of `stream`
 * — geometry then pixels, as `VideoFrame.stream_chunk` says — up to
 * {@link STREAM_CHUNK_MAX_BYTES}; those past it, or all of them without a stream (a frame for one
 * viewer, or a viewer without `codec-zstd-stream`), or when the chunk fails, are compressed as
 * single zstd frames here. Called in send order: chunks must reach viewers as they were made.
 */
export function packStreamRects(
  rects: readonly EncodedRect[],
  stream: ZstdStream | undefined,
  logger: Logger | undefined,
): PackedRects {
  const wire: EncodedRect[] = [];
  const waiting: EncodedRect[] = [];
  let bytes = 0;
  for (const rect of rects) {
    const raw = rect.raw;
    if (raw === undefined) {
      wire.push(rect);
    } else if (stream !== undefined && bytes + GEOMETRY_BYTES + raw.byteLength <= STREAM_CHUNK_MAX_BYTES) {
      waiting.push(rect);
      bytes += GEOMETRY_BYTES + raw.byteLength;
    } else {
      wire.push(single(rect, raw));
    }
  }
  if (waiting.length === 0 || stream === undefined) return { rects: wire, chunk: undefined, streamed: 0 };
  const content = Buffer.allocUnsafe(bytes);
  let at = 0;
  for (const rect of waiting) {
    content.writeUInt16LE(rect.x, at);
    content.writeUInt16LE(rect.y, at + 2);
    content.writeUInt16LE(rect.width, at + 4);
    content.writeUInt16LE(rect.height, at + 6);
    content.set(rect.raw as Uint8Array, at + GEOMETRY_BYTES);
    at += GEOMETRY_BYTES + (rect.raw as Uint8Array).byteLength;
  }
  try {
    return { rects: wire, chunk: stream.chunk(content), streamed: waiting.length };
  } catch (error) {
    logger?.warn('zstd stream chunk failed; sending its rectangles as single zstd frames', {
      error: String(error),
    });
    for (const rect of waiting) wire.push(single(rect, rect.raw as Uint8Array));
    return { rects: wire, chunk: undefined, streamed: 0 };
  }
}

/** `rect` compressed on its own (CODEC_ZSTD_BGRA), or raw when libzstd is missing. */
function single(rect: EncodedRect, raw: Uint8Array): EncodedRect {
  const { raw: _, ...wire } = rect;
  const bytes = zstdCompressSync(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength), 5, raw.byteLength);
  return bytes === undefined
    ? { ...wire, codec: Codec.RAW_BGRA, payload: raw }
    : { ...wire, codec: Codec.ZSTD_BGRA, payload: bytes };
}
