import { Codec } from '@guruconnect/protocol';
import { decompress } from '@mongodb-js/zstd';
import koffi from 'koffi';
import { afterAll, describe, expect, it } from 'vitest';
import type { PixelRect } from '../capture/screen-capturer.js';
import type { Logger } from '../logger.js';
import { AdaptiveEncoder } from './adaptive-encoder.js';
import { EncoderError, EncoderErrorCode } from './encoder-error.js';
import { JpegEncoder } from './jpeg-encoder.js';
import { QualityController } from './quality-controller.js';
import { type EncodedRect, type PixelSource, RectEncoder } from './rect-encoder.js';

const W = 640;
const H = 480;
/** PSNR (dB) that JPEG rectangles must reach at the default top quality (93, 4:2:0). */
const MIN_PSNR = 36;

// A JPEG decoder for checking what the encoder produced (libturbojpeg, as the harness uses).
const tj = koffi.load('libturbojpeg.so.0');
const tjInitDecompress = tj.func('void *tjInitDecompress()');
const tjDecompress2 = tj.func(
  'int tjDecompress2(void *h, const uint8_t *jpeg, unsigned long size, _Out_ uint8_t *dst, int w, int pitch, int h2, int pf, int flags)',
);
const tjDestroy = tj.func('int tjDestroy(void *h)');
const decoder = tjInitDecompress() as bigint;
afterAll(() => tjDestroy(decoder));

function decodeJpeg(payload: Uint8Array, width: number, height: number): Buffer {
  const out = Buffer.alloc(width * height * 4);
  expect(tjDecompress2(decoder, payload, payload.byteLength, out, width, width * 4, height, 3, 0)).toBe(0);
  return out;
}

interface Screen extends PixelSource {
  data: Buffer;
}

function screen(): Screen {
  return { data: Buffer.alloc(W * H * 4), stride: W * 4 };
}

let seed = 1;
const random = (): number => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed / 2 ** 32;
};

/** Text-like: two colours, 1-pixel strokes in 8×14 cells. */
function paintText(s: Screen, r: PixelRect, variant: number): void {
  for (let y = r.y; y < r.y + r.height; y++) {
    for (let x = r.x; x < r.x + r.width; x++) {
      const ink = ((x * 7 + y * 3 + variant) % 11 < 3 && y % 14 < 10) || (x + variant) % 8 === 0;
      s.data.writeUInt32LE(ink ? 0x00202020 : 0x00f0f0f0, y * s.stride + x * 4);
    }
  }
}

/** Photo-like: smooth colour field with grain, different per variant. */
function paintPhoto(s: Screen, r: PixelRect, variant: number): void {
  for (let y = r.y; y < r.y + r.height; y++) {
    for (let x = r.x; x < r.x + r.width; x++) {
      const g = (random() - 0.5) * 8;
      const red = 128 + 90 * Math.sin(x / 40 + variant) + g;
      const green = 120 + 80 * Math.cos(y / 30 - variant) + g;
      const blue = 140 + 60 * Math.sin((x + y) / 50) + g;
      const c = (clamp8(red) << 16) | (clamp8(green) << 8) | clamp8(blue);
      s.data.writeUInt32LE(c, y * s.stride + x * 4);
    }
  }
}
const clamp8 = (v: number): number => Math.max(0, Math.min(255, Math.round(v)));

function psnr(s: Screen, r: PixelRect, bgrx: Buffer): number {
  let sse = 0;
  for (let y = 0; y < r.height; y++) {
    for (let x = 0; x < r.width; x++) {
      const o = (r.y + y) * s.stride + (r.x + x) * 4;
      const p = (y * r.width + x) * 4;
      for (let c = 0; c < 3; c++) sse += ((s.data[o + c] as number) - (bgrx[p + c] as number)) ** 2;
    }
  }
  return 10 * Math.log10((255 * 255) / (sse / (r.width * r.height * 3)));
}

async function expectExact(s: Screen, rect: EncodedRect): Promise<void> {
  expect(rect.codec).toBe(Codec.ZSTD_BGRA);
  const px = await decompress(Buffer.from(rect.payload));
  for (let y = 0; y < rect.height; y++) {
    for (let x = 0; x < rect.width; x++) {
      const want = s.data.readUInt32LE((rect.y + y) * s.stride + (rect.x + x) * 4) | 0xff000000;
      expect(px.readUInt32LE((y * rect.width + x) * 4)).toBe(want >>> 0);
    }
  }
}

