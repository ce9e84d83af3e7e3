import { describe, expect, it } from 'vitest';
import { StreamReader } from '../test-support/stream-reader.js';
import { EncoderErrorCode } from './encoder-error.js';
import { ZSTD_STREAM_RESET_FLAG, ZstdStream } from './zstd-stream.js';

/** A 6×13 two-colour "glyph" in BGRA, different per `seed`. */
function glyph(seed: number): Buffer {
  const out = Buffer.alloc(6 * 13 * 4);
  for (let p = 0; p < 6 * 13; p++) {
    const on = (p * 7 + seed * 13) % 11 < 4;
    out.writeUInt32LE(on ? 0xff000000 : 0xffffffff, p * 4);
  }
  return out;
}

describe('ZstdStream', () => {
  it('makes chunks that decode, in order, to exactly what went in', () => {
    const stream = ZstdStream.open()!;
    const reader = new StreamReader();
    try {
      for (let i = 0; i < 300; i++) {
        const raw = glyph(i % 40);
        const chunk = stream.chunk(raw);
        // The first chunk opens the stream; numbers run modulo 128.
        expect(chunk[0]).toBe(i === 0 ? ZSTD_STREAM_RESET_FLAG : i % 128);
        expect(reader.read(chunk).equals(raw)).toBe(true);
      }
      expect(reader.resets).toBe(1);
    } finally {
      reader.close();
      stream.close();
    }
  });

  it('sends pixels it sent before for a few bytes', () => {
    const stream = ZstdStream.open()!;
    try {
      const first = stream.chunk(glyph(3)).byteLength;
      stream.chunk(glyph(4));
      const again = stream.chunk(glyph(3)).byteLength;
      expect(again).toBeLessThan(first / 2);
      expect(again).toBeLessThanOrEqual(16);
    } finally {
      stream.close();
    }
  });

  it('starts a new stream after reset(), which a fresh decoder can follow', () => {
    const stream = ZstdStream.open()!;
    const late = new StreamReader();
    try {
      stream.chunk(glyph(1));
      stream.chunk(glyph(2));
      stream.reset();
      const chunk = stream.chunk(glyph(2));
      expect(chunk[0]).toBe(ZSTD_STREAM_RESET_FLAG);
      // A viewer that missed everything before decodes from here on.
      expect(late.read(chunk).equals(glyph(2))).toBe(true);
      expect(late.read(stream.chunk(glyph(1))).equals(glyph(1))).toBe(true);
      // A viewer that missed a chunk sees the gap in the numbers.
      stream.chunk(glyph(5));
      expect(() => late.read(stream.chunk(glyph(6)))).toThrow(/expected/);
    } finally {
      late.close();
      stream.close();
    }
  });

  it('is unavailable without libzstd and refuses chunks once closed', () => {
    expect(ZstdStream.open({ library: '/nonexistent/libzstd.so.1' })).toBeUndefined();
    const stream = ZstdStream.open()!;
    stream.close();
    stream.close();
    expect(() => stream.chunk(glyph(1))).toThrow(expect.objectContaining({ code: EncoderErrorCode.Closed }));
  });
});
