// The viewer's side of VideoFrame.stream_chunk for agent tests: one libzstd decompression
// context (koffi) fed the chunks in order, checking their numbers as <gc-viewer> does.
import { Codec, type VideoFrame } from '@guruconnect/protocol';
import { decompress } from '@mongodb-js/zstd';
import { type LibZstd, loadLibZstd } from '../encode/libzstd.js';

function load(): LibZstd {
  const lib = loadLibZstd();
  if (lib === null) throw new Error('libzstd.so.1 is needed to read stream chunks');
  return lib;
}

/** A rectangle of a frame with its decoded BGRA pixels (none for copies). */
export interface DecodedRect {
  x: number;
  y: number;
  width: number;
  height: number;
  codec: Codec;
  /** True for rectangles that came in the frame's stream chunk. */
  streamed: boolean;
  pixels: Buffer | undefined;
  srcX: number;
  srcY: number;
}

/** Follows one viewer's stream; throws on a chunk out of order, as a desynchronised viewer would see. */
export class StreamReader {
  readonly #ctx: unknown;
  #next = -1;
  resets = 0;

  constructor() {
    this.#ctx = load().createDCtx();
  }

  /** Decompresses one chunk (header byte first). */
  read(chunk: Uint8Array): Buffer {
    const l = load();
    const header = chunk[0] ?? 0;
    if ((header & 0x80) !== 0) {
      l.resetDCtx(this.#ctx, 1);
      this.#next = header & 0x7f;
      this.resets++;
    }
    if ((header & 0x7f) !== this.#next)
      throw new Error(`stream chunk ${header & 0x7f}, expected ${this.#next}`);
    const out = Buffer.alloc(4 * 1024 * 1024);
    const dst: [number] = [0];
    const src: [number] = [1];
    for (;;) {
      const before = dst[0];
      const code = l.decompressStream(this.#ctx, out, out.byteLength, dst, chunk, chunk.byteLength, src);
      if (l.isError(code) !== 0) throw new Error(`zstd stream: ${l.errorName(code)}`);
      if (src[0] === chunk.byteLength && dst[0] === before) break;
    }
    this.#next = (this.#next + 1) & 0x7f;
    return out.subarray(0, dst[0]);
  }

  close(): void {
    load().freeDCtx(this.#ctx);
  }
}

/** Every rectangle of `frame` in paint order (its `rects`, then its stream chunk's), decoded. */
export async function frameRects(frame: VideoFrame, reader: StreamReader): Promise<DecodedRect[]> {
  const out: DecodedRect[] = [];
  for (const r of frame.rects) {
    const pixels =
      r.codec === Codec.ZSTD_BGRA
        ? await decompress(Buffer.from(r.payload))
        : r.codec === Codec.RAW_BGRA
          ? Buffer.from(r.payload)
          : undefined;
    out.push({ ...pick(r), codec: r.codec, streamed: false, pixels, srcX: r.srcX, srcY: r.srcY });
  }
  if (frame.streamChunk.byteLength > 0) {
    const content = reader.read(frame.streamChunk);
    for (let at = 0; at < content.byteLength; ) {
      const rect = {
        x: content.readUInt16LE(at),
        y: content.readUInt16LE(at + 2),
        width: content.readUInt16LE(at + 4),
        height: content.readUInt16LE(at + 6),
      };
      const end = at + 8 + rect.width * rect.height * 4;
      if (end > content.byteLength) throw new Error('stream chunk ends inside a rectangle');
      out.push({
        ...rect,
        codec: Codec.ZSTD_BGRA,
        streamed: true,
        pixels: Buffer.from(content.subarray(at + 8, end)),
        srcX: 0,
        srcY: 0,
      });
      at = end;
    }
  }
  return out;
}

function pick(r: { x: number; y: number; width: number; height: number }) {
  return { x: r.x, y: r.y, width: r.width, height: r.height };
}
