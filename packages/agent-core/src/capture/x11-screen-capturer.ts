import { AgentError, AgentErrorCode } from '../agent-error.js';
import { callAsync } from '../x11/call-async.js';
import { ShmSegment } from '../x11/shm-segment.js';
import { X11Connection } from '../x11/x11-connection.js';
import { decodeCursorImage, decodeMonitors, nativeView, pollReadable, type Xlib } from '../x11/xlib.js';
import { argbLongsToRgba } from './cursor-pixels.js';
import type {
  CapturedImage,
  CursorImage,
  DisplayInfo,
  PixelRect,
  ScreenCapturer,
} from './screen-capturer.js';
import { X11EventPump } from './x11-event-pump.js';
import { captureWithGetImage } from './x11-get-image.js';

export interface X11ScreenCapturerOptions {
  /** X display name. Default `process.env.DISPLAY`. */
  display?: string;
  /**
   * Use MIT-SHM when the server offers it. Default true. False forces the plain XGetImage path
   * (about 100× slower for a full 1080p frame; meant for tests and remote displays).
   */
  useShm?: boolean;
  /**
   * Use XDamage events when the server offers them. Default true. False (or no XDamage) makes
   * the capturer report the whole screen as damaged every `pollIntervalMs`.
   */
  useDamage?: boolean;
  /** Poll period when damage events are unavailable, in ms. Default 100; bounds 10–5000. */
  pollIntervalMs?: number;
}

/**
 * Captures an X11 screen through koffi: MIT-SHM (XShmGetImage) with XGetImage as the fallback,
 * RandR monitors as displays, XFixes for the cursor and XDamage for change events, read from the
 * X connection's socket when it becomes readable (no polling unless XDamage is absent).
 */
export class X11ScreenCapturer implements ScreenCapturer {
  readonly backend: string;
  readonly damageEvents: boolean;
  readonly #conn: X11Connection;
  readonly #shm: ShmSegment | undefined;
  readonly #pump: X11EventPump;
  readonly #hasRandr: boolean;
  readonly #hasFixes: boolean;
  readonly #damageListeners = new Set<(rects: PixelRect[]) => void>();
  readonly #cursorListeners = new Set<() => void>();
  readonly #pollIntervalMs: number;
  #pollTimer: NodeJS.Timeout | undefined;
  #displays: DisplayInfo[] | undefined;
  /**
   * Connections whose round trips run on libuv's thread pool (captureAsync, cursorPositionAsync),
   * each used by one call at a time and by nothing else; opened on first use.
   */
  #async: { conn: X11Connection; shm: ShmSegment | undefined } | undefined;
  #probe: X11Connection | undefined;
  /** The thread-pool call in flight on each of those connections, if any. */
  #capturing: Promise<unknown> | undefined;
  #probing: Promise<unknown> | undefined;
  #closed = false;

