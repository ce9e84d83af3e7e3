import type { Rect, VideoFrame } from './gen/guruconnect/session/v1/session_pb.js';

// Field numbers of the messages written here (session.proto). A test compares the output with
// protobuf-es's `toBinary` byte for byte, and another checks that the messages have no fields
// beyond those written here, so a field added to the proto fails the tests until it is written.
const ENVELOPE_VIEWER_ID = 1;
const ENVELOPE_VIDEO_FRAME = 19;
const WIRE_VARINT = 0;
const WIRE_LEN = 2;

const utf8 = new TextEncoder();

/**
 * Encodes `Envelope{viewer_id, video_frame}` exactly as `toBinary` does, but into one buffer of
 * the exact size (from `allocate`, which must return exactly that many bytes): the generic writer grows its buffer by doubling and copies the result out,
 * about three times a frame's size in garbage (a full-screen JPEG frame is ~1 MB, 30 times a
 * second), which shows up as garbage-collection pauses in front of input.
 */
export function encodeVideoFrameEnvelope(
  viewerId: string,
  frame: VideoFrame,
  allocate: (size: number) => Uint8Array = (size) => new Uint8Array(size),
): Uint8Array | undefined {
  // Unknown fields (from a newer peer) are kept only by `toBinary`: the caller uses it instead.
  if (frame.$unknown?.length || frame.rects.some((r) => r.$unknown?.length)) return undefined;
  const id = utf8.encode(viewerId);
  const displayId = utf8.encode(frame.displayId);
  const rectSizes = frame.rects.map(rectSize);
  let frameSize =
    uint64Field(1, frame.sequence) +
    bytesField(2, displayId.byteLength) +
    uintField(3, frame.displayWidth) +
    uintField(4, frame.displayHeight) +
    (frame.keyFrame ? 2 : 0) +
    uint64Field(7, frame.captureTimeUs) +
    bytesField(8, frame.streamChunk.byteLength);
  for (const size of rectSizes) frameSize += 1 + varintSize(size) + size;
  const total =
    bytesField(ENVELOPE_VIEWER_ID, id.byteLength) +
    tagSize(ENVELOPE_VIDEO_FRAME) +
    varintSize(frameSize) +
    frameSize;

  const out = allocate(total);
  if (out.byteLength !== total)
    throw new Error(`video frame writer: allocate(${total}) gave ${out.byteLength} bytes`);
  const w = new Writer(out);
  if (id.byteLength > 0) w.bytes(ENVELOPE_VIEWER_ID, id);
  w.tag(ENVELOPE_VIDEO_FRAME, WIRE_LEN);
  w.varint(frameSize);
  w.uint64(1, frame.sequence);
  if (displayId.byteLength > 0) w.bytes(2, displayId);
  w.uint(3, frame.displayWidth);
  w.uint(4, frame.displayHeight);
  frame.rects.forEach((rect, i) => {
    w.tag(5, WIRE_LEN);
    w.varint(rectSizes[i] as number);
    w.uint(1, rect.x);
    w.uint(2, rect.y);
    w.uint(3, rect.width);
    w.uint(4, rect.height);
    w.uint(5, rect.codec);
    if (rect.payload.byteLength > 0) w.bytes(6, rect.payload);
    w.uint(7, rect.srcX);
    w.uint(8, rect.srcY);
  });
  if (frame.keyFrame) w.uint(6, 1);
  w.uint64(7, frame.captureTimeUs);
  if (frame.streamChunk.byteLength > 0) w.bytes(8, frame.streamChunk);
  if (w.pos !== total) throw new Error(`video frame writer: wrote ${w.pos} of ${total} bytes`);
  return w.out;
}

function rectSize(r: Rect): number {
  return (
    uintField(1, r.x) +
    uintField(2, r.y) +
    uintField(3, r.width) +
    uintField(4, r.height) +
    uintField(5, r.codec) +
    bytesField(6, r.payload.byteLength) +
    uintField(7, r.srcX) +
    uintField(8, r.srcY)
  );
}

/** A proto3 uint32/enum field: absent when 0. Refuses what is not a uint32, as `toBinary` does. */
function uintField(field: number, value: number): number {
  if (value >>> 0 !== value) throw new Error(`video frame writer: invalid uint32 ${value} in field ${field}`);
  return value === 0 ? 0 : tagSize(field) + varintSize(value);
}

function uint64Field(field: number, value: bigint): number {
  return value === 0n ? 0 : tagSize(field) + varintSize(value);
}

/** A proto3 bytes/string field: absent when empty. */
function bytesField(field: number, length: number): number {
  return length === 0 ? 0 : tagSize(field) + varintSize(length) + length;
}

function tagSize(field: number): number {
  return varintSize(field << 3);
}

function varintSize(value: number | bigint): number {
  let n = 1;
  if (typeof value === 'number') {
    for (let v = value; v > 0x7f; v = Math.floor(v / 128)) n++;
    return n;
  }
  for (let v = value; v > 0x7fn; v >>= 7n) n++;
  return n;
}

class Writer {
  pos = 0;
  constructor(readonly out: Uint8Array) {}

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  /** Numbers (uint32 fields, lengths) without BigInt; bigint only for the uint64 fields. */
  varint(value: number | bigint): void {
    if (typeof value === 'number') {
      let v = value;
      for (; v > 0x7f; v = Math.floor(v / 128)) this.out[this.pos++] = (v % 128) | 0x80;
      this.out[this.pos++] = v;
      return;
    }
    let v = value;
    for (; v > 0x7fn; v >>= 7n) this.out[this.pos++] = Number(v & 0x7fn) | 0x80;
    this.out[this.pos++] = Number(v);
  }

  uint(field: number, value: number): void {
    if (value === 0) return;
    this.tag(field, WIRE_VARINT);
    this.varint(value);
  }

  uint64(field: number, value: bigint): void {
    if (value === 0n) return;
    this.tag(field, WIRE_VARINT);
    this.varint(value);
  }

  bytes(field: number, value: Uint8Array): void {
    this.tag(field, WIRE_LEN);
    this.varint(value.byteLength);
    this.out.set(value, this.pos);
    this.pos += value.byteLength;
  }
}