const warnings: string[] = [];
const logger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: (m) => warnings.push(m),
  error: (m) => warnings.push(m),
};

function encoder(withJpeg = true): AdaptiveEncoder {
  const jpeg = withJpeg ? new JpegEncoder() : undefined;
  return new AdaptiveEncoder({
    width: W,
    height: H,
    lossless: new RectEncoder(),
    jpeg,
    quality: new QualityController(),
    logger,
  });
}

const covered = (rects: readonly PixelRect[]): number => rects.reduce((s, r) => s + r.width * r.height, 0);

describe('AdaptiveEncoder', () => {
  it('keeps text-like rectangles lossless and bit-exact, even when they change often', async () => {
    const enc = encoder();
    const s = screen();
    const rect = { x: 16, y: 32, width: 300, height: 140 };
    for (let i = 0; i < 5; i++) {
      paintText(s, rect, i);
      const out = await enc.encode(s, [rect], i * 30);
      expect(covered(out)).toBe(rect.width * rect.height);
      for (const r of out) await expectExact(s, r);
    }
  });

  it('sends a fast-changing photographic region as JPEG above the PSNR threshold, then refines it to lossless once quiet', async () => {
    const enc = encoder();
    const s = screen();
    const rect = { x: 100, y: 90, width: 320, height: 240 };
    paintPhoto(s, rect, 0);
    const first = await enc.encode(s, [rect], 0);
    paintPhoto(s, rect, 1);
    const second = await enc.encode(s, [rect], 33);
    const all = [...first, ...second];
    const jpeg = second.filter((r) => r.codec === Codec.JPEG);
    expect(covered(jpeg)).toBe(rect.width * rect.height);
    let bytes = 0;
    for (const r of jpeg) {
      bytes += r.payload.byteLength;
      expect(psnr(s, r, decodeJpeg(r.payload, r.width, r.height))).toBeGreaterThanOrEqual(MIN_PSNR);
    }
    expect(covered(all)).toBe(2 * rect.width * rect.height);
    // Much smaller than lossless would be.
    const lossless = await new RectEncoder().encode(s, [rect]);
    expect(bytes).toBeLessThan(lossless.reduce((n, r) => n + r.payload.byteLength, 0) / 2);

    // Still changing: nothing to refine yet.
    expect(await enc.refine(s, 100, 300)).toEqual([]);
    expect(enc.classifier.nextRefinementAt(300)).toBe(333);
    // Quiet for 300 ms: the tiles that were lossy come back lossless, bit-exact.
    const refined = await enc.refine(s, 340, 300);
    const inside = refined.reduce((n, r) => {
      const w = Math.min(r.x + r.width, rect.x + rect.width) - Math.max(r.x, rect.x);
      const h = Math.min(r.y + r.height, rect.y + rect.height) - Math.max(r.y, rect.y);
      return n + Math.max(0, w) * Math.max(0, h);
    }, 0);
    expect(inside).toBe(rect.width * rect.height);
    for (const r of refined) await expectExact(s, r);
    // Refined once only.
    expect(await enc.refine(s, 1000, 300)).toEqual([]);
    expect(enc.classifier.nextRefinementAt(300)).toBeUndefined();
  });

  it('sends noise as JPEG from its first change, and keeps a text area beside it lossless', async () => {
    const enc = encoder();
    const s = screen();
    const noise = { x: 0, y: 0, width: 384, height: 256 };
    const text = { x: 384, y: 0, width: 256, height: 256 };
    for (let y = 0; y < noise.height; y++) {
      for (let x = 0; x < noise.width; x++)
        s.data.writeUInt32LE((random() * 0xffffff) >>> 0, y * s.stride + x * 4);
    }
    paintText(s, text, 3);
    const out = await enc.encode(s, [{ x: 0, y: 0, width: 640, height: 256 }], 0);
    const jpeg = out.filter((r) => r.codec === Codec.JPEG);
    const zstd = out.filter((r) => r.codec === Codec.ZSTD_BGRA);
    expect(covered(jpeg)).toBe(noise.width * noise.height);
    expect(covered(zstd)).toBe(text.width * text.height);
    for (const r of zstd) {
      expect(r.x).toBeGreaterThanOrEqual(text.x);
      await expectExact(s, r);
    }
  });

  it('stays lossless for small rectangles and for key frames of text', async () => {
    const enc = encoder();
    const s = screen();
    paintPhoto(s, { x: 0, y: 0, width: W, height: H }, 2);
    const small = await enc.encode(s, [{ x: 5, y: 5, width: 20, height: 20 }], 0);
    const again = await enc.encode(s, [{ x: 5, y: 5, width: 20, height: 20 }], 10);
    expect([...small, ...again].every((r) => r.codec === Codec.ZSTD_BGRA)).toBe(true);
    paintText(s, { x: 0, y: 0, width: W, height: H }, 1);
    const key = await enc.encode(s, [{ x: 0, y: 0, width: W, height: H }], 20, true);
    expect(key.every((r) => r.codec === Codec.ZSTD_BGRA)).toBe(true);
    expect(covered(key)).toBe(W * H);
  });

  it('without libturbojpeg, every rectangle is lossless', async () => {
    let error: unknown;
    try {
      new JpegEncoder({ library: '/nonexistent/libturbojpeg.so.0' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EncoderError);
    expect((error as EncoderError).code).toBe(EncoderErrorCode.JpegUnavailable);
    const enc = encoder(false);
    const s = screen();
    const rect = { x: 0, y: 0, width: 320, height: 240 };
    for (let i = 0; i < 3; i++) {
      paintPhoto(s, rect, i);
      const out = await enc.encode(s, [rect], i * 20);
      for (const r of out) await expectExact(s, r);
    }
  });
});

describe('JpegEncoder', () => {
  it('compresses rectangles of a strided source in parallel and refuses work after close()', async () => {
    const jpeg = new JpegEncoder({ maxParallel: 2 });
    const s = screen();
    paintPhoto(s, { x: 0, y: 0, width: W, height: H }, 4);
    const rects = [0, 1, 2, 3, 4].map((i) => ({ x: i * 100, y: i * 40, width: 120, height: 100 }));
    const out = await Promise.all(rects.map((r) => jpeg.encode(s, r, 90)));
    for (const [i, payload] of out.entries()) {
      const r = rects[i] as PixelRect;
      expect([...payload.subarray(0, 2)]).toEqual([0xff, 0xd8]);
      expect(psnr(s, r, decodeJpeg(payload, r.width, r.height))).toBeGreaterThanOrEqual(MIN_PSNR);
    }
    jpeg.close();
    await expect(jpeg.encode(s, rects[0] as PixelRect, 90)).rejects.toMatchObject({
      code: EncoderErrorCode.Closed,
    });
  });
});

describe('QualityController', () => {
  it('lowers quality while windows are full or acks are slow, and climbs back on a clear link', () => {
    const q = new QualityController({ min: 40, max: 90, intervalMs: 100 });
    expect(q.quality).toBe(90);
    let now = 0;
    q.setBlocked(true, now);
    for (let i = 0; i < 5; i++) {
      now += 100;
      q.setBlocked(true, now);
    }
    expect(q.quality).toBe(50);
    now += 1;
    q.setBlocked(false, now);
    for (let i = 1; i <= 10; i++) {
      now += 100;
      q.sent(BigInt(i), now);
      q.acked(BigInt(i), now + 2);
    }
    expect(q.quality).toBeGreaterThan(60);
    // Slow acknowledgements (300 ms) push it down again.
    const before = q.quality;
    for (let i = 11; i <= 20; i++) {
      now += 100;
      q.sent(BigInt(i), now);
      q.acked(BigInt(i), now + 300);
    }
    expect(q.quality).toBeLessThan(before);
    expect(q.qualityFor(2_000_000)).toBeLessThanOrEqual(60);
  });
});

describe('QualityController bounds', () => {
  it('a cap under the default floor lowers the floor with it; out-of-range and non-finite values are clamped', () => {
    const capped = new QualityController({ max: 30 });
    expect([capped.min, capped.max, capped.quality]).toEqual([30, 30, 30]);
    expect(capped.qualityFor(2_000_000)).toBe(30);
    const wild = new QualityController({ min: -5, max: 400, motionQuality: Number.NaN });
    expect([wild.min, wild.max]).toEqual([1, 100]);
    expect(wild.qualityFor(2_000_000)).toBe(100);
    const defaults = new QualityController();
    expect([defaults.min, defaults.max, defaults.qualityFor(2_000_000)]).toEqual([40, 93, 60]);
  });
});
