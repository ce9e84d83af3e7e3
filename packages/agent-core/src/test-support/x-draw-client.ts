import type { LibraryHandle } from 'koffi';
import koffi from 'koffi';

/**
 * A tiny X client for tests: opens its own connection, creates override-redirect windows and
 * draws solid rectangles and images into them, like any application would.
 */
export class XDrawClient {
  readonly #d: bigint;
  readonly #f: ReturnType<typeof bind>;
  readonly #root: number;
  readonly #screen: number;
  readonly #gc: bigint;
  #closed = false;

  constructor(display: string) {
    this.#f = bind();
    const d = this.#f.XOpenDisplay(display) as bigint | null;
    if (d === null || d === 0n) throw new Error(`cannot open ${display}`);
    this.#d = d;
    this.#screen = this.#f.XDefaultScreen(d) as number;
    this.#root = this.#f.XDefaultRootWindow(d) as number;
    this.#gc = this.#f.XCreateGC(d, this.#root, 0, null) as bigint;
  }

  /** Creates and maps an override-redirect window (no window manager needed) filled with `rgb`. */
  createWindow(x: number, y: number, width: number, height: number, rgb: number): number {
    const f = this.#f;
    const attrs = Buffer.alloc(112);
    // XSetWindowAttributes.override_redirect (Bool) sits at byte 88 on LP64; background_pixel at 8.
    attrs.writeBigUInt64LE(BigInt(rgb), 8);
    attrs.writeInt32LE(1, 88);
    const CWBackPixel = 1 << 1;
    const CWOverrideRedirect = 1 << 9;
    const win = f.XCreateWindow(
      this.#d,
      this.#root,
      x,
      y,
      width,
      height,
      0,
      0,
      1,
      null,
      CWBackPixel | CWOverrideRedirect,
      attrs,
    ) as number;
    f.XMapRaised(this.#d, win);
    this.fill(win, rgb, 0, 0, width, height);
    return win;
  }

  fill(win: number, rgb: number, x: number, y: number, width: number, height: number): void {
    this.#f.XSetForeground(this.#d, this.#gc, rgb);
    this.#f.XFillRectangle(this.#d, win, this.#gc, x, y, width, height);
    this.#f.XSync(this.#d, 0);
  }

  /** Draws BGRX pixels (4 bytes per pixel, no padding) at (x, y) of `win` with XPutImage. */
  putImage(win: number, x: number, y: number, width: number, height: number, bgrx: Uint8Array): void {
    const f = this.#f;
    const data = koffi.alloc('uint8_t', bgrx.length) as bigint;
    new Uint8Array(koffi.view(data, bgrx.length)).set(bgrx);
    const visual = f.XDefaultVisual(this.#d, this.#screen);
    const image = f.XCreateImage(this.#d, visual, 24, 2, 0, data, width, height, 32, width * 4) as bigint;
    f.XPutImage(this.#d, win, this.#gc, image, 0, 0, x, y, width, height);
    f.XSync(this.#d, 0);
    f.XFree(image);
    koffi.free(data);
  }

  destroyWindow(win: number): void {
    this.#f.XDestroyWindow(this.#d, win);
    this.#f.XSync(this.#d, 0);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#f.XFreeGC(this.#d, this.#gc);
    this.#f.XCloseDisplay(this.#d);
  }
}

let bound: ReturnType<typeof createBindings> | undefined;

function bind(): ReturnType<typeof createBindings> {
  bound ??= createBindings();
  return bound;
}

function createBindings() {
  const x11: LibraryHandle = koffi.load('libX11.so.6');
  return {
    XOpenDisplay: x11.func('void *XOpenDisplay(const char *name)'),
    XCloseDisplay: x11.func('int XCloseDisplay(void *d)'),
    XDefaultScreen: x11.func('int XDefaultScreen(void *d)'),
    XDefaultRootWindow: x11.func('unsigned long XDefaultRootWindow(void *d)'),
    XDefaultVisual: x11.func('void *XDefaultVisual(void *d, int screen)'),
    XCreateGC: x11.func('void *XCreateGC(void *d, unsigned long drawable, unsigned long mask, void *values)'),
    XFreeGC: x11.func('int XFreeGC(void *d, void *gc)'),
    XCreateWindow: x11.func(
      'unsigned long XCreateWindow(void *d, unsigned long parent, int x, int y, unsigned int w, unsigned int h, unsigned int border, int depth, unsigned int cls, void *visual, unsigned long mask, void *attrs)',
    ),
    XMapRaised: x11.func('int XMapRaised(void *d, unsigned long w)'),
    XDestroyWindow: x11.func('int XDestroyWindow(void *d, unsigned long w)'),
    XSetForeground: x11.func('int XSetForeground(void *d, void *gc, unsigned long pixel)'),
    XFillRectangle: x11.func(
      'int XFillRectangle(void *d, unsigned long w, void *gc, int x, int y, unsigned int width, unsigned int height)',
    ),
    XCreateImage: x11.func(
      'void *XCreateImage(void *d, void *visual, unsigned int depth, int format, int offset, void *data, unsigned int w, unsigned int h, int pad, int bpl)',
    ),
    XPutImage: x11.func(
      'int XPutImage(void *d, unsigned long w, void *gc, void *image, int sx, int sy, int dx, int dy, unsigned int width, unsigned int height)',
    ),
    XFree: x11.func('int XFree(void *p)'),
    XSync: x11.func('int XSync(void *d, int discard)'),
  };
}
