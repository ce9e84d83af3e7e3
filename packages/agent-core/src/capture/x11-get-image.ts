import { AgentError, AgentErrorCode } from '../agent-error.js';
import { assertBgrx } from '../x11/shm-segment.js';
import type { X11Connection } from '../x11/x11-connection.js';
import { decodeXImage, nativeView } from '../x11/xlib.js';
import type { CapturedImage } from './screen-capturer.js';

const ZPIXMAP = 2;
const ALL_PLANES = 0xffffffffn;

/**
 * The fallback capture path: one XGetImage round trip, the pixels copied into a buffer this
 * process owns. Used when MIT-SHM is absent (a remote display) or disabled.
 */
export function captureWithGetImage(
  conn: X11Connection,
  x: number,
  y: number,
  width: number,
  height: number,
): CapturedImage {
  const lib = conn.lib;
  const image = lib.XGetImage(conn.handle, conn.root, x, y, width, height, ALL_PLANES, ZPIXMAP);
  if (image === null || image === 0n) {
    const text = conn.takeError() ?? 'no image returned';
    throw new AgentError(AgentErrorCode.X11Request, `XGetImage failed: ${text}`);
  }
  try {
    const info = decodeXImage(image);
    assertBgrx(info);
    const stride = info.bytes_per_line;
    const data = Buffer.from(nativeView(info.data, stride * height));
    return { width, height, stride, data };
  } finally {
    lib.XDestroyImage(image);
  }
}
