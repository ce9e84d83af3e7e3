// <gc-viewer> following the agent's zstd stream (VideoFrame.stream_chunk) and compact frames in
// real headless Chromium: pixel-exact across chunks that refer to earlier ones, a missed chunk
// noticed and repaired by a refresh, hostile chunks refused with a stable code.
import type { EnvelopeInit } from '@guruconnect/protocol';
import { Capability, Codec } from '@guruconnect/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkContent, TestStream } from './test-support/stream-chunks.js';
import {
  bgraPattern,
  bgraSolid,
  rect,
  ScreenModel,
  type TestRect,
  videoFrame,
} from './test-support/test-frames.js';
import { ViewerHarness } from './test-support/viewer-harness.js';

let h: ViewerHarness;
beforeAll(async () => {
  h = await ViewerHarness.start();
});
afterAll(async () => {
  await h?.close();
});

const DISPLAY = { id: 'd1', width: 160, height: 96 };

/** A compact frame (no display fields) carrying `chunk`. */
function streamFrame(sequence: number, chunk: Uint8Array, rects: TestRect[] = []): EnvelopeInit {
  return {
    payload: {
      case: 'videoFrame',
      value: {
        sequence: BigInt(sequence),
        rects: rects.map(({ x, y, width, height, codec, payload }) => ({
          x,
          y,
          width,
          height,
          codec,
          payload,
        })),
        streamChunk: chunk,
      },
    },
  };
}

/** A 6×13 two-colour glyph. */
function glyph(seed: number): Buffer {
  const out = bgraSolid(6, 13, [250, 250, 250]);
  for (let p = 0; p < 78; p++) if ((p * 7 + seed * 13) % 11 < 4) out.writeUInt32LE(0xff101010, p * 4);
  return out;
}

/** `glyph(seed)` at (x, y), as a raw rectangle. */
function glyphRect(x: number, y: number, seed: number): Promise<TestRect> {
  return rect(x, y, glyph(seed), 6, 13, Codec.RAW_BGRA);
}

/** Sends a key frame of the whole display painted with `bgra` and waits for its ack. */
async function sendKeyFrame(
  peer: Awaited<ReturnType<ViewerHarness['join']>>,
  sequence: number,
  bgra: Buffer,
): Promise<TestRect> {
  const key = await rect(0, 0, bgra, DISPLAY.width, DISPLAY.height);
  peer.send(videoFrame(sequence, DISPLAY, [key], true));
  await peer.next('frameAck');
  return key;
}

async function canvas(id: string): Promise<Buffer> {
  const b64 = await h.page.evaluate(([id, w, hh]) => window.gcTest.pixels(id, 0, 0, w, hh), [
    id,
    DISPLAY.width,
    DISPLAY.height,
  ] as const);
  return Buffer.from(b64, 'base64');
}

async function errorCodes(id: string): Promise<string[]> {
  return (await h.page.evaluate((id) => window.gcTest.events(id), id))
    .filter((e) => e.type === 'gc-error')
    .map((e) => String(e.code));
}

