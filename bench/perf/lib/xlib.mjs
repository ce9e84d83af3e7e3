// The few Xlib/XTest calls the harness needs, through koffi.
import koffi from 'koffi';

let f;
export function xlib() {
  if (f !== undefined) return f;
  const x11 = koffi.load('libX11.so.6');
  const xtst = koffi.load('libXtst.so.6');
  f = {
    open: x11.func('void *XOpenDisplay(const char *)'),
    close: x11.func('int XCloseDisplay(void *)'),
    root: x11.func('unsigned long XDefaultRootWindow(void *)'),
    visual: x11.func('void *XDefaultVisual(void *, int)'),
    gc: x11.func('void *XCreateGC(void *, unsigned long, unsigned long, void *)'),
    createImage: x11.func(
      'void *XCreateImage(void *, void *, unsigned int, int, int, void *, unsigned int, unsigned int, int, int)',
    ),
    put: x11.func(
      'int XPutImage(void *, unsigned long, void *, void *, int, int, int, int, unsigned int, unsigned int)',
    ),
    clear: x11.func('int XClearWindow(void *, unsigned long)'),
    sync: x11.func('int XSync(void *, int)'),
    flush: x11.func('int XFlush(void *)'),
    keysymToKeycode: x11.func('uint8_t XKeysymToKeycode(void *, unsigned long)'),
    fakeKey: xtst.func('int XTestFakeKeyEvent(void *, unsigned int, int, unsigned long)'),
    fakeMotion: xtst.func('int XTestFakeMotionEvent(void *, int, int, int, unsigned long)'),
    selectInput: x11.func('int XSelectInput(void *, unsigned long, long)'),
    connectionNumber: x11.func('int XConnectionNumber(void *)'),
    pending: x11.func('int XPending(void *)'),
    nextEvent: x11.func('int XNextEvent(void *, _Out_ uint8_t *)'),
  };
  return f;
}

/** XTest keyboard/pointer injector: the same one drives every system. */
export class Injector {
  #d;
  constructor(display) {
    this.#d = xlib().open(display);
    if (!this.#d) throw new Error(`cannot open ${display}`);
  }
  key(keysym, down) {
    const f = xlib();
    f.fakeKey(this.#d, f.keysymToKeycode(this.#d, keysym), down ? 1 : 0, 0);
    f.flush(this.#d);
  }
  move(x, y) {
    const f = xlib();
    f.fakeMotion(this.#d, 0, x, y, 0);
    f.flush(this.#d);
  }
  close() {
    if (this.#d) xlib().close(this.#d);
    this.#d = undefined;
  }
}
