// Typing-sized updates on a real Xvfb: the glyph and the cursor drawn a moment later go as one
// update, small rectangles ride the zstd stream (a glyph seen before costs a few bytes), compact
// frames leave the display fields to key frames — each only for viewers that announced it.
import { Capability, type VideoFrame } from '@guruconnect/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CapturedImage, PixelRect } from '../capture/screen-capturer.js';
import { X11ScreenCapturer } from '../capture/x11-screen-capturer.js';
import { frameRects, StreamReader } from '../test-support/stream-reader.js';
import { XDrawClient } from '../test-support/x-draw-client.js';
import { Xvfb } from '../test-support/xvfb.js';
import { ScreenStreamer, type ScreenStreamerOptions } from './screen-streamer.js';

const W = 800;
const H = 600;
const CELL = { width: 6, height: 13 };
const BG = 0xffffff;
const FG = 0x000000;

let xvfb: Xvfb;
let client: XDrawClient;
beforeAll(async () => {
  xvfb = await Xvfb.start({ screen: `${W}x${H}x24` });
  client = new XDrawClient(xvfb.display);
});
afterAll(async () => {
  client?.close();
  await xvfb?.close();
});

/** A 6×13 two-colour glyph (BGRX), different per `seed`. */
function glyph(seed: number): Uint8Array {
  const out = Buffer.alloc(CELL.width * CELL.height * 4);
  for (let p = 0; p < CELL.width * CELL.height; p++) {
    out.writeUInt32LE((p * 7 + seed * 13) % 11 < 4 ? FG : BG, p * 4);
  }
  return out;
}

/**
 * The X11 capturer, plus a hook run just before a capture: what it draws lands while the frame
 * is being captured, as xterm's cursor does after the glyph.
 */
class LateDrawCapturer extends X11ScreenCapturer {
  beforeCapture: (() => void) | undefined;
  override capture(displayId: string, rect?: PixelRect): CapturedImage {
    const hook = this.beforeCapture;
    this.beforeCapture = undefined;
    hook?.();
    return super.capture(displayId, rect);
  }
}

