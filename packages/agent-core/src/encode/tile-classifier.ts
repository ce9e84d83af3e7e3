import type { PixelRect } from '../capture/screen-capturer.js';
import type { PixelSource } from './rect-encoder.js';

export interface TileClassifierOptions {
  width: number;
  height: number;
  /** Tile edge in pixels. Default 64; bounds 16–256. */
  tileSize?: number;
  /**
   * Distinct colours, out of a 16×16 sample of a tile, from which the tile looks photographic
   * (scaled down for smaller pieces). Default 96; bounds 2–256. Text and UI stay far below (a
   * glyph cell has 2–20).
   */
  photoColours?: number;
  /** Distinct colours from which a tile is lossy even on its first change (noise, photos). Default 200. */
  noiseColours?: number;
  /** Changes within about half a second that make a photographic tile "fast-changing". Default 2. */
  changesForLossy?: number;
  /** Changed rectangles smaller than this many pixels always stay lossless (a JPEG header alone is ~600 B). Default 1024. */
  minLossyPixels?: number;
}

/** One piece of a rectangle and how to encode it. */
export interface ClassifiedRect extends PixelRect {
  lossy: boolean;
}

const DECAY_MS = 500;

/**
 * Decides per tile whether changed pixels go lossless (zstd) or lossy (JPEG), from two cheap
 * signals: how many distinct colours a 16×16 sample of the changed part has (text and UI have
 * few, photographs and video many) and how often the tile changed recently (a decayed count).
 * It also remembers which tiles currently show lossy pixels, so they can be refined to
 * lossless once they have stopped changing.
 */
export class TileClassifier {
  readonly tileSize: number;
  readonly #cols: number;
  readonly #rows: number;
  readonly #width: number;
  readonly #height: number;
  readonly #photo: number;
  readonly #noise: number;
  readonly #changes: number;
  readonly #minLossy: number;
  /** Decayed change count per tile and when it was last updated. */
  readonly #hits: Float64Array;
  readonly #changedAt: Float64Array;
  /** 1 while the tile shows lossy pixels not yet refined. */
  readonly #lossy: Uint8Array;
  /** Open-addressing set for colour counting, cleared by bumping the generation. */
  readonly #slots = new Int32Array(1024);
  readonly #generation = new Uint32Array(1024);
  #gen = 0;

  constructor(options: TileClassifierOptions) {
    this.tileSize = Math.min(256, Math.max(16, Math.trunc(options.tileSize ?? 64)));
    this.#width = options.width;
    this.#height = options.height;
    this.#cols = Math.ceil(this.#width / this.tileSize);
    this.#rows = Math.ceil(this.#height / this.tileSize);
    this.#photo = Math.min(256, Math.max(2, options.photoColours ?? 96));
    this.#noise = Math.min(256, Math.max(this.#photo, options.noiseColours ?? 200));
    this.#changes = Math.max(1, options.changesForLossy ?? 2);
    this.#minLossy = Math.max(0, options.minLossyPixels ?? 1024);
    const n = this.#cols * this.#rows;
    this.#hits = new Float64Array(n);
    this.#changedAt = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
    this.#lossy = new Uint8Array(n);
  }

  /** Forgets change history and lossy marks (a new display, a new connection). */
  reset(): void {
    this.#hits.fill(0);
    this.#changedAt.fill(Number.NEGATIVE_INFINITY);
    this.#lossy.fill(0);
  }

