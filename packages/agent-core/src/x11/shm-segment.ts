import { AgentError, AgentErrorCode } from '../agent-error.js';
import { callAsync } from './call-async.js';
import type { X11Connection } from './x11-connection.js';
import { allocShmSegmentInfo, decodeXImage, freeNative, nativeView, type Ptr } from './xlib.js';

const IPC_PRIVATE = 0;
const IPC_CREAT = 0o1000;
const IPC_RMID = 0;
const ZPIXMAP = 2;
const ALL_PLANES = 0xffffffffn;

/**
 * One System V shared-memory segment attached to the X server (MIT-SHM). The segment is
 * marked for removal as soon as both sides are attached, so the kernel frees it even if this
 * process dies; `close()` detaches both sides.
 */
export class ShmSegment {
  readonly id: number;
  readonly size: number;
  readonly #conn: X11Connection;
  readonly #addr: Ptr;
  readonly #info: Ptr;
  readonly #view: Uint8Array;
  #attached = false;
  #closed = false;

  constructor(conn: X11Connection, size: number) {
    const lib = conn.lib;
    this.#conn = conn;
    this.size = size;
    this.id = lib.shmget(IPC_PRIVATE, size, IPC_CREAT | 0o600);
    if (this.id < 0) throw new AgentError(AgentErrorCode.X11Unavailable, `shmget(${size}) failed`);
    const addr = lib.shmat(this.id, null, 0);
    if (addr === 0n || addr === 0xffffffffffffffffn) {
      lib.shmctl(this.id, IPC_RMID, null);
      throw new AgentError(AgentErrorCode.X11Unavailable, 'shmat failed');
    }
    this.#addr = addr;
    this.#info = allocShmSegmentInfo(this.id, addr);
    try {
      lib.XShmAttach(conn.handle, this.#info);
      conn.check('XShmAttach');
      this.#attached = true;
    } catch (cause) {
      this.close();
      throw cause;
    } finally {
      if (!this.#closed) lib.shmctl(this.id, IPC_RMID, null);
    }
    this.#view = nativeView(addr, size);
  }

  /**
   * Copies `width × height` pixels at (`x`, `y`) of `drawable` into the segment and returns a
   * view of them (stride `width * 4`). The view is overwritten by the next call.
   */
  getImage(drawable: number, x: number, y: number, width: number, height: number): Uint8Array {
    const image = this.#createImage(width, height);
    try {
      const ok = this.#conn.lib.XShmGetImage(this.#conn.handle, drawable, image, x, y, ALL_PLANES);
      this.#assertGot(ok);
    } finally {
      // XShmCreateImage's destroy hook frees only the XImage struct, never the segment.
      this.#conn.lib.XDestroyImage(image);
    }
    return this.#view.subarray(0, width * height * 4);
  }

  /**
   * {@link getImage} with the round trip on libuv's thread pool, so the event loop does not wait
   * for a busy X server. The connection must be this segment's alone while the promise is
   * pending (one call at a time; nothing else on the connection).
   */
  async getImageAsync(
    drawable: number,
    x: number,
    y: number,
    width: number,
    height: number,
  ): Promise<Uint8Array> {
    const image = this.#createImage(width, height);
    try {
      const ok = await callAsync(
        this.#conn.lib.XShmGetImage,
        this.#conn.handle,
        drawable,
        image,
        x,
        y,
        ALL_PLANES,
      );
      this.#assertGot(ok);
    } finally {
      this.#conn.lib.XDestroyImage(image);
    }
    return this.#view.subarray(0, width * height * 4);
  }

  #createImage(width: number, height: number): Ptr {
    if (this.#closed) throw new AgentError(AgentErrorCode.Closed, 'the shared-memory segment is closed');
    const bytes = width * height * 4;
    if (bytes > this.size) {
      throw new AgentError(AgentErrorCode.X11Request, `capture of ${width}×${height} exceeds the segment`);
    }
    const conn = this.#conn;
    const lib = conn.lib;
    const image = lib.XShmCreateImage(
      conn.handle,
      lib.XDefaultVisual(conn.handle, conn.screen),
      lib.XDefaultDepth(conn.handle, conn.screen),
      ZPIXMAP,
      this.#addr,
      this.#info,
      width,
      height,
    );
    if (image === null || image === 0n)
      throw new AgentError(AgentErrorCode.X11Request, 'XShmCreateImage failed');
    try {
      assertBgrx(decodeXImage(image));
    } catch (error) {
      lib.XDestroyImage(image);
      throw error;
    }
    return image;
  }

  #assertGot(ok: number): void {
    if (ok !== 0) return;
    const text = this.#conn.takeError() ?? 'request failed';
    throw new AgentError(AgentErrorCode.X11Request, `XShmGetImage failed: ${text}`);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const lib = this.#conn.lib;
    if (this.#attached && !this.#conn.closed) {
      lib.XShmDetach(this.#conn.handle, this.#info);
      lib.XSync(this.#conn.handle, 0);
    }
    lib.shmdt(this.#addr);
    lib.shmctl(this.id, IPC_RMID, null);
    freeNative(this.#info);
  }
}

/** agent-core streams 32-bit little-endian BGRX; other visuals are refused, not mis-decoded. */
export function assertBgrx(info: {
  bits_per_pixel: number;
  byte_order: number;
  red_mask: number;
  blue_mask: number;
}): void {
  if (
    info.bits_per_pixel !== 32 ||
    info.byte_order !== 0 ||
    info.red_mask !== 0xff0000 ||
    info.blue_mask !== 0xff
  ) {
    throw new AgentError(
      AgentErrorCode.X11Unavailable,
      `unsupported X visual: ${info.bits_per_pixel} bpp, byte order ${info.byte_order}, red mask 0x${info.red_mask.toString(16)} (need 24/32-bit TrueColor)`,
    );
  }
}