  constructor(options: X11ScreenCapturerOptions = {}) {
    this.#pollIntervalMs = clamp(options.pollIntervalMs ?? 100, 10, 5000);
    const conn = new X11Connection(options.display === undefined ? {} : { display: options.display });
    this.#conn = conn;
    try {
      const lib = conn.lib;
      const ev = [0];
      const err = [0];
      this.#hasRandr = lib.XRRQueryExtension(conn.handle, ev, err) !== 0;
      this.#hasFixes = lib.XFixesQueryExtension(conn.handle, ev, err) !== 0;
      const fixesEventBase = ev[0] ?? 0;
      let shm: ShmSegment | undefined;
      if ((options.useShm ?? true) && lib.XShmQueryExtension(conn.handle) !== 0) {
        const { width, height } = conn.screenSize();
        shm = new ShmSegment(conn, width * height * 4);
      }
      this.#shm = shm;
      this.backend = shm === undefined ? 'x11-getimage' : 'x11-shm';
      this.#pump = new X11EventPump(conn, {
        useDamage: options.useDamage ?? true,
        fixesEventBase: this.#hasFixes ? fixesEventBase : undefined,
        onDamage: (rects) => this.#emitDamage(rects),
        onCursor: () => {
          for (const listener of this.#cursorListeners) listener();
        },
        watch: pollReadable,
      });
      this.damageEvents = this.#pump.damageEvents;
    } catch (cause) {
      this.#shm?.close();
      conn.close();
      throw cause;
    }
  }

  displays(): DisplayInfo[] {
    this.#assertOpen();
    if (this.#displays === undefined) this.#displays = this.#queryDisplays();
    return this.#displays.map((d) => ({ ...d }));
  }

  /** Forgets the cached monitor layout so the next `displays()` asks the server again. */
  refreshDisplays(): DisplayInfo[] {
    this.#displays = undefined;
    return this.displays();
  }

  capture(displayId: string, rect?: PixelRect): CapturedImage {
    this.#assertOpen();
    const display = this.#display(displayId);
    const r = rect ?? { x: 0, y: 0, width: display.width, height: display.height };
    this.#checkInside(display, r);
    const sx = display.x + r.x;
    const sy = display.y + r.y;
    let image: CapturedImage;
    if (this.#shm !== undefined) {
      const data = this.#shm.getImage(this.#conn.root, sx, sy, r.width, r.height);
      image = { width: r.width, height: r.height, stride: r.width * 4, data };
    } else {
      image = captureWithGetImage(this.#conn, sx, sy, r.width, r.height);
    }
    // The round trip may have queued damage events Xlib read off the socket; the fd will not
    // become readable for them, so hand them out on the next turn.
    this.#pump.scheduleDrain();
    return image;
  }

  /**
   * `capture` with the X round trip on libuv's thread pool, through a connection and a
   * shared-memory segment of its own (MIT-SHM only; without it, or while another call is in
   * flight, this captures synchronously). The image stays valid until the next `captureAsync`.
   */
  async captureAsync(displayId: string, rect: PixelRect): Promise<CapturedImage> {
    this.#assertOpen();
    if (this.#shm === undefined || this.#capturing !== undefined) return this.capture(displayId, rect);
    const display = this.#display(displayId);
    this.#checkInside(display, rect);
    this.#async ??= this.#openAsync();
    const shm = this.#async.shm;
    if (shm === undefined) return this.capture(displayId, rect);
    const call = shm.getImageAsync(
      this.#async.conn.root,
      display.x + rect.x,
      display.y + rect.y,
      rect.width,
      rect.height,
    );
    this.#capturing = call;
    try {
      const data = await call;
      this.#assertOpen();
      return { width: rect.width, height: rect.height, stride: rect.width * 4, data };
    } finally {
      this.#capturing = undefined;
    }
  }

  /**
   * `cursorPosition` through a connection of its own, the round trip on libuv's thread pool.
   * Undefined while an earlier call is still in flight.
   */
  async cursorPositionAsync(): Promise<{ x: number; y: number } | undefined> {
    this.#assertOpen();
    if (this.#probing !== undefined) return undefined;
    this.#probe ??= new X11Connection({ display: this.#conn.name });
    const query = pointerQuery(this.#probe);
    const call = callAsync(this.#probe.lib.XQueryPointer, ...query.args);
    this.#probing = call;
    try {
      const ok = await call;
      return this.#closed ? undefined : query.position(ok);
    } finally {
      this.#probing = undefined;
    }
  }

  onDamage(listener: (rects: PixelRect[]) => void): () => void {
    this.#assertOpen();
    this.#damageListeners.add(listener);
    if (!this.damageEvents && this.#pollTimer === undefined) {
      this.#pollTimer = setInterval(() => {
        const { width, height } = this.#conn.screenSize();
        this.#emitDamage([{ x: 0, y: 0, width, height }]);
      }, this.#pollIntervalMs);
      this.#pollTimer.unref();
    }
    return () => {
      this.#damageListeners.delete(listener);
      if (this.#damageListeners.size === 0 && this.#pollTimer !== undefined) {
        clearInterval(this.#pollTimer);
        this.#pollTimer = undefined;
      }
    };
  }

  /** Dispatches damage events Xlib has queued (those that arrived with a capture's reply). */
  pollDamage(): void {
    if (this.#closed || !this.damageEvents) return;
    this.#pump.drain();
  }

  onCursorChange(listener: () => void): () => void {
    this.#cursorListeners.add(listener);
    return () => this.#cursorListeners.delete(listener);
  }

  cursorImage(): CursorImage | undefined {
    this.#assertOpen();
    if (!this.#hasFixes) return undefined;
    const lib = this.#conn.lib;
    const pointer = lib.XFixesGetCursorImage(this.#conn.handle);
    if (pointer === null || pointer === 0n) return undefined;
    try {
      const c = decodeCursorImage(pointer);
      const longs = nativeView(c.pixels, c.width * c.height * 8);
      return {
        serial: String(c.cursor_serial),
        width: c.width,
        height: c.height,
        hotX: c.xhot,
        hotY: c.yhot,
        rgba: argbLongsToRgba(longs, c.width * c.height),
      };
    } finally {
      lib.XFree(pointer);
    }
  }

  cursorPosition(): { x: number; y: number } | undefined {
    this.#assertOpen();
    const query = pointerQuery(this.#conn);
    const ok = this.#conn.lib.XQueryPointer(...query.args);
    this.#pump.scheduleDrain();
    return query.position(ok);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#pollTimer !== undefined) clearInterval(this.#pollTimer);
    this.#pollTimer = undefined;
    this.#damageListeners.clear();
    this.#cursorListeners.clear();
    this.#pump.close();
    this.#shm?.close();
    this.#conn.close();
    // A call in flight on the thread pool still uses these: close them once it has finished.
    const asyncConns = this.#async;
    const probe = this.#probe;
    this.#async = undefined;
    this.#probe = undefined;
    void Promise.allSettled([this.#capturing, this.#probing]).then(() => {
      asyncConns?.shm?.close();
      asyncConns?.conn.close();
      probe?.close();
    });
  }

  #emitDamage(rects: PixelRect[]): void {
    for (const listener of this.#damageListeners) listener(rects);
  }

  #checkInside(display: DisplayInfo, r: PixelRect): void {
    if (
      r.width <= 0 ||
      r.height <= 0 ||
      r.x < 0 ||
      r.y < 0 ||
      r.x + r.width > display.width ||
      r.y + r.height > display.height
    ) {
      throw new AgentError(
        AgentErrorCode.X11Request,
        `capture rectangle ${r.width}×${r.height}+${r.x}+${r.y} is outside display ${display.id} (${display.width}×${display.height})`,
      );
    }
  }

  #openAsync(): { conn: X11Connection; shm: ShmSegment | undefined } {
    const conn = new X11Connection({ display: this.#conn.name });
    try {
      const { width, height } = conn.screenSize();
      return { conn, shm: new ShmSegment(conn, width * height * 4) };
    } catch {
      // The synchronous path still works; it is used instead (see captureAsync).
      return { conn, shm: undefined };
    }
  }

  #display(id: string): DisplayInfo {
    const displays = this.#displays ?? this.displays();
    const found = displays.find((d) => d.id === id);
    if (found === undefined) {
      throw new AgentError(
        AgentErrorCode.UnknownDisplay,
        `no display ${JSON.stringify(id)} (have ${displays.map((d) => d.id).join(', ')})`,
      );
    }
    return found;
  }

  #queryDisplays(): DisplayInfo[] {
    const conn = this.#conn;
    const { width, height } = conn.screenSize();
    const whole: DisplayInfo = { id: 'screen', name: 'Screen', x: 0, y: 0, width, height, primary: true };
    if (!this.#hasRandr) return [whole];
    const count = [0];
    const monitors = conn.lib.XRRGetMonitors(conn.handle, conn.root, 1, count);
    if (monitors === null || monitors === 0n) return [whole];
    try {
      const n = count[0] ?? 0;
      if (n === 0) return [whole];
      const seen = new Set<string>();
      const list = decodeMonitors(monitors, n).map((m, index): DisplayInfo => {
        const atomName = m.name === 0 ? null : conn.lib.XGetAtomName(conn.handle, m.name);
        let id = atomName ?? `monitor-${index}`;
        if (seen.has(id)) id = `${id}-${index}`;
        seen.add(id);
        // Clip to the screen: a monitor may extend past the framebuffer after a resize.
        const x = clamp(m.x, 0, width - 1);
        const y = clamp(m.y, 0, height - 1);
        return {
          id,
          name: atomName ?? `Monitor ${index + 1}`,
          x,
          y,
          width: Math.min(m.width, width - x),
          height: Math.min(m.height, height - y),
          primary: m.primary !== 0,
        };
      });
      if (!list.some((d) => d.primary) && list[0] !== undefined) list[0].primary = true;
      return list;
    } finally {
      conn.lib.XRRFreeMonitors(monitors);
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new AgentError(AgentErrorCode.Closed, 'the screen capturer is closed');
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** XQueryPointer's arguments on `conn`'s root window, and the position it wrote (undefined when it failed). */
function pointerQuery(conn: X11Connection) {
  const rx = [0];
  const ry = [0];
  return {
    args: [conn.handle, conn.root, [0], [0], rx, ry, [0], [0], [0]] as Parameters<Xlib['XQueryPointer']>,
    position: (ok: number) => (ok === 0 ? undefined : { x: rx[0] ?? 0, y: ry[0] ?? 0 }),
  };
}
