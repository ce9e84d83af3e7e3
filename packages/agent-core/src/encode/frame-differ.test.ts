import { decompress } from '@mongodb-js/zstd';
import { describe, expect, it } from 'vitest';
import { FrameDiffer, mergeAdjacent } from './frame-differ.js';
import { RectEncoder } from './rect-encoder.js';

function frame(width: number, height: number, fill: number): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  new Uint32Array(data.buffer).fill(fill);
  return data;
}

function paint(
  data: Uint8Array,
  width: number,
  x: number,
  y: number,
  w: number,
  h: number,
  value: number,
): void {
  const px = new Uint32Array(data.buffer);
  for (let r = y; r < y + h; r++) px.fill(value, r * width + x, r * width + x + w);
}

describe('FrameDiffer', () => {
  const W = 320;
  const H = 200;
  const full = { x: 0, y: 0, width: W, height: H };

  it('shrinks a damaged area to the pixels that changed', () => {
    const differ = new FrameDiffer({ width: W, height: H });
    const a = frame(W, H, 0x00102030);
    differ.store({ width: W, height: H, stride: W * 4, data: a });
    const b = a.slice();
    // A glyph-sized change: 7×13 pixels at (100, 40), with a hole in the middle.
    paint(b, W, 100, 40, 7, 13, 0x00ffffff);
    paint(b, W, 102, 44, 3, 3, 0x00102030);
    expect(differ.diff(full, { width: W, height: H, stride: W * 4, data: b })).toEqual([
      { x: 100, y: 40, width: 7, height: 13 },
    ]);
    // Now the previous frame holds b: the same capture again changes nothing.
    expect(differ.diff(full, { width: W, height: H, stride: W * 4, data: b })).toEqual([]);
  });

  it('splits changes on the same rows far apart into separate rectangles', () => {
    const differ = new FrameDiffer({ width: W, height: H });
    const a = frame(W, H, 0);
    differ.store({ width: W, height: H, stride: W * 4, data: a });
    const b = a.slice();
    paint(b, W, 10, 100, 8, 16, 1);
    paint(b, W, 250, 104, 8, 4, 2);
    expect(differ.diff(full, { width: W, height: H, stride: W * 4, data: b })).toEqual([
      { x: 10, y: 100, width: 8, height: 16 },
      { x: 250, y: 104, width: 8, height: 4 },
    ]);
  });

  it('diffs a sub-area captured with its own stride', () => {
    const differ = new FrameDiffer({ width: W, height: H });
    differ.store({ width: W, height: H, stride: W * 4, data: frame(W, H, 5) });
    const area = { x: 200, y: 150, width: 40, height: 30 };
    const sub = frame(40, 30, 5);
    paint(sub, 40, 39, 29, 1, 1, 9);
    expect(differ.diff(area, { width: 40, height: 30, stride: 160, data: sub })).toEqual([
      { x: 239, y: 179, width: 1, height: 1 },
    ]);
    expect(new Uint32Array(differ.previous.buffer, differ.previous.byteOffset)[179 * W + 239]).toBe(9);
  });
});

describe('RectEncoder', () => {
  it('zstd-compresses BGRA with opaque alpha and stripes large rectangles', async () => {
    const W = 1000;
    const H = 600;
    const data = frame(W, H, 0x00336699);
    const encoder = new RectEncoder({ maxRectPixels: 100_000 });
    const rects = await encoder.encode({ data, stride: W * 4 }, [{ x: 0, y: 0, width: W, height: H }]);
    expect(rects.map((r) => [r.y, r.height])).toEqual([
      [0, 100],
      [100, 100],
      [200, 100],
      [300, 100],
      [400, 100],
      [500, 100],
    ]);
    const raw = await decompress(Buffer.from(rects[0]!.payload));
    expect(raw.length).toBe(W * 100 * 4);
    expect([...raw.subarray(0, 4)]).toEqual([0x99, 0x66, 0x33, 0xff]);
    expect(rects[0]!.payload.length).toBeLessThan(1000);
  });
});

describe('mergeAdjacent', () => {
  const r = (x: number, y: number, width: number, height: number) => ({ x, y, width, height });

  it('merges a glyph and the cursor beside it, and stacked cells, into one rectangle', () => {
    expect(mergeAdjacent([r(1303, 63, 6, 13), r(1309, 63, 6, 13)], 4096)).toEqual([r(1303, 63, 12, 13)]);
    expect(mergeAdjacent([r(1309, 63, 6, 13), r(1303, 63, 6, 13), r(1315, 63, 6, 13)], 4096)).toEqual([
      r(1303, 63, 18, 13),
    ]);
    expect(mergeAdjacent([r(10, 10, 6, 13), r(10, 23, 6, 13)], 4096)).toEqual([r(10, 10, 6, 26)]);
  });

  it('leaves apart rectangles that only touch at a corner, differ in height, are large or too many', () => {
    const corner = [r(0, 0, 6, 13), r(6, 13, 6, 13)];
    expect(mergeAdjacent(corner, 4096)).toEqual(corner);
    const heights = [r(0, 0, 6, 13), r(6, 0, 6, 12)];
    expect(mergeAdjacent(heights, 4096)).toEqual(heights);
    const large = [r(0, 0, 100, 100), r(100, 0, 100, 100)];
    expect(mergeAdjacent(large, 4096)).toEqual(large);
    const many = Array.from({ length: 17 }, (_, i) => r(i * 6, 0, 6, 13));
    expect(mergeAdjacent(many, 4096)).toEqual(many);
  });
});
