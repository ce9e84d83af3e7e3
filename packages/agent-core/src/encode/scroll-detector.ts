import type { CapturedImage, PixelRect } from '../capture/screen-capturer.js';

/** A vertical copy of pixels the viewer already shows: `width`×`height` from (srcX, srcY) to (x, y). */
export interface CopyRect extends PixelRect {
  srcX: number;
  srcY: number;
}

export interface ScrollDetectorOptions {
  /** Areas with fewer rows are not searched. Default 48. */
  minRows?: number;
  /** Areas with fewer pixels are not searched (typing never pays for the search). Default 65 536. */
  minPixels?: number;
  /** Rows that must match at the found shift, and differ without it. Default 24. */
  minCopiedRows?: number;
}

/**
 * Finds a vertical scroll inside a damaged area: the shift `dy` for which the most rows of the
 * new capture equal rows of the previous frame `dy` rows below (or above), then the longest run
 * of rows that really are equal at that shift (checked byte for byte). Rows are compared over the
 * area's columns, so a terminal or list scrolling inside a window is found; the remaining
 * changes (the new lines) are then diffed against the shifted previous frame.
 *
 * Candidate shifts come from a vote over rows whose hash is rare in the previous frame (blank
 * rows match everywhere and say nothing), so the search costs one pass over each frame's rows.
 */
export class ScrollDetector {
  readonly #minRows: number;
  readonly #minPixels: number;
  readonly #minCopied: number;

  constructor(options: ScrollDetectorOptions = {}) {
    this.#minRows = Math.max(8, options.minRows ?? 48);
    this.#minPixels = Math.max(0, options.minPixels ?? 65_536);
    this.#minCopied = Math.max(4, options.minCopiedRows ?? 24);
  }

  /**
   * The copy that turns `previous` (a whole frame, `width * 4` bytes per row) into `image` (a
   * capture of `area`) for the most rows, or undefined when there is no worthwhile scroll.
   */
  detect(previous: Buffer, width: number, area: PixelRect, image: CapturedImage): CopyRect | undefined {
    const rows = area.height;
    if (rows < this.#minRows || area.width * rows < this.#minPixels) return undefined;
    const rowBytes = area.width * 4;
    const prevRow = (y: number) => (area.y + y) * width * 4 + area.x * 4;
    const curRow = (y: number) => y * image.stride;
    const cur = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);

    // Row hashes of both frames over the area's columns.
    const prevHash = hashRows(previous, prevRow, rows, area.width);
    const curHash = hashRows(cur, curRow, rows, area.width);
    // Where each row hash occurs in the previous frame; hashes seen more than MAX_OCCURRENCES
    // times (blank rows, rules) vote for nothing.
    const where = new Map<number, number[]>();
    for (let y = 0; y < rows; y++) {
      const h = prevHash[y]!;
      const list = where.get(h);
      if (list === undefined) where.set(h, [y]);
      else if (list.length <= MAX_OCCURRENCES) list.push(y);
    }
    const votes = new Map<number, number>();
    let best = 0;
    let bestVotes = 0;
    for (let y = 0; y < rows; y++) {
      const list = where.get(curHash[y]!);
      if (list === undefined || list.length > MAX_OCCURRENCES) continue;
      for (const from of list) {
        if (from === y) continue;
        const dy = from - y;
        const v = (votes.get(dy) ?? 0) + 1;
        votes.set(dy, v);
        if (v > bestVotes) {
          bestVotes = v;
          best = dy;
        }
      }
    }
    if (bestVotes < 4) return undefined;

    // The longest run of rows equal at that shift, verified byte for byte.
    const dy = best;
    let runStart = -1;
    let bestStart = 0;
    let bestLength = 0;
    let bestMoved = 0;
    let moved = 0;
    const y0 = Math.max(0, -dy);
    const y1 = Math.min(rows, rows - dy);
    for (let y = y0; y <= y1; y++) {
      const equal =
        y < y1 &&
        curHash[y] === prevHash[y + dy] &&
        cur.compare(
          previous,
          prevRow(y + dy),
          prevRow(y + dy) + rowBytes,
          curRow(y),
          curRow(y) + rowBytes,
        ) === 0;
      if (equal) {
        if (runStart < 0) {
          runStart = y;
          moved = 0;
        }
        // Different sampled hashes prove the row changed; equal ones need the bytes.
        if (
          curHash[y] !== prevHash[y] ||
          cur.compare(previous, prevRow(y), prevRow(y) + rowBytes, curRow(y), curRow(y) + rowBytes) !== 0
        )
          moved++;
      } else if (runStart >= 0) {
        if (y - runStart > bestLength) {
          bestStart = runStart;
          bestLength = y - runStart;
          bestMoved = moved;
        }
        runStart = -1;
      }
    }
    if (bestLength < this.#minCopied || bestMoved < this.#minCopied) return undefined;
    return {
      x: area.x,
      y: area.y + bestStart,
      width: area.width,
      height: bestLength,
      srcX: area.x,
      srcY: area.y + bestStart + dy,
    };
  }
}

/** A row hash found more often than this in the previous frame does not vote. */
const MAX_OCCURRENCES = 4;

/** Pixels hashed per row: enough to tell text rows apart, cheap on a 1080p area. */
const SAMPLES_PER_ROW = 128;

/**
 * 32-bit FNV-1a-style hash of each row, over up to {@link SAMPLES_PER_ROW} evenly spaced pixels
 * (rows that hash alike are told apart by the byte-for-byte check afterwards).
 */
function hashRows(data: Buffer, rowStart: (y: number) => number, rows: number, pixels: number): Uint32Array {
  const out = new Uint32Array(rows);
  const step = Math.max(1, Math.floor(pixels / SAMPLES_PER_ROW));
  const aligned = data.byteOffset % 4 === 0;
  const words = aligned ? new Int32Array(data.buffer, data.byteOffset, data.byteLength >>> 2) : undefined;
  for (let y = 0; y < rows; y++) {
    const start = rowStart(y);
    let h = 0x811c9dc5 | 0;
    if (words !== undefined && start % 4 === 0) {
      const i0 = start >>> 2;
      for (let i = i0; i < i0 + pixels; i += step) h = Math.imul(h ^ words[i]!, 0x01000193);
    } else {
      for (let i = start; i < start + pixels * 4; i += step * 4)
        h = Math.imul(h ^ data.readInt32LE(i), 0x01000193);
    }
    out[y] = h >>> 0;
  }
  return out;
}
