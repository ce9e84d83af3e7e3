import type { DisplayInfo, PixelRect, ScreenCapturer } from '../capture/screen-capturer.js';
import { boundingBox, type FrameDiffer } from '../encode/frame-differ.js';
import type { CopyRect, ScrollDetector } from '../encode/scroll-detector.js';
import type { TileClassifier } from '../encode/tile-classifier.js';

/** Damage of at least this many pixels is "large": coalesced, captured with yields, searched for scrolls. */
export const LARGE_DAMAGE_PIXELS = 65_536;
/** Undamaged pixels inside the damage's bounding box worth a capture per rectangle (four 64×64 tiles). */
const SKIPPED_PIXELS = 16_384;

/**
 * Resolves after the event loop has polled for I/O once: the frame pipeline yields here between
 * its synchronous stages (capture, diff, encode setup) so input that arrived meanwhile is
 * injected within a stage, not after the whole frame.
 */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export interface DamageReadContext {
  capturer: ScreenCapturer;
  displayId: string;
  displayWidth: number;
  differ: FrameDiffer;
  classifier: TileClassifier;
  /** Set when a scroll copy may be sent (detection on, every viewer announced `codec-copy`). */
  scroll: ScrollDetector | undefined;
  now: number;
}

/**
 * Captures the damaged area (one grab of the bounding box, or one per rectangle when that skips
 * much), finds a scroll in the largest area (applied to the previous frame at once, as the viewer
 * applies it before the frame's other rectangles) and returns it with the rectangles that still
 * differ from the previous frame — which is brought up to date.
 */
export async function readDamage(
  ctx: DamageReadContext,
  damage: readonly PixelRect[],
): Promise<{ copy: CopyRect | undefined; changed: PixelRect[] }> {
  const box = boundingBox(damage);
  const rects = distinct(damage);
  const area = rects.reduce((sum, r) => sum + r.width * r.height, 0);
  const boxArea = box.width * box.height;
  // A few rectangles are captured one by one when that skips much: half the box, or a still
  // window on top of full-screen motion (X clips damage around it; the box would re-encode it).
  const areas = rects.length <= 8 && (area * 2 < boxArea || boxArea - area >= SKIPPED_PIXELS) ? rects : [box];
  const largest = areas.reduce((a, b) => (b.width * b.height > a.width * a.height ? b : a));
  const changed: PixelRect[] = [];
  let copy: CopyRect | undefined;
  for (const a of [largest, ...areas.filter((r) => r !== largest)]) {
    // A large area is copied off the event loop (input keeps flowing while a busy X server
    // works); only the streamer captures, one frame at a time, so the image stays as it is.
    const large = a.width * a.height >= LARGE_DAMAGE_PIXELS;
    const image =
      large && ctx.capturer.captureAsync !== undefined
        ? await ctx.capturer.captureAsync(ctx.displayId, a)
        : ctx.capturer.capture(ctx.displayId, a);
    if (large) await nextTurn();
    if (a === largest && ctx.scroll !== undefined) {
      copy = ctx.scroll.detect(ctx.differ.previous, ctx.displayWidth, a, image);
      if (copy !== undefined) {
        // Lossy pixels moved by the copy must still be refined where they land.
        const source = { x: copy.srcX, y: copy.srcY, width: copy.width, height: copy.height };
        if (ctx.classifier.anyLossy(source)) ctx.classifier.markLossy(copy, ctx.now);
        ctx.differ.applyCopy(copy);
      }
      // The search and the diff each take milliseconds on a full screen: input goes in between.
      if (large) await nextTurn();
    }
    changed.push(...ctx.differ.diff(a, image));
  }
  return { copy, changed };
}

/**
 * Typing damage arrives in pieces: xterm draws the glyph, then the cursor a fraction of a
 * millisecond later. Damage that came in with the capture's reply (`ctx.capturer.pollDamage`
 * delivers it to the streamer) joins the frame being built when `take` hands it over — when it is
 * small; what `take` leaves stays for the next frame — so a keystroke is one update rather than two. No waiting: only what is already queued
 * is taken. Returns the rectangles of it that changed (no scroll search: a copy comes first).
 */
export async function readLateDamage(
  ctx: DamageReadContext,
  take: () => PixelRect[] | undefined,
): Promise<PixelRect[]> {
  if (ctx.capturer.pollDamage === undefined) return [];
  ctx.capturer.pollDamage();
  const late = take();
  if (late === undefined) return [];
  return (await readDamage({ ...ctx, scroll: undefined }, late)).changed;
}

/** Pixels covered by `rects` (overlaps counted twice). */
export function areaOf(rects: readonly PixelRect[]): number {
  let area = 0;
  for (const r of rects) area += r.width * r.height;
  return area;
}

/** `r` (screen coordinates) clipped to display `d`, in display coordinates; undefined when outside. */
export function clipToDisplay(r: PixelRect, d: DisplayInfo): PixelRect | undefined {
  const x0 = Math.max(r.x, d.x);
  const y0 = Math.max(r.y, d.y);
  const x1 = Math.min(r.x + r.width, d.x + d.width);
  const y1 = Math.min(r.y + r.height, d.y + d.height);
  if (x1 <= x0 || y1 <= y0) return undefined;
  return { x: x0 - d.x, y: y0 - d.y, width: x1 - x0, height: y1 - y0 };
}

/** `rects` without exact repeats (damage batches merged while a frame was in flight repeat them). */
function distinct(rects: readonly PixelRect[]): PixelRect[] {
  const seen = new Set<string>();
  return rects.filter((r) => {
    const key = `${r.x},${r.y},${r.width},${r.height}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
