import type { CapturedImage, PixelRect } from '../capture/screen-capturer.js';
import type { CopyRect } from './scroll-detector.js';

export interface FrameDifferOptions {
  width: number;
  height: number;
  /**
   * Unchanged columns that split a band of changed rows into two rectangles. Default 16; bounds
   * 1–1024. Smaller gives tighter rectangles and more of them.
   */
  columnGap?: number;
  /** Unchanged rows that end a band. Default 4; bounds 0–1024. */
  rowGap?: number;
  /** Bands larger than this many pixels are not split by columns (the scan would cost more than it saves). Default 1 048 576. */
  maxSplitArea?: number;
  /** More rectangles than this in one diff are merged into their bounding box. Default 32; bounds 1–1024. */
  maxRects?: number;
}

/**
 * Keeps the last frame sent and finds, inside damaged areas, the rectangles whose pixels really
 * changed: rows are compared natively (memcmp), changed rows are bounded left and right, grouped
 * into bands, and bands are split at runs of unchanged columns. A typed character costs about
 * its character cell.
 */
export class FrameDiffer {
  readonly width: number;
  readonly height: number;
  /** The previous frame, BGRX as captured, `width * 4` bytes per row. */
  readonly previous: Buffer;
  readonly #prev32: Uint32Array;
  readonly #columnGap: number;
  readonly #rowGap: number;
  readonly #maxSplitArea: number;
  readonly #maxRects: number;
  #valid = false;

  constructor(options: FrameDifferOptions) {
    this.width = options.width;
    this.height = options.height;
    this.previous = Buffer.alloc(this.width * this.height * 4);
    this.#prev32 = new Uint32Array(this.previous.buffer, this.previous.byteOffset, this.width * this.height);
    this.#columnGap = clamp(options.columnGap ?? 16, 1, 1024);
    this.#rowGap = clamp(options.rowGap ?? 4, 0, 1024);
    this.#maxSplitArea = options.maxSplitArea ?? 1 << 20;
    this.#maxRects = clamp(options.maxRects ?? 32, 1, 1024);
  }

  /** True once a whole frame has been stored. */
  get valid(): boolean {
    return this.#valid;
  }

  /** Forgets the previous frame; the next frame must be a key frame. */
  invalidate(): void {
    this.#valid = false;
  }

  /** Stores a whole-display capture as the previous frame. */
  store(image: CapturedImage): void {
    const rowBytes = this.width * 4;
    for (let y = 0; y < this.height; y++) {
      this.previous.set(image.data.subarray(y * image.stride, y * image.stride + rowBytes), y * rowBytes);
    }
    this.#valid = true;
  }

  /** Applies `copy` to the previous frame, as the viewer will (row order safe for overlap). */
  applyCopy(copy: CopyRect): void {
    const stride = this.width * 4;
    const bytes = copy.width * 4;
    const row = (r: number): void => {
      const src = (copy.srcY + r) * stride + copy.srcX * 4;
      this.previous.copyWithin((copy.y + r) * stride + copy.x * 4, src, src + bytes);
    };
    if (copy.srcY > copy.y) for (let r = 0; r < copy.height; r++) row(r);
    else for (let r = copy.height - 1; r >= 0; r--) row(r);
  }

