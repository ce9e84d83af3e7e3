import { decompress } from '@mongodb-js/zstd';
import { describe, expect, it } from 'vitest';
import { SYNC_ZSTD_MAX_BYTES, zstdCompress, zstdCompressSync } from './zstd-compress.js';

describe('zstd compression', () => {
  it('compresses small inputs synchronously through the system libzstd, losslessly', async () => {
    const glyph = Buffer.alloc(12 * 13 * 4, 0xff);
    for (let i = 0; i < glyph.length; i += 28) glyph.writeUInt32LE(0xff202020, i);
    const out = zstdCompressSync(glyph, 5);
    expect(out).toBeInstanceOf(Buffer);
    expect(out!.length).toBeLessThan(glyph.length / 4);
    expect((await decompress(out!)).equals(glyph)).toBe(true);
    // Same format as the thread-pool path.
    expect((await decompress(await zstdCompress(glyph, 5))).equals(glyph)).toBe(true);
  });

  it('leaves inputs above the synchronous limit to the thread pool', () => {
    expect(zstdCompressSync(Buffer.alloc(SYNC_ZSTD_MAX_BYTES + 1), 1)).toBeUndefined();
    expect(zstdCompressSync(Buffer.alloc(SYNC_ZSTD_MAX_BYTES), 1)).toBeInstanceOf(Buffer);
  });
});
