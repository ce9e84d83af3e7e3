import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { Capability, Codec, type VideoFrame, VideoFrameSchema } from '@guruconnect/protocol';
import { decompress } from '@mongodb-js/zstd';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { X11ScreenCapturer } from '../capture/x11-screen-capturer.js';
import type { Logger } from '../logger.js';
import { frameRects, StreamReader } from '../test-support/stream-reader.js';
import { XDrawClient } from '../test-support/x-draw-client.js';
import { Xvfb } from '../test-support/xvfb.js';
import { ScreenStreamer, type ScreenStreamerOptions } from './screen-streamer.js';

let xvfb: Xvfb;
let client: XDrawClient;
beforeAll(async () => {
  xvfb = await Xvfb.start({ screen: '1280x800x24' });
  await xvfb.exec('xsetroot', ['-solid', '#203040']);
  client = new XDrawClient(xvfb.display);
});
afterAll(async () => {
  client?.close();
  await xvfb?.close();
});

interface Sent {
  frame: VideoFrame;
  viewerId: string;
}

function setup(options: Partial<ScreenStreamerOptions> = {}): {
  capturer: X11ScreenCapturer;
  streamer: ScreenStreamer;
  sent: Sent[];
  errors: unknown[];
  close(): void;
} {
  const capturer = new X11ScreenCapturer({ display: xvfb.display });
  const sent: Sent[] = [];
  const errors: unknown[] = [];
  const streamer = new ScreenStreamer({
    capturer,
    send: (frame, viewerId) => sent.push({ frame, viewerId }),
    onError: (e) => errors.push(e),
    ...options,
  });
  streamer.setDisplay(capturer.displays()[0]!);
  return {
    capturer,
    streamer,
    sent,
    errors,
    close() {
      streamer.close();
      capturer.close();
    },
  };
}

async function waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A source of 256×192 noisy (photograph-like to the classifier) images, a new one per call. */
function noise(seed: number): () => Uint8Array {
  let s = seed;
  return () => {
    const px = new Uint8Array(256 * 192 * 4);
    for (let p = 0; p < px.length; p++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      px[p] = s >>> 24;
    }
    return px;
  };
}

