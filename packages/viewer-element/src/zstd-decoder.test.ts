// The zstd decoders (the element's own WebAssembly build and the fzstd fallback) in real
// headless Chromium: exact output, the in-place swizzle, buffer reuse, and hostile payloads.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bgraPattern, bgraSolid, zstd } from './test-support/test-frames.js';
import { ViewerHarness } from './test-support/viewer-harness.js';

let h: ViewerHarness;
beforeAll(async () => {
  h = await ViewerHarness.start();
});
afterAll(async () => {
  await h?.close();
});

type Kind = 'wasm' | 'js';
type Outcome = { bytes: string } | { code: string; message: string };

function decode(kind: Kind, payload: Uint8Array, width: number, height: number, rgba = false) {
  return h.page.evaluate(([k, p, w, hh, r]) => window.gcTest.decode(k, p, w, hh, r), [
    kind,
    Buffer.from(payload).toString('base64'),
    width,
    height,
    rgba,
  ] as const) as Promise<Outcome>;
}

function bytes(outcome: Outcome): Buffer {
  if (!('bytes' in outcome)) throw new Error(`decode failed: ${outcome.code} ${outcome.message}`);
  return Buffer.from(outcome.bytes, 'base64');
}

/** What the canvas needs: RGBA with alpha 255, whatever the padding byte held. */
function rgbaOf(bgra: Buffer): Buffer {
  const out = Buffer.alloc(bgra.length);
  for (let i = 0; i < bgra.length; i += 4) {
    out[i] = bgra[i + 2]!;
    out[i + 1] = bgra[i + 1]!;
    out[i + 2] = bgra[i]!;
    out[i + 3] = 255;
  }
  return out;
}

/** zstd without the content size in its header (the CLI's --no-content-size). */
function zstdWithoutSize(data: Buffer): Buffer {
  return execFileSync('zstd', ['-q', '-c', '--no-content-size', '-3'], { input: data });
}

describe('zstd decoders in Chromium', () => {
  it('loads the WebAssembly decoder by default', async () => {
    expect(await h.page.evaluate(() => window.gcTest.defaultDecoderKind())).toBe('wasm');
  });

  for (const kind of ['wasm', 'js'] as const) {
    it(`${kind}: decodes exactly and swizzles to opaque RGBA, odd sizes included`, async () => {
      // 7×3 leaves a scalar tail after the 4-pixel SIMD steps; alpha 0 must come out 255.
      for (const [width, height, level] of [
        [7, 3, 3],
        [64, 64, 1],
        [333, 201, 19],
      ] as const) {
        const src = bgraPattern(width, height, width * 31 + height, 0);
        const payload = await zstd(src, level);
        expect(bytes(await decode(kind, payload, width, height)).equals(src)).toBe(true);
        expect(bytes(await decode(kind, payload, width, height, true)).equals(rgbaOf(src))).toBe(true);
      }
    });

    it(`${kind}: refuses hostile payloads with GC_ERR_VIEWER_DECODE and decodes the next good one`, async () => {
      const src = bgraPattern(40, 30, 7);
      const good = await zstd(src);
      const noSize = zstdWithoutSize(src);
      const hostile: [string, Uint8Array, number, number][] = [
        ['garbage', Buffer.from('definitely not a zstd frame, just some text'), 40, 30],
        ['empty', new Uint8Array(0), 40, 30],
        ['truncated', good.subarray(0, good.length >> 1), 40, 30],
        ['declares a larger size', good, 40, 15],
        ['declares a smaller size', good, 40, 60],
        ['no declared size, decodes larger', noSize, 40, 15],
        ['no declared size, decodes smaller', noSize, 40, 60],
      ];
      for (const [name, payload, width, height] of hostile) {
        for (const rgba of [false, true]) {
          const outcome = await decode(kind, payload, width, height, rgba);
          expect(outcome, `${name}${rgba ? ' (rgba)' : ''}`).toMatchObject({ code: 'GC_ERR_VIEWER_DECODE' });
          expect((outcome as { message: string }).message).toMatch(/zstd rectangle/);
        }
      }
      expect(bytes(await decode(kind, good, 40, 30)).equals(src)).toBe(true);
      expect(bytes(await decode(kind, noSize, 40, 30, true)).equals(rgbaOf(src))).toBe(true);
    });
  }

  it('wasm: reuses its buffers across sizes without mixing rectangles', async () => {
    const big = bgraPattern(1920, 1080, 3);
    const small = bgraSolid(16, 16, [1, 2, 3]);
    const [bigZ, smallZ] = await Promise.all([zstd(big), zstd(small)]);
    expect(bytes(await decode('wasm', bigZ, 1920, 1080, true)).equals(rgbaOf(big))).toBe(true);
    expect(bytes(await decode('wasm', smallZ, 16, 16, true)).equals(rgbaOf(small))).toBe(true);
    expect(bytes(await decode('wasm', bigZ, 1920, 1080)).equals(big)).toBe(true);
  });

  it('wasm: names the zstd error when the frame is corrupt inside', async () => {
    const src = bgraPattern(64, 64, 11);
    const corrupt = Buffer.from(await zstd(src));
    // Keep the header (and its declared size) and scramble the compressed blocks.
    for (let i = 12; i < corrupt.length - 4; i += 3) corrupt[i] = corrupt[i]! ^ 0x5a;
    const outcome = await decode('wasm', corrupt, 64, 64);
    expect(outcome).toMatchObject({ code: 'GC_ERR_VIEWER_DECODE' });
    expect((outcome as { message: string }).message).toMatch(/failed to decode: \S+/);
  });
});