  /**
   * Records that `rects` changed at `now` and splits them into tile-aligned pieces, merged back
   * into as few rectangles as possible per class. `allowLossy` false keeps everything lossless
   * (the change history is still recorded). A `key` frame repaints rather than changes: it does
   * not count as a change, only its lossy tiles start their quiet period.
   */
  classify(
    source: PixelSource,
    rects: readonly PixelRect[],
    now: number,
    allowLossy: boolean,
    key = false,
  ): ClassifiedRect[] {
    const out: ClassifiedRect[] = [];
    const t = this.tileSize;
    for (const rect of rects) {
      const big = rect.width * rect.height >= this.#minLossy;
      const c0 = Math.floor(rect.x / t);
      const c1 = Math.floor((rect.x + rect.width - 1) / t);
      const r0 = Math.floor(rect.y / t);
      const r1 = Math.floor((rect.y + rect.height - 1) / t);
      // Per tile row: runs of same-class tiles; then rows with identical runs are merged.
      let previous: ClassifiedRect[] = [];
      for (let r = r0; r <= r1; r++) {
        const y0 = Math.max(rect.y, r * t);
        const y1 = Math.min(rect.y + rect.height, (r + 1) * t);
        const row: ClassifiedRect[] = [];
        for (let c = c0; c <= c1; c++) {
          const x0 = Math.max(rect.x, c * t);
          const x1 = Math.min(rect.x + rect.width, (c + 1) * t);
          const piece = { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
          const last = row[row.length - 1];
          const lossy = this.#touch(
            r * this.#cols + c,
            source,
            piece,
            now,
            allowLossy && big,
            key,
            last?.lossy,
          );
          if (last !== undefined && last.lossy === lossy) last.width = x1 - last.x;
          else row.push({ ...piece, lossy });
        }
        const mergeable =
          previous.length === row.length &&
          row.every((p, i) => {
            const q = previous[i] as ClassifiedRect;
            return q.x === p.x && q.width === p.width && q.lossy === p.lossy && q.y + q.height === p.y;
          });
        if (mergeable) {
          for (let i = 0; i < row.length; i++)
            (previous[i] as ClassifiedRect).height += (row[i] as ClassifiedRect).height;
        } else {
          out.push(...row);
          previous = row;
        }
      }
    }
    return out;
  }