async function session(capabilities: string[] | undefined, options: Partial<ScreenStreamerOptions> = {}) {
  const capturer = new LateDrawCapturer({ display: xvfb.display });
  const sent: { frame: VideoFrame; viewerId: string }[] = [];
  const errors: unknown[] = [];
  const streamer = new ScreenStreamer({
    capturer,
    codec: 'zstd',
    send: (frame, viewerId) => sent.push({ frame, viewerId }),
    onError: (e) => errors.push(e),
    ...options,
  });
  streamer.setDisplay(capturer.displays()[0]!);
  const win = client.createWindow(0, 0, W, H, BG);
  await new Promise((r) => setTimeout(r, 100));
  const reader = new StreamReader();
  const screen = Buffer.alloc(W * H * 4);
  let applied = 0;
  /** Waits until `n` more frames came, applies and acknowledges them; returns them. */
  const next = async (n: number): Promise<VideoFrame[]> => {
    const until = Date.now() + 5000;
    while (sent.length < applied + n) {
      if (Date.now() > until) throw new Error(`expected ${n} more frames, have ${sent.length - applied}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    await new Promise((r) => setTimeout(r, 60)); // nothing more may follow
    const frames = sent.slice(applied).map((s) => s.frame);
    applied = sent.length;
    for (const frame of frames) {
      for (const r of await frameRects(frame, reader)) {
        for (let y = 0; y < r.height; y++) {
          r.pixels!.copy(screen, ((r.y + y) * W + r.x) * 4, y * r.width * 4, (y + 1) * r.width * 4);
        }
      }
      streamer.ack('v1', frame.sequence);
    }
    return frames;
  };
  const equalsScreen = (): boolean => {
    const image = capturer.capture(capturer.displays()[0]!.id, { x: 0, y: 0, width: W, height: H });
    for (let i = 0; i < W * H; i++) {
      for (let c = 0; c < 3; c++)
        if (screen[i * 4 + c] !== image.data[(i % W) * 4 + Math.floor(i / W) * image.stride + c])
          return false;
    }
    return true;
  };
  streamer.addViewer('v1', capabilities);
  await next(1);
  return {
    capturer,
    streamer,
    sent,
    errors,
    reader,
    next,
    equalsScreen,
    /** Types glyph `seed` at cell `col`, the cursor block drawn into the next cell during the capture. */
    type(col: number, seed: number): void {
      capturer.beforeCapture = () =>
        client.fill(win, FG, (col + 1) * CELL.width, 26, CELL.width, CELL.height);
      client.putImage(win, col * CELL.width, 26, CELL.width, CELL.height, glyph(seed));
    },
    close(): void {
      client.destroyWindow(win);
      streamer.close();
      capturer.close();
      reader.close();
    },
  };
}

const wireBytes = (frames: VideoFrame[]) =>
  frames.reduce(
    (n, f) => n + f.streamChunk.byteLength + f.rects.reduce((m, r) => m + r.payload.byteLength, 0),
    0,
  );

describe('typing-sized updates', () => {
  it('send glyph and cursor as one update in the stream, a repeated glyph for a few bytes, and stay exact', async () => {
    const s = await session([Capability.CodecZstd, Capability.CodecZstdStream, Capability.CompactFrames]);
    try {
      const updates: VideoFrame[][] = [];
      for (let col = 0; col < 8; col++) {
        s.type(col, col % 4); // glyphs 0–3, then the same four again
        updates.push(await s.next(1));
      }
      expect(s.errors).toEqual([]);
      // One frame per key, one stream rectangle covering glyph and cursor.
      for (const [i, frames] of updates.entries()) {
        expect(frames).toHaveLength(1);
        expect(frames[0]!.rects).toEqual([]);
        // The viewer joined just before: the first chunk opens the stream, the others continue it.
        expect(frames[0]!.streamChunk[0]! & 0x80).toBe(i === 0 ? 0x80 : 0);
      }
      expect(s.streamer.codecStats.joinedDamage).toBeGreaterThanOrEqual(8);
      expect(s.streamer.codecStats.streamRects).toBe(8);
      expect(s.equalsScreen()).toBe(true);
      // A glyph seen before costs a fraction of its first time.
      const first = wireBytes(updates.slice(0, 4).flat());
      const again = wireBytes(updates.slice(4).flat());
      expect(again).toBeLessThan(first / 2);
      // Compact frames: display fields and capture time only on key frames.
      for (const f of updates.flat()) {
        expect(f).toMatchObject({
          keyFrame: false,
          displayWidth: 0,
          displayHeight: 0,
          displayId: '',
          captureTimeUs: 0n,
        });
      }
    } finally {
      s.close();
    }
  }, 30_000);

  it('start a new stream for a viewer that asks for a refresh', async () => {
    const s = await session(undefined);
    try {
      s.type(0, 1);
      await s.next(1);
      expect(s.reader.resets).toBe(1);
      s.streamer.refresh('v1');
      await s.next(1); // the key frame addressed to v1: no stream chunk
      expect(s.sent.at(-1)).toMatchObject({ viewerId: 'v1', frame: { keyFrame: true } });
      expect(s.sent.at(-1)!.frame.streamChunk.byteLength).toBe(0);
      s.type(1, 2);
      const [frame] = await s.next(1);
      expect(frame!.streamChunk[0]! & 0x80).toBe(0x80);
      expect(s.reader.resets).toBe(2);
      expect(s.equalsScreen()).toBe(true);
    } finally {
      s.close();
    }
  }, 30_000);

  it('send a viewer without codec-zstd-stream or compact-frames single zstd rectangles and full frames', async () => {
    const s = await session([Capability.CodecZstd]);
    try {
      for (let col = 0; col < 3; col++) {
        s.type(col, col);
        const frames = await s.next(1);
        for (const f of frames) {
          expect(f.streamChunk.byteLength).toBe(0);
          expect(f).toMatchObject({ displayWidth: W, displayHeight: H });
          expect(f.captureTimeUs).toBeGreaterThan(0n);
        }
      }
      expect(s.streamer.codecStats.streamRects).toBe(0);
      expect(s.equalsScreen()).toBe(true);
    } finally {
      s.close();
    }
  }, 30_000);

  it('without the join, the cursor drawn during the capture goes in a frame of its own', async () => {
    const s = await session(undefined, { joinDamagePixels: 0 });
    try {
      s.type(0, 1);
      const frames = await s.next(2);
      expect(frames).toHaveLength(2);
      expect(s.streamer.codecStats.joinedDamage).toBe(0);
      expect(s.equalsScreen()).toBe(true);
    } finally {
      s.close();
    }
  }, 30_000);
});
