import { create, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeEnvelope, encodeEnvelope } from './envelope-codec.js';
import {
  Codec,
  EnvelopeSchema,
  RectSchema,
  VideoFrameSchema,
} from './gen/guruconnect/session/v1/session_pb.js';
import { encodeVideoFrameEnvelope } from './video-frame-writer.js';

const u32 = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 0, max: 0xffffffff }),
  fc.integer({ min: 0, max: 300 }),
);
const u64 = fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }));
const bytes = fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ maxLength: 300 }));
const rect = fc.record({
  x: u32,
  y: u32,
  width: u32,
  height: u32,
  codec: fc.constantFrom(Codec.UNSPECIFIED, Codec.ZSTD_BGRA, Codec.JPEG, Codec.COPY, Codec.RAW_BGRA),
  payload: bytes,
  srcX: u32,
  srcY: u32,
});
const frame = fc.record({
  sequence: u64,
  displayId: fc.oneof(fc.constant(''), fc.string({ unit: 'grapheme', maxLength: 20 })),
  displayWidth: u32,
  displayHeight: u32,
  rects: fc.array(rect, { maxLength: 6 }),
  keyFrame: fc.boolean(),
  captureTimeUs: u64,
  streamChunk: bytes,
});

describe('encodeVideoFrameEnvelope', () => {
  it('writes exactly the bytes toBinary writes, for any frame', () => {
    fc.assert(
      fc.property(frame, fc.oneof(fc.constant(''), fc.string({ maxLength: 40 })), (init, viewerId) => {
        const value = create(VideoFrameSchema, init);
        const expected = toBinary(
          EnvelopeSchema,
          create(EnvelopeSchema, { viewerId, payload: { case: 'videoFrame', value } }),
        );
        const actual = encodeVideoFrameEnvelope(viewerId, value);
        expect(actual).toBeDefined();
        expect(Buffer.from(actual!).equals(Buffer.from(expected))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('is what encodeEnvelope uses for video frames, into the buffer the caller provides, and decodes back', () => {
    const payload = new Uint8Array(300_000).map((_, i) => i & 0xff);
    const value = create(VideoFrameSchema, {
      sequence: 1234n,
      rects: [{ x: 1, y: 2, width: 3, height: 4, codec: Codec.JPEG, payload }],
      streamChunk: new Uint8Array([0x80, 1, 2]),
    });
    const asked: number[] = [];
    const pool = new Uint8Array(400_000);
    const encoded = encodeEnvelope(
      { viewerId: 'v-1', payload: { case: 'videoFrame', value } },
      {},
      (size) => {
        asked.push(size);
        return pool.subarray(0, size);
      },
    );
    // Written once, into the caller's buffer, at its exact size (toBinary would allocate its own).
    expect(asked).toEqual([encoded.byteLength]);
    expect(encoded.buffer).toBe(pool.buffer);
    const back = decodeEnvelope(encoded);
    expect(back.viewerId).toBe('v-1');
    expect(back.payload.case).toBe('videoFrame');
    if (back.payload.case !== 'videoFrame') return;
    expect(back.payload.value.sequence).toBe(1234n);
    expect(Buffer.from(back.payload.value.rects[0]!.payload).equals(Buffer.from(payload))).toBe(true);
    expect([...back.payload.value.streamChunk]).toEqual([0x80, 1, 2]);
  });

  it('covers every field of the messages it writes (a field added to the proto fails here)', () => {
    expect(VideoFrameSchema.fields.map((f) => f.number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(RectSchema.fields.map((f) => f.number)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    // Envelope: viewer_id and the payload oneof, of which this writes video_frame only.
    expect(EnvelopeSchema.fields.filter((f) => f.oneof === undefined).map((f) => f.number)).toEqual([1]);
  });

  it('refuses what is not a uint32, as toBinary does, and leaves frames with unknown fields to toBinary', () => {
    for (const x of [-1, 1.5, 2 ** 32]) {
      const value = create(VideoFrameSchema, { rects: [{ x, width: 1, height: 1 }] });
      expect(() => encodeVideoFrameEnvelope('', value)).toThrow(/invalid uint32/);
      expect(() =>
        toBinary(EnvelopeSchema, create(EnvelopeSchema, { payload: { case: 'videoFrame', value } })),
      ).toThrow();
    }
    const unknown = create(VideoFrameSchema, { sequence: 1n });
    unknown.$unknown = [{ no: 99, wireType: 0, data: new Uint8Array([5]) }];
    expect(encodeVideoFrameEnvelope('', unknown)).toBeUndefined();
    const encoded = encodeEnvelope({ payload: { case: 'videoFrame', value: unknown } });
    expect(encoded).toEqual(
      toBinary(EnvelopeSchema, create(EnvelopeSchema, { payload: { case: 'videoFrame', value: unknown } })),
    );
  });
});
