import { Capability, Codec, type Rect } from '@guruconnect/protocol';
import type { RelayPeer } from './relay-peer.js';
import type { XDrawClient } from './x-draw-client.js';

/**
 * Joins `viewerId` (announcing JPEG) and repaints a `width × height` window with noise until the
 * agent sends a JPEG rectangle, acknowledging every frame; returns the first JPEG rectangle, or
 * undefined after 40 paints.
 */
export async function paintUntilJpeg(
  peer: RelayPeer,
  client: XDrawClient,
  win: number,
  size: { width: number; height: number },
  viewerId = 'v1',
): Promise<Rect | undefined> {
  peer.send({
    payload: {
      case: 'viewerPresence',
      value: { viewerId, joined: true, capabilities: [Capability.CodecJpeg, Capability.CodecZstd] },
    },
  });
  const jpeg = (): Rect | undefined =>
    peer
      .messages('videoFrame')
      .flatMap((f) => f.rects)
      .find((r) => r.codec === Codec.JPEG);
  let seed = 11;
  for (let i = 0; i < 40 && jpeg() === undefined; i++) {
    const px = new Uint8Array(size.width * size.height * 4);
    for (let p = 0; p < px.length; p++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      px[p] = seed >>> 24;
    }
    client.putImage(win, 0, 0, size.width, size.height, px);
    await new Promise((r) => setTimeout(r, 50));
    for (const f of peer.messages('videoFrame')) {
      peer.send({ payload: { case: 'frameAck', value: { sequence: f.sequence } } }, viewerId);
    }
  }
  return jpeg();
}

/**
 * The DC entry of a baseline JPEG's first quantization table (luminance, 8-bit precision).
 * libjpeg scales the standard table's 16 by 5000 / q below quality 50 and by 200 − 2q above:
 * q30 → 27, q93 → 2.
 */
export function lumaDcQuantizer(jpeg: Uint8Array): number {
  for (let i = 2; i + 5 < jpeg.length; ) {
    if (jpeg[i] !== 0xff) break;
    const marker = jpeg[i + 1]!;
    const length = (jpeg[i + 2]! << 8) | jpeg[i + 3]!;
    if (marker === 0xdb && (jpeg[i + 4]! & 0x0f) === 0) return jpeg[i + 5]!;
    i += 2 + length;
  }
  throw new Error('no luminance quantization table');
}
