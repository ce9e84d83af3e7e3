/** Bytes reserved at the end of every viewer frame for the relay's viewer_id stamp. */
export const STAMP_RESERVE_BYTES = 64;

/**
 * The protobuf encoding of `Envelope.viewer_id = id` (field 1, wire type 2). Appending it to an
 * encoded Envelope yields a valid Envelope whose viewer_id is `id` whatever the original held:
 * for a singular field the last occurrence wins. So stamping a viewer's frame costs one copy,
 * not a decode and re-encode. `id` must be ASCII and at most 62 bytes.
 */
export function encodeViewerStamp(id: string): Uint8Array {
  const bytes = Buffer.from(id, 'ascii');
  if (bytes.length > STAMP_RESERVE_BYTES - 2 || bytes.length > 127) {
    throw new RangeError('viewer id too long to stamp');
  }
  const out = Buffer.allocUnsafe(bytes.length + 2);
  out[0] = 0x0a;
  out[1] = bytes.length;
  bytes.copy(out, 2);
  return out;
}

/** `frame` with `stamp` appended: one allocation, one copy. */
export function stampFrame(frame: Uint8Array, stamp: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(frame.byteLength + stamp.byteLength);
  out.set(frame, 0);
  out.set(stamp, frame.byteLength);
  return out;
}