describe('<gc-viewer> zstd stream and compact frames', () => {
  it('announces codec-zstd-stream and compact-frames, and paints stream chunks pixel-exact', async () => {
    const peer = await h.join({ id: 'stream', scale: 'actual' });
    expect(peer.all('viewerHello')[0]!.capabilities).toEqual(
      expect.arrayContaining([Capability.CodecZstdStream, Capability.CompactFrames]),
    );
    const screen = new ScreenModel(DISPLAY.width, DISPLAY.height);
    const key = await sendKeyFrame(peer, 1, bgraPattern(DISPLAY.width, DISPLAY.height, 3));
    screen.apply(key);

    const stream = new TestStream();
    try {
      const sizes: number[] = [];
      for (let i = 0; i < 12; i++) {
        // Glyph + cursor cells as one rectangle, and a zstd rectangle beside them in `rects`.
        const cells = Buffer.concat(
          Array.from({ length: 13 }, (_, row) =>
            Buffer.concat([glyph(i % 4).subarray(row * 24, row * 24 + 24), bgraSolid(6, 1, [16, 16, 16])]),
          ),
        );
        const typed = await rect(6 * i, 20, cells, 12, 13, Codec.RAW_BGRA);
        const other = await rect(100, 60 + (i % 3), bgraPattern(20, 10, i), 20, 10);
        const chunk = stream.chunk(chunkContent([typed]));
        sizes.push(chunk.byteLength);
        peer.send(streamFrame(2 + i, chunk, [other]));
        screen.apply(other);
        screen.apply(typed);
        expect((await peer.next('frameAck')).sequence).toBe(BigInt(2 + i));
      }
      expect((await canvas('stream')).equals(screen.rgba)).toBe(true);
      // Glyphs 0–3 again, then again: chunks refer to the ones before and shrink to a few bytes.
      expect(Math.max(...sizes.slice(5))).toBeLessThan(Math.min(...sizes.slice(0, 4)));
      expect(await errorCodes('stream')).toEqual([]);
      expect(peer.all('refreshRequest')).toEqual([]);
    } finally {
      stream.close();
    }
  });

  it('notices a missed chunk, asks for a refresh, skips the stream until it starts over', async () => {
    const peer = await h.join({ id: 'gap', scale: 'actual' });
    const screen = new ScreenModel(DISPLAY.width, DISPLAY.height);
    const key = await sendKeyFrame(peer, 1, bgraSolid(DISPLAY.width, DISPLAY.height, [0, 0, 0]));
    screen.apply(key);
    const stream = new TestStream();
    try {
      const a = await glyphRect(0, 0, 1);
      peer.send(streamFrame(2, stream.chunk(chunkContent([a]))));
      screen.apply(a);
      await peer.next('frameAck');
      stream.chunk(chunkContent([await glyphRect(6, 0, 2)])); // never sent
      const b = await glyphRect(12, 0, 3);
      peer.send(streamFrame(3, stream.chunk(chunkContent([b]))));
      expect((await peer.next('refreshRequest')).reason).toContain('stream chunk was missed');
      expect((await peer.next('frameAck')).sequence).toBe(3n);
      // Still behind: later chunks of the same stream are skipped quietly.
      peer.send(streamFrame(4, stream.chunk(chunkContent([b]))));
      expect((await peer.next('frameAck')).sequence).toBe(4n);
      expect((await canvas('gap')).equals(screen.rgba)).toBe(true);
      // The agent starts a new stream: painted again.
      stream.reset();
      const c = await glyphRect(18, 0, 4);
      peer.send(streamFrame(5, stream.chunk(chunkContent([c]))));
      screen.apply(c);
      expect((await peer.next('frameAck')).sequence).toBe(5n);
      expect((await canvas('gap')).equals(screen.rgba)).toBe(true);
      expect(peer.all('refreshRequest')).toHaveLength(1);
      expect(await errorCodes('gap')).toEqual([]);
    } finally {
      stream.close();
    }
  });

  it('skips compact frames and stream chunks that come before its first key frame, quietly', async () => {
    const peer = await h.join({ id: 'early', scale: 'actual' });
    const stream = new TestStream();
    try {
      stream.chunk(chunkContent([await glyphRect(0, 0, 1)])); // before it joined
      peer.send(streamFrame(7, stream.chunk(chunkContent([await glyphRect(6, 0, 2)]))));
      expect((await peer.next('frameAck')).sequence).toBe(7n);
      const key = await sendKeyFrame(peer, 8, bgraSolid(DISPLAY.width, DISPLAY.height, [9, 9, 9]));
      // Not the start of a stream: skipped without an error (the agent opens a new one for it).
      peer.send(streamFrame(9, stream.chunk(chunkContent([await glyphRect(12, 0, 3)]))));
      expect((await peer.next('frameAck')).sequence).toBe(9n);
      const screen = new ScreenModel(DISPLAY.width, DISPLAY.height);
      screen.apply(key);
      expect((await canvas('early')).equals(screen.rgba)).toBe(true);
      expect(await errorCodes('early')).toEqual([]);
      expect(peer.all('refreshRequest')).toEqual([]);
    } finally {
      stream.close();
    }
  });

  it('follows a stream whose first chunk came in a frame before its key frame', async () => {
    // The agent restarts its stream for a newcomer; a broadcast frame already being built then
    // carries the restart and can reach the newcomer before the key frame addressed to it.
    const peer = await h.join({ id: 'restart', scale: 'actual' });
    const stream = new TestStream();
    try {
      const first = await glyphRect(0, 0, 4);
      peer.send(streamFrame(3, stream.chunk(chunkContent([first]))));
      expect((await peer.next('frameAck')).sequence).toBe(3n);
      const key = await sendKeyFrame(peer, 4, bgraSolid(DISPLAY.width, DISPLAY.height, [9, 9, 9]));
      // The same glyph again: the chunk refers back to the one before the key frame.
      const again = await glyphRect(30, 20, 4);
      peer.send(streamFrame(5, stream.chunk(chunkContent([again]))));
      expect((await peer.next('frameAck')).sequence).toBe(5n);
      const screen = new ScreenModel(DISPLAY.width, DISPLAY.height);
      screen.apply(key);
      screen.apply(again);
      expect((await canvas('restart')).equals(screen.rgba)).toBe(true);
      expect(await errorCodes('restart')).toEqual([]);
      expect(peer.all('refreshRequest')).toEqual([]);
    } finally {
      stream.close();
    }
  });

  it('refuses hostile chunks with GC_ERR_VIEWER_DECODE, asks for a refresh and recovers', async () => {
    const peer = await h.join({ id: 'hostile', scale: 'actual' });
    const key = await sendKeyFrame(peer, 1, bgraSolid(DISPLAY.width, DISPLAY.height, [1, 2, 3]));
    const outside = await rect(DISPLAY.width - 4, 0, glyph(1), 6, 13, Codec.RAW_BGRA);
    const truncated = chunkContent([await glyphRect(0, 0, 1)]).subarray(0, 50);
    const inside = await glyphRect(0, 0, 1);
    const chunkOf = (content: Buffer, windowLog?: number): Uint8Array => {
      const stream = new TestStream(windowLog);
      try {
        return stream.chunk(content);
      } finally {
        stream.close();
      }
    };
    const cases: Uint8Array[] = [
      new Uint8Array([0x80, 1, 2, 3, 4, 5]), // garbage after a valid header
      chunkOf(chunkContent([outside])), // a rectangle outside the display
      chunkOf(truncated), // content ends inside a rectangle
      chunkOf(Buffer.alloc(5 * 1024 * 1024)), // decompresses past 4 MiB
      chunkOf(chunkContent([inside]), 27), // fine content, but a window past the protocol's 4 MiB
    ];
    let sequence = 2;
    for (const chunk of cases) {
      peer.send(streamFrame(sequence, chunk));
      expect((await peer.next('refreshRequest')).reason).toContain('decode');
      expect((await peer.next('frameAck')).sequence).toBe(BigInt(sequence));
      sequence++;
    }
    expect(await errorCodes('hostile')).toEqual(Array(cases.length).fill('GC_ERR_VIEWER_DECODE'));
    // The next stream that starts over paints again.
    const good = new TestStream();
    const g = await glyphRect(0, 0, 5);
    peer.send(streamFrame(sequence, good.chunk(chunkContent([g]))));
    await peer.next('frameAck');
    good.close();
    const screen = new ScreenModel(DISPLAY.width, DISPLAY.height);
    screen.apply(key);
    screen.apply(g);
    expect((await canvas('hostile')).equals(screen.rgba)).toBe(true);
  });
});