  /** True when a tile under `rect` shows lossy pixels not yet refined. */
  anyLossy(rect: PixelRect): boolean {
    let any = false;
    this.#forTiles(rect, (i) => {
      if (this.#lossy[i] === 1) any = true;
    });
    return any;
  }

  /**
   * Marks the tiles under `rect` as showing lossy pixels changed at `now` (a copy moved lossy
   * pixels there), so they are refined once quiet.
   */
  markLossy(rect: PixelRect, now: number): void {
    this.#forTiles(rect, (i) => {
      this.#lossy[i] = 1;
      this.#changedAt[i] = now;
    });
  }

  /** Marks the tiles under `rect` as showing lossless pixels again (after a refinement). */
  markLossless(rect: PixelRect): void {
    this.#forTiles(rect, (i) => {
      this.#lossy[i] = 0;
    });
  }

  /**
   * Tiles that show lossy pixels and have not changed for `quietMs`, merged into rectangles
   * (whole tiles, clipped to the display). They are not unmarked here: call `markLossless`
   * once they were sent.
   */
  dueForRefinement(now: number, quietMs: number): PixelRect[] {
    const t = this.tileSize;
    const out: PixelRect[] = [];
    let previous: PixelRect[] = [];
    for (let r = 0; r < this.#rows; r++) {
      const row: PixelRect[] = [];
      for (let c = 0; c < this.#cols; c++) {
        const i = r * this.#cols + c;
        if (this.#lossy[i] === 0 || now - (this.#changedAt[i] as number) < quietMs) continue;
        const x0 = c * t;
        const x1 = Math.min(this.#width, x0 + t);
        const y0 = r * t;
        const y1 = Math.min(this.#height, y0 + t);
        const last = row[row.length - 1];
        if (last !== undefined && last.x + last.width === x0) last.width = x1 - last.x;
        else row.push({ x: x0, y: y0, width: x1 - x0, height: y1 - y0 });
      }
      const mergeable =
        previous.length > 0 &&
        previous.length === row.length &&
        row.every((p, i) => {
          const q = previous[i] as PixelRect;
          return q.x === p.x && q.width === p.width && q.y + q.height === p.y;
        });
      if (mergeable) {
        for (let i = 0; i < row.length; i++)
          (previous[i] as PixelRect).height += (row[i] as PixelRect).height;
      } else {
        out.push(...row);
        previous = row;
      }
    }
    return out;
  }

  /** When the next lossy tile becomes due for refinement, or undefined when none shows lossy pixels. */
  nextRefinementAt(quietMs: number): number | undefined {
    let next: number | undefined;
    for (let i = 0; i < this.#lossy.length; i++) {
      if (this.#lossy[i] === 0) continue;
      const at = (this.#changedAt[i] as number) + quietMs;
      if (next === undefined || at < next) next = at;
    }
    return next;
  }

  #touch(
    i: number,
    source: PixelSource,
    piece: PixelRect,
    now: number,
    allowLossy: boolean,
    key: boolean,
    neighbour: boolean | undefined,
  ): boolean {
    const last = this.#changedAt[i] as number;
    const decay = Number.isFinite(last) ? Math.exp(-(now - last) / DECAY_MS) : 0;
    const hits = (this.#hits[i] as number) * decay + (key ? 0 : 1);
    if (!key) {
      this.#hits[i] = hits;
      this.#changedAt[i] = now;
    }
    let lossy = false;
    if (allowLossy) {
      const sx = Math.max(1, Math.floor(piece.width / 16));
      const sy = Math.max(1, Math.floor(piece.height / 16));
      const samples = Math.ceil(piece.width / sx) * Math.ceil(piece.height / sy);
      if (samples < 64 && neighbour !== undefined) {
        // Too small a sliver to judge (a rectangle's edge in a tile): same as its left neighbour.
        lossy = neighbour;
      } else {
        // Thresholds are fractions of a full 256-pixel sample.
        const noise = Math.ceil((this.#noise * samples) / 256);
        const colours = this.#colours(source, piece, sx, sy, noise);
        lossy = colours >= noise || (colours >= (this.#photo * samples) / 256 && hits >= this.#changes);
      }
    }
    if (lossy) {
      this.#lossy[i] = 1;
      if (key) this.#changedAt[i] = Math.max(last, now);
    } else if (piece.width * piece.height === this.#tileArea(i)) this.#lossy[i] = 0;
    return lossy;
  }

  #tileArea(i: number): number {
    const c = i % this.#cols;
    const r = Math.floor(i / this.#cols);
    const t = this.tileSize;
    return (Math.min(this.#width, (c + 1) * t) - c * t) * (Math.min(this.#height, (r + 1) * t) - r * t);
  }

  /** Distinct colours in a grid sample (steps sx, sy) of `piece`; stops counting at `limit`. */
  #colours(source: PixelSource, piece: PixelRect, sx: number, sy: number, limit: number): number {
    const slots = this.#slots;
    const generation = this.#generation;
    const gen = ++this.#gen;
    const data = source.data;
    let count = 0;
    for (let y = piece.y; y < piece.y + piece.height; y += sy) {
      const row = y * source.stride;
      for (let x = piece.x; x < piece.x + piece.width; x += sx) {
        const o = row + x * 4;
        const c = ((data[o] as number) << 16) | ((data[o + 1] as number) << 8) | (data[o + 2] as number);
        let h = Math.imul(c, 0x9e3779b1) >>> 22;
        for (;;) {
          if (generation[h] !== gen) {
            generation[h] = gen;
            slots[h] = c;
            if (++count >= limit) return count;
            break;
          }
          if (slots[h] === c) break;
          h = (h + 1) & 1023;
        }
      }
    }
    return count;
  }

  #forTiles(rect: PixelRect, fn: (index: number) => void): void {
    const t = this.tileSize;
    for (let r = Math.floor(rect.y / t); r <= Math.floor((rect.y + rect.height - 1) / t); r++) {
      for (let c = Math.floor(rect.x / t); c <= Math.floor((rect.x + rect.width - 1) / t); c++) {
        if (r >= 0 && r < this.#rows && c >= 0 && c < this.#cols) fn(r * this.#cols + c);
      }
    }
  }
}