  /**
   * Compares `image` — a capture of `area` (display coordinates) — with the previous frame,
   * copies what changed into it, and returns the changed rectangles in display coordinates.
   */
  diff(area: PixelRect, image: CapturedImage): PixelRect[] {
    const cur = asUint32(image.data);
    const curStride = image.stride >>> 2;
    const prev = this.#prev32;
    const width = this.width;
    const prevBytes = this.previous;
    const curBytes = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
    const rowLen = area.width * 4;
    const bands: Array<{ top: number; bottom: number; left: number; right: number }> = [];
    let band: { top: number; bottom: number; left: number; right: number } | undefined;
    for (let r = 0; r < area.height; r++) {
      const y = area.y + r;
      const prevStart = (y * width + area.x) * 4;
      const curStart = r * image.stride;
      if (curBytes.compare(prevBytes, prevStart, prevStart + rowLen, curStart, curStart + rowLen) === 0)
        continue;
      const pi = y * width + area.x;
      const ci = r * curStride;
      let left = 0;
      while (cur[ci + left] === prev[pi + left]) left++;
      let right = area.width - 1;
      while (cur[ci + right] === prev[pi + right]) right--;
      const x0 = area.x + left;
      const x1 = area.x + right;
      if (band !== undefined && y - band.bottom - 1 <= this.#rowGap) {
        band.bottom = y;
        if (x0 < band.left) band.left = x0;
        if (x1 > band.right) band.right = x1;
      } else {
        band = { top: y, bottom: y, left: x0, right: x1 };
        bands.push(band);
      }
    }
    const rects: PixelRect[] = [];
    for (const b of bands) {
      const w = b.right - b.left + 1;
      const h = b.bottom - b.top + 1;
      if (w * h <= this.#maxSplitArea && w > this.#columnGap) {
        this.#split(b, area, cur, curStride, rects);
      } else {
        rects.push({ x: b.left, y: b.top, width: w, height: h });
      }
    }
    // Bring the previous frame up to date (only changed pixels differ, so copying the changed
    // rectangles is enough).
    for (const rect of rects) this.#copyIn(rect, area, image);
    if (rects.length > this.#maxRects) return [boundingBox(rects)];
    return rects;
  }

  /** Splits one band at runs of ≥ columnGap unchanged columns, each run trimmed vertically. */
  #split(
    b: { top: number; bottom: number; left: number; right: number },
    area: PixelRect,
    cur: Uint32Array,
    curStride: number,
    out: PixelRect[],
  ): void {
    const w = b.right - b.left + 1;
    const changedCol = new Uint8Array(w);
    const prev = this.#prev32;
    // Stop looking once every column changed (full-screen motion: after a row or two).
    let changed = 0;
    for (let y = b.top; y <= b.bottom && changed < w; y++) {
      const pi = y * this.width + b.left;
      const ci = (y - area.y) * curStride + (b.left - area.x);
      for (let i = 0; i < w; i++) {
        if (changedCol[i] === 0 && cur[ci + i] !== prev[pi + i]) {
          changedCol[i] = 1;
          changed++;
        }
      }
    }
    let i = 0;
    while (i < w) {
      if (changedCol[i] === 0) {
        i++;
        continue;
      }
      let end = i;
      let gap = 0;
      let j = i + 1;
      for (; j < w; j++) {
        if (changedCol[j] === 1) {
          end = j;
          gap = 0;
        } else if (++gap >= this.#columnGap) break;
      }
      const x0 = b.left + i;
      const x1 = b.left + end;
      // Trim rows of this column run.
      let top = b.top;
      let bottom = b.bottom;
      while (top < bottom && this.#rowSame(top, x0, x1, area, cur, curStride)) top++;
      while (bottom > top && this.#rowSame(bottom, x0, x1, area, cur, curStride)) bottom--;
      out.push({ x: x0, y: top, width: x1 - x0 + 1, height: bottom - top + 1 });
      i = end + 1;
    }
  }

  #rowSame(y: number, x0: number, x1: number, area: PixelRect, cur: Uint32Array, curStride: number): boolean {
    const pi = y * this.width;
    const ci = (y - area.y) * curStride - area.x;
    for (let x = x0; x <= x1; x++) if (cur[ci + x] !== this.#prev32[pi + x]) return false;
    return true;
  }

  #copyIn(rect: PixelRect, area: PixelRect, image: CapturedImage): void {
    const bytes = rect.width * 4;
    for (let y = rect.y; y < rect.y + rect.height; y++) {
      const src = (y - area.y) * image.stride + (rect.x - area.x) * 4;
      this.previous.set(image.data.subarray(src, src + bytes), (y * this.width + rect.x) * 4);
    }
  }
}

/** A Uint32Array over the same bytes (copied when the view is not 4-byte aligned). */
function asUint32(data: Uint8Array): Uint32Array {
  if (data.byteOffset % 4 === 0) return new Uint32Array(data.buffer, data.byteOffset, data.byteLength >>> 2);
  return new Uint32Array(data.slice().buffer);
}

export function boundingBox(rects: readonly PixelRect[]): PixelRect {
  let x0 = Number.POSITIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let x1 = Number.NEGATIVE_INFINITY;
  let y1 = Number.NEGATIVE_INFINITY;
  for (const r of rects) {
    x0 = Math.min(x0, r.x);
    y0 = Math.min(y0, r.y);
    x1 = Math.max(x1, r.x + r.width);
    y1 = Math.max(y1, r.y + r.height);
  }
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/** Rectangles up to this many pixels (glyph and cursor cells) are merged with their neighbours. */
export const MERGE_MAX_PIXELS = 4096;

/**
 * `rects` with each pair of edge-sharing rectangles of at most `maxPixels` each (same row band
 * side by side, or same column band one above the other) merged into one, until none is left:
 * a glyph and the cursor beside it go as one rectangle (one header, one compressed chunk).
 * Larger rectangles, and lists of more than 16, are returned as they are.
 */
export function mergeAdjacent(rects: readonly PixelRect[], maxPixels = MERGE_MAX_PIXELS): PixelRect[] {
  const out = [...rects];
  if (out.length < 2 || out.length > 16) return out;
  const small = (r: PixelRect) => r.width * r.height <= maxPixels;
  for (let merged = true; merged; ) {
    merged = false;
    for (let i = 0; i < out.length && !merged; i++) {
      for (let j = i + 1; j < out.length && !merged; j++) {
        const a = out[i] as PixelRect;
        const b = out[j] as PixelRect;
        if (!small(a) || !small(b)) continue;
        const sideBySide =
          a.y === b.y && a.height === b.height && (a.x + a.width === b.x || b.x + b.width === a.x);
        const stacked =
          a.x === b.x && a.width === b.width && (a.y + a.height === b.y || b.y + b.height === a.y);
        if (sideBySide || stacked) {
          out[i] = boundingBox([a, b]);
          out.splice(j, 1);
          merged = true;
        }
      }
    }
  }
  return out;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
