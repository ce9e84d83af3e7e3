import { describe, expect, it } from 'vitest';
import type { PixelRect } from '../capture/screen-capturer.js';
import { textLines } from '../test-support/text-lines.js';
import { FrameDiffer } from './frame-differ.js';
import { ScrollDetector } from './scroll-detector.js';

const W = 640;
const H = 480;

/** A whole frame with `area` holding `content` (rows of area.width pixels), white elsewhere. */
function frameWith(area: PixelRect, content: Buffer): Buffer {
  const out = Buffer.alloc(W * H * 4, 0xff);
  for (let y = 0; y < area.height; y++) {
    content.copy(out, ((area.y + y) * W + area.x) * 4, y * area.width * 4, (y + 1) * area.width * 4);
  }
  return out;
}

function capture(frame: Buffer, area: PixelRect) {
  const data = Buffer.alloc(area.width * area.height * 4);
  for (let y = 0; y < area.height; y++) {
    frame.copy(
      data,
      y * area.width * 4,
      ((area.y + y) * W + area.x) * 4,
      ((area.y + y) * W + area.x + area.width) * 4,
    );
  }
  return {
    width: area.width,
    height: area.height,
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    stride: area.width * 4,
  };
}

const AREA = { x: 40, y: 32, width: 512, height: 384 };

describe('ScrollDetector', () => {
  it('finds text scrolled up by two lines and the exact rows it can copy', () => {
    const before = frameWith(AREA, textLines(AREA.width, AREA.height, 0));
    const after = frameWith(AREA, textLines(AREA.width, AREA.height, 2));
    const copy = new ScrollDetector().detect(before, W, AREA, capture(after, AREA));
    // Rows 0..351 of the area now show what rows 32..383 showed.
    expect(copy).toEqual({ x: 40, y: 32, width: 512, height: 352, srcX: 40, srcY: 64 });
  });

  it('finds text scrolled down, with a partly changed area', () => {
    const before = frameWith(AREA, textLines(AREA.width, AREA.height, 10));
    const scrolled = textLines(AREA.width, AREA.height, 9);
    // The bottom line also changed (a status line): the copy stops above it.
    scrolled.fill(0x40, (AREA.height - 16) * AREA.width * 4);
    const after = frameWith(AREA, scrolled);
    const copy = new ScrollDetector().detect(before, W, AREA, capture(after, AREA));
    expect(copy).toEqual({ x: 40, y: 48, width: 512, height: 352, srcX: 40, srcY: 32 });
  });

  it('finds nothing when the content changed without moving, is blank, or is too small', () => {
    const detector = new ScrollDetector();
    const before = frameWith(AREA, textLines(AREA.width, AREA.height, 0));
    const other = frameWith(AREA, textLines(AREA.width, AREA.height, 1000));
    expect(detector.detect(before, W, AREA, capture(other, AREA))).toBeUndefined();
    const blank = Buffer.alloc(W * H * 4, 0xff);
    expect(detector.detect(blank, W, AREA, capture(blank, AREA))).toBeUndefined();
    const small = { x: 40, y: 32, width: 64, height: 32 };
    const after = frameWith(AREA, textLines(AREA.width, AREA.height, 2));
    expect(detector.detect(before, W, small, capture(after, small))).toBeUndefined();
  });

  it('leaves only the new lines to diff once the copy is applied to the previous frame', () => {
    const before = frameWith(AREA, textLines(AREA.width, AREA.height, 0));
    const after = frameWith(AREA, textLines(AREA.width, AREA.height, 2));
    const differ = new FrameDiffer({ width: W, height: H });
    differ.store({ width: W, height: H, data: before, stride: W * 4 });
    const image = capture(after, AREA);
    const copy = new ScrollDetector().detect(differ.previous, W, AREA, image)!;
    differ.applyCopy(copy);
    const changed = differ.diff(AREA, image);
    const rows = new Set<number>();
    for (const r of changed) for (let y = r.y; y < r.y + r.height; y++) rows.add(y);
    // Only the two newly exposed lines (32 rows at the bottom) differ.
    expect(Math.min(...rows)).toBeGreaterThanOrEqual(AREA.y + 352);
    expect(differ.previous.equals(after)).toBe(true);
  });

  it('applies overlapping copies in both directions like a canvas drawn onto itself', () => {
    const differ = new FrameDiffer({ width: W, height: H });
    const start = frameWith(AREA, textLines(AREA.width, AREA.height, 0));
    differ.store({ width: W, height: H, data: start, stride: W * 4 });
    differ.applyCopy({ x: 40, y: 32, width: 512, height: 300, srcX: 40, srcY: 80 });
    differ.applyCopy({ x: 40, y: 100, width: 512, height: 300, srcX: 40, srcY: 60 });
    // Reference: copy through a temporary buffer (what drawImage's snapshot does).
    const expected = Buffer.from(start);
    for (const c of [
      { y: 32, srcY: 80, height: 300 },
      { y: 100, srcY: 60, height: 300 },
    ]) {
      const snapshot = Buffer.from(expected);
      for (let r = 0; r < c.height; r++) {
        snapshot.copy(
          expected,
          ((c.y + r) * W + 40) * 4,
          ((c.srcY + r) * W + 40) * 4,
          ((c.srcY + r) * W + 552) * 4,
        );
      }
    }
    expect(differ.previous.equals(expected)).toBe(true);
  });
});
