// Scroll copies end to end on a real Xvfb: the streamer's frames, applied to a model of the
// viewer's screen (copies first, as the viewer paints them), reproduce the screen exactly.
import { Capability, Codec, type VideoFrame } from '@guruconnect/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { X11ScreenCapturer } from '../capture/x11-screen-capturer.js';
import { frameRects, StreamReader } from '../test-support/stream-reader.js';
import { textLines } from '../test-support/text-lines.js';
import { XDrawClient } from '../test-support/x-draw-client.js';
import { Xvfb } from '../test-support/xvfb.js';
import { ScreenStreamer } from './screen-streamer.js';

const W = 1024;
const H = 768;
const WIN = { x: 100, y: 60, width: 640, height: 480 };

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

/** The viewer's screen: BGRA, painted in frame order. */
class Model {
  readonly pixels = Buffer.alloc(W * H * 4);
  readonly stream = new StreamReader();

  async apply(frame: VideoFrame): Promise<void> {
    for (const r of await frameRects(frame, this.stream)) {
      if (r.codec === Codec.COPY) {
        const snapshot = Buffer.from(this.pixels);
        for (let y = 0; y < r.height; y++) {
          const src = ((r.srcY + y) * W + r.srcX) * 4;
          snapshot.copy(this.pixels, ((r.y + y) * W + r.x) * 4, src, src + r.width * 4);
        }
        continue;
      }
      expect(r.codec).toBe(Codec.ZSTD_BGRA);
      const px = r.pixels!;
      for (let y = 0; y < r.height; y++) {
        px.copy(this.pixels, ((r.y + y) * W + r.x) * 4, y * r.width * 4, (y + 1) * r.width * 4);
      }
    }
  }

  /** True when every pixel equals the screen (alpha ignored). */
  equalsScreen(capturer: X11ScreenCapturer, displayId: string): boolean {
    const image = capturer.capture(displayId, { x: 0, y: 0, width: W, height: H });
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const i = (y * W + x) * 4;
        const j = y * image.stride + x * 4;
        for (let c = 0; c < 3; c++) if (this.pixels[i + c] !== image.data[j + c]) return false;
      }
    }
    return true;
  }
}

async function run(scrollDetection: boolean, lateViewer = false, capabilities?: string[]) {
  const capturer = new X11ScreenCapturer({ display: xvfb.display });
  const display = capturer.displays()[0]!;
  const sent: { frame: VideoFrame; viewerId: string }[] = [];
  const errors: unknown[] = [];
  const streamer = new ScreenStreamer({
    capturer,
    codec: 'zstd',
    scrollDetection,
    send: (frame, viewerId) => sent.push({ frame, viewerId }),
    onError: (e) => errors.push(e),
  });
  streamer.setDisplay(display);
  const viewers = new Map<string, { model: Model; next: number }>();
  const join = (id: string) => {
    viewers.set(id, { model: new Model(), next: sent.length });
    streamer.addViewer(id, capabilities);
  };
  /** Applies and acknowledges, per viewer, every frame for it until none has come for 150 ms; returns v1's. */
  const settle = async (): Promise<VideoFrame[]> => {
    const mine: VideoFrame[] = [];
    let quietSince = Date.now();
    while (Date.now() - quietSince < 150) {
      let progressed = false;
      for (const [id, v] of viewers) {
        while (v.next < sent.length) {
          const { frame, viewerId } = sent[v.next++]!;
          if (viewerId !== '' && viewerId !== id) continue;
          await v.model.apply(frame);
          streamer.ack(id, frame.sequence);
          if (id === 'v1') mine.push(frame);
          progressed = true;
        }
      }
      if (progressed) quietSince = Date.now();
      else await new Promise((r) => setTimeout(r, 5));
    }
    return mine;
  };
  const win = client.createWindow(WIN.x, WIN.y, WIN.width, WIN.height, 0xffffff);
  try {
    await new Promise((r) => setTimeout(r, 100));
    join('v1');
    client.putImage(win, 0, 0, WIN.width, WIN.height, textLines(WIN.width, WIN.height, 0));
    await settle();
    const scrolls: VideoFrame[][] = [];
    // Up two lines, up two more, then down one (a second viewer joining after the first).
    for (const first of [2, 4, 3]) {
      client.putImage(win, 0, 0, WIN.width, WIN.height, textLines(WIN.width, WIN.height, first));
      if (lateViewer && first === 4) join('v2');
      scrolls.push(await settle());
    }
    const equal = [...viewers.values()].map((v) => v.model.equalsScreen(capturer, display.id));
    return { scrolls, equal, errors, stats: streamer.codecStats };
  } finally {
    client.destroyWindow(win);
    streamer.close();
    capturer.close();
    for (const v of viewers.values()) v.model.stream.close();
  }
}

const bytes = (frames: VideoFrame[]) =>
  frames.reduce(
    (sum, f) => sum + f.streamChunk.byteLength + f.rects.reduce((n, r) => n + r.payload.byteLength, 0),
    0,
  );

describe('scroll copies', () => {
  it('send a scrolled window as one copy plus the new lines, and the model equals the screen', async () => {
    const withCopies = await run(true);
    const without = await run(false);
    expect(withCopies.errors).toEqual([]);
    expect(withCopies.equal).toEqual([true]);
    expect(without.equal).toEqual([true]);
    const shifts = withCopies.scrolls.map((frames) =>
      frames.flatMap((f) => f.rects.filter((r) => r.codec === Codec.COPY).map((r) => r.srcY - r.y)),
    );
    expect(shifts).toEqual([[32], [32], [-16]]);
    expect(withCopies.stats.copyRects).toBe(3);
    expect(without.stats.copyRects).toBe(0);
    // Only the new lines are encoded: a fraction of repainting the window.
    for (let i = 0; i < 3; i++) {
      expect(bytes(withCopies.scrolls[i]!)).toBeLessThan(bytes(without.scrolls[i]!) / 3);
    }
  }, 30_000);

  it('keep every viewer identical to the screen when one joins between scrolls', async () => {
    const late = await run(true, true);
    expect(late.errors).toEqual([]);
    expect(late.stats.copyRects).toBeGreaterThanOrEqual(2);
    // v1 and v2 (joined with its own key frame mid-way) both end equal to the screen.
    expect(late.equal).toEqual([true, true]);
  }, 30_000);

  it('are not sent while a viewer lacks codec-copy', async () => {
    const old = await run(true, false, [Capability.CodecZstd]);
    expect(old.errors).toEqual([]);
    expect(old.stats.copyRects).toBe(0);
    expect(old.equal).toEqual([true]);
    const copies = await run(true, false, [Capability.CodecZstd, Capability.CodecCopy]);
    expect(copies.stats.copyRects).toBe(3);
  }, 30_000);
});