describe('ScreenStreamer', () => {
  it('sends one key frame, then one small rectangle for a change in one corner', async () => {
    const s = setup();
    try {
      s.streamer.addViewer('v1');
      await waitFor(() => s.sent.length >= 1);
      const key = s.sent[0]!.frame;
      expect(key.keyFrame).toBe(true);
      expect(key.sequence).toBe(1n);
      expect(key.displayWidth).toBe(1280);
      const covered = key.rects.reduce((sum, r) => sum + r.width * r.height, 0);
      expect(covered).toBe(1280 * 800);
      const first = await decompress(Buffer.from(key.rects[0]!.payload));
      expect([...first.subarray(0, 4)]).toEqual([0x40, 0x30, 0x20, 0xff]);
      s.streamer.ack('v1', 1n);

      const win = client.createWindow(1260, 780, 20, 20, 0x203040); // same colour: no visible change
      client.fill(win, 0xff8000, 12, 9, 6, 5);
      await waitFor(() => s.sent.length >= 2);
      await sleep(100);
      const reader = new StreamReader();
      const deltas = [];
      for (const x of s.sent.slice(1)) deltas.push(...(await frameRects(x.frame, reader)));
      reader.close();
      expect(deltas).toHaveLength(1);
      // A small rectangle goes in the frame's stream chunk (the viewer takes every codec).
      expect(deltas[0]).toMatchObject({ x: 1272, y: 789, width: 6, height: 5, streamed: true });
      const px = deltas[0]!.pixels!;
      expect(px.length).toBe(6 * 5 * 4);
      expect([...px.subarray(0, 4)]).toEqual([0x00, 0x80, 0xff, 0xff]);
      expect(s.sent.every((x) => x.viewerId === '')).toBe(true);
      client.destroyWindow(win);
      expect(s.errors).toEqual([]);
    } finally {
      s.close();
    }
  });

  it('sends no frames for a static screen', async () => {
    const s = setup();
    try {
      s.streamer.addViewer('v1');
      await waitFor(() => s.sent.length >= 1);
      s.streamer.ack('v1', 1n);
      await sleep(5000);
      expect(s.sent).toHaveLength(1);
    } finally {
      s.close();
    }
  }, 15_000);

  it('keeps at most `window` frames in flight and accumulates damage until an ack', async () => {
    const s = setup({ window: 2 });
    const win = client.createWindow(0, 0, 200, 20, 0x000000);
    try {
      s.streamer.addViewer('v1');
      await waitFor(() => s.sent.length >= 1); // key frame: 1 in flight
      for (let i = 0; i < 10; i++) {
        client.fill(win, 0x111111 * (i + 1), i * 20, 0, 20, 20);
        await sleep(40);
      }
      expect(s.sent).toHaveLength(2); // the window of 2 is full
      s.streamer.ack('v1', 2n);
      await waitFor(() => s.sent.length >= 3);
      await sleep(100);
      // All damage accumulated while waiting went out together in one frame (or two, the window).
      expect(s.sent.length).toBeLessThanOrEqual(4);
      const reader = new StreamReader();
      const painted = [];
      for (const x of s.sent.slice(1)) painted.push(...(await frameRects(x.frame, reader)));
      reader.close();
      const right = Math.max(...painted.map((r) => r.x + r.width));
      expect(right).toBe(200);
    } finally {
      client.destroyWindow(win);
      s.close();
    }
  });

  it('answers a refresh with a key frame addressed to that viewer, even with a full window', async () => {
    const s = setup({ window: 1 });
    try {
      s.streamer.addViewer('v1');
      await waitFor(() => s.sent.length >= 1);
      s.streamer.addViewer('v2');
      await waitFor(() => s.sent.length >= 2);
      expect(s.sent[1]).toMatchObject({ viewerId: 'v2', frame: { keyFrame: true, sequence: 2n } });
      s.streamer.refresh('v1');
      await waitFor(() => s.sent.length >= 3);
      expect(s.sent[2]).toMatchObject({ viewerId: 'v1', frame: { keyFrame: true, sequence: 3n } });
    } finally {
      s.close();
    }
  });

  it('falls back to lossless zstd, with a logged warning, when libturbojpeg cannot be loaded', async () => {
    const warnings: string[] = [];
    const logger: Logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: (m) => warnings.push(m),
      error: () => undefined,
    };
    const s = setup({ jpegLibrary: '/nonexistent/libturbojpeg.so.0', logger });
    try {
      expect(s.streamer.codec).toBe('zstd');
      expect(warnings.join()).toContain('libturbojpeg');
      s.streamer.addViewer('v1');
      await waitFor(() => s.sent.length >= 1);
      expect(s.sent[0]!.frame.rects.every((r) => r.codec === Codec.ZSTD_BGRA)).toBe(true);
    } finally {
      s.close();
    }
  });

  it('streams a changing photographic window as JPEG and refines it to lossless once it stops changing', async () => {
    const s = setup({ refineAfterMs: 150 });
    const win = client.createWindow(100, 100, 256, 192, 0x000000);
    try {
      expect(s.streamer.codec).toBe('adaptive');
      s.streamer.addViewer('v1');
      await waitFor(() => s.sent.length >= 1);
      let acked = 0;
      const ackAll = (): void => {
        for (const x of s.sent.slice(acked)) s.streamer.ack('v1', x.frame.sequence);
        acked = s.sent.length;
      };
      const photo = noise(7);
      for (let i = 0; i < 4; i++) {
        client.putImage(win, 0, 0, 256, 192, photo());
        await sleep(60);
        ackAll();
      }
      await waitFor(() => s.streamer.codecStats.jpegRects > 0);
      const jpeg = s.sent.flatMap((x) => x.frame.rects).filter((r) => r.codec === Codec.JPEG);
      expect(
        jpeg.every((r) => r.x >= 100 && r.y >= 100 && r.x + r.width <= 356 && r.y + r.height <= 292),
      ).toBe(true);
      expect([...jpeg[0]!.payload.subarray(0, 2)]).toEqual([0xff, 0xd8]);
      // Quiet now: the JPEG tiles come back lossless.
      await waitFor(() => {
        ackAll();
        return s.streamer.codecStats.refinements > 0;
      });
      const last = s.sent[s.sent.length - 1]!.frame;
      expect(last.keyFrame).toBe(false);
      expect(last.rects.every((r) => r.codec === Codec.ZSTD_BGRA)).toBe(true);
      expect(s.errors).toEqual([]);
    } finally {
      client.destroyWindow(win);
      s.close();
    }
  });

  it('with reusePayloads, JPEG buffers come back frame after frame and each frame is whole while sent', async () => {
    const encoded: Uint8Array[] = [];
    const jpegBuffers: ArrayBufferLike[] = [];
    const capturer = new X11ScreenCapturer({ display: xvfb.display });
    const streamer = new ScreenStreamer({
      capturer,
      reusePayloads: true,
      // What the agent's connection does: encode the envelope during the call.
      send: (frame) => {
        encoded.push(toBinary(VideoFrameSchema, frame));
        for (const r of frame.rects) if (r.codec === Codec.JPEG) jpegBuffers.push(r.payload.buffer);
      },
      onError: (e) => {
        throw e;
      },
    });
    streamer.setDisplay(capturer.displays()[0]!);
    const win = client.createWindow(100, 100, 256, 192, 0x000000);
    try {
      streamer.addViewer('v1');
      await waitFor(() => encoded.length >= 1);
      const photo = noise(5);
      for (let i = 0; i < 6; i++) {
        client.putImage(win, 0, 0, 256, 192, photo());
        await sleep(60);
        streamer.ack('v1', BigInt(encoded.length));
      }
      await waitFor(() => streamer.codecStats.jpegRects >= 4);
      const jpegs = encoded
        .flatMap((bytes) => fromBinary(VideoFrameSchema, bytes).rects)
        .filter((r) => r.codec === Codec.JPEG);
      // Every JPEG sent is whole (start and end markers), although its buffer was reused later.
      for (const r of jpegs) {
        expect([...r.payload.subarray(0, 2)]).toEqual([0xff, 0xd8]);
        expect([...r.payload.subarray(-2)]).toEqual([0xff, 0xd9]);
      }
      // Different pixels each time: the reused buffers did not leak one frame into another.
      expect(new Set(jpegs.map((r) => Buffer.from(r.payload).toString('base64'))).size).toBe(jpegs.length);
      // And the buffers were reused: fewer distinct ones than JPEG rectangles sent.
      expect(new Set(jpegBuffers).size).toBeLessThan(jpegBuffers.length);
    } finally {
      client.destroyWindow(win);
      streamer.close();
      capturer.close();
    }
  });

  it('sends a viewer without codec-jpeg only lossless rectangles', async () => {
    const s = setup();
    const win = client.createWindow(100, 100, 256, 192, 0x000000);
    try {
      expect(s.streamer.codec).toBe('adaptive');
      s.streamer.addViewer('v1', [Capability.CodecZstd]);
      await waitFor(() => s.sent.length >= 1);
      const photo = noise(11);
      for (let i = 0; i < 6; i++) {
        client.putImage(win, 0, 0, 256, 192, photo());
        await sleep(60);
        for (const x of s.sent) s.streamer.ack('v1', x.frame.sequence);
      }
      await sleep(100);
      const rects = s.sent.flatMap((x) => x.frame.rects);
      expect(rects.length).toBeGreaterThan(3);
      expect(rects.every((r) => r.codec === Codec.ZSTD_BGRA)).toBe(true);
      expect(s.streamer.codecStats.jpegRects).toBe(0);
    } finally {
      client.destroyWindow(win);
      s.close();
    }
  });

  it('leaves a still window out of frames while everything around it changes', async () => {
    const s = setup({ codec: 'zstd' });
    const back = client.createWindow(0, 0, 1280, 800, 0x000000);
    const still = { x: 500, y: 300, width: 300, height: 200 };
    const top = client.createWindow(still.x, still.y, still.width, still.height, 0xffffff);
    try {
      await sleep(100);
      s.streamer.addViewer('v1');
      await waitFor(() => s.sent.length >= 1);
      s.streamer.ack('v1', s.sent[0]!.frame.sequence);
      const from = s.sent.length;
      for (let i = 0; i < 3; i++) {
        client.fill(back, 0x102030 * (i + 1), 0, 0, 1280, 800); // under the still window too
        await sleep(80);
        for (const x of s.sent) s.streamer.ack('v1', x.frame.sequence);
      }
      await sleep(100);
      const rects = s.sent.slice(from).flatMap((x) => x.frame.rects);
      const covered = rects.reduce((sum, r) => sum + r.width * r.height, 0);
      expect(covered).toBeGreaterThanOrEqual(3 * (1280 * 800 - still.width * still.height));
      const overlaps = rects.filter(
        (r) =>
          r.x < still.x + still.width &&
          r.x + r.width > still.x &&
          r.y < still.y + still.height &&
          r.y + r.height > still.y,
      );
      expect(overlaps.map((r) => `${r.width}x${r.height}+${r.x}+${r.y}`)).toEqual([]);
      expect(s.errors).toEqual([]);
    } finally {
      client.destroyWindow(top);
      client.destroyWindow(back);
      s.close();
    }
  });
});
