import { Codec } from '@guruconnect/protocol';
import { decompress } from '@mongodb-js/zstd';
import { describe, expect, it } from 'vitest';
import type { EncodedRect } from '../encode/rect-encoder.js';
import { ZstdStream } from '../encode/zstd-stream.js';
import { StreamReader } from '../test-support/stream-reader.js';
import { packStreamRects, STREAM_CHUNK_MAX_BYTES } from './stream-chunk.js';

function waiting(x: number, y: number, width: number, height: number, value: number): EncodedRect {
  return {
    x,
    y,
    width,
    height,
    codec: Codec.ZSTD_BGRA,
    payload: new Uint8Array(0),
    raw: Buffer.alloc(width * height * 4, value),
  };
}

const jpeg: EncodedRect = {
  x: 0,
  y: 0,
  width: 16,
  height: 16,
  codec: Codec.JPEG,
  payload: new Uint8Array([0xff, 0xd8]),
};

describe('packStreamRects', () => {
  it('puts waiting rectangles in one chunk, geometry then pixels, and leaves the others as they are', () => {
    const stream = ZstdStream.open()!;
    const reader = new StreamReader();
    try {
      const packed = packStreamRects(
        [waiting(10, 20, 3, 2, 7), jpeg, waiting(300, 5, 1, 1, 9)],
        stream,
        undefined,
      );
      expect(packed.rects).toEqual([jpeg]);
      expect(packed.streamed).toBe(2);
      const content = reader.read(packed.chunk!);
      expect(content.byteLength).toBe(8 + 24 + 8 + 4);
      expect([
        content.readUInt16LE(0),
        content.readUInt16LE(2),
        content.readUInt16LE(4),
        content.readUInt16LE(6),
      ]).toEqual([10, 20, 3, 2]);
      expect(content.subarray(8, 32).every((b) => b === 7)).toBe(true);
      expect([
        content.readUInt16LE(32),
        content.readUInt16LE(34),
        content.readUInt16LE(36),
        content.readUInt16LE(38),
      ]).toEqual([300, 5, 1, 1]);
      expect(content.subarray(40).every((b) => b === 9)).toBe(true);
    } finally {
      reader.close();
      stream.close();
    }
  });

  it('compresses waiting rectangles on their own when there is no stream or the chunk is full', async () => {
    const alone = packStreamRects([waiting(1, 2, 4, 4, 5)], undefined, undefined);
    expect(alone.chunk).toBeUndefined();
    expect(alone.rects).toHaveLength(1);
    expect(alone.rects[0]).toMatchObject({ x: 1, y: 2, width: 4, height: 4, codec: Codec.ZSTD_BGRA });
    expect(alone.rects[0]!.raw).toBeUndefined();
    expect((await decompress(Buffer.from(alone.rects[0]!.payload))).every((b) => b === 5)).toBe(true);

    const stream = ZstdStream.open()!;
    try {
      // Two 2.5 MiB rectangles: the second does not fit in the 4 MiB chunk.
      const big = (x: number) => waiting(x, 0, 1024, 640, 3);
      const packed = packStreamRects([big(0), big(1024)], stream, undefined);
      expect(STREAM_CHUNK_MAX_BYTES).toBe(4 * 1024 * 1024);
      expect(packed.streamed).toBe(1);
      expect(packed.rects.map((r) => [r.x, r.codec])).toEqual([[1024, Codec.ZSTD_BGRA]]);
    } finally {
      stream.close();
    }
  });
});
