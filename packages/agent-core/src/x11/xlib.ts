import koffi from 'koffi';
import { AgentError, AgentErrorCode } from '../agent-error.js';
import type { AsyncFn } from './call-async.js';

/**
 * Typed koffi bindings to the X11 client libraries and the libc System V shared-memory calls
 * the capture path needs. Loaded once per process, on first use, so importing agent-core on a
 * machine without libX11 costs nothing until a display is opened.
 *
 * Pointers are koffi 3 BigInts; XIDs (Window, Atom, KeySym…) are numbers.
 */

export type Ptr = bigint;

/** XErrorEvent fields we report. */
export interface XErrorInfo {
  errorCode: number;
  requestCode: number;
  minorCode: number;
  resourceId: number;
  text: string;
}

const XImageType = koffi.struct('GcXImage', {
  width: 'int',
  height: 'int',
  xoffset: 'int',
  format: 'int',
  data: 'void *',
  byte_order: 'int',
  bitmap_unit: 'int',
  bitmap_bit_order: 'int',
  bitmap_pad: 'int',
  depth: 'int',
  bytes_per_line: 'int',
  bits_per_pixel: 'int',
  red_mask: 'unsigned long',
  green_mask: 'unsigned long',
  blue_mask: 'unsigned long',
  obdata: 'void *',
  f: koffi.array('void *', 6),
});

export interface XImageInfo {
  width: number;
  height: number;
  data: Ptr;
  depth: number;
  bytes_per_line: number;
  bits_per_pixel: number;
  byte_order: number;
  red_mask: number;
  green_mask: number;
  blue_mask: number;
}

export const XShmSegmentInfoType = koffi.struct('GcXShmSegmentInfo', {
  shmseg: 'unsigned long',
  shmid: 'int',
  shmaddr: 'void *',
  readOnly: 'int',
});

export const XRRMonitorInfoType = koffi.struct('GcXRRMonitorInfo', {
  name: 'unsigned long',
  primary: 'int',
  automatic: 'int',
  noutput: 'int',
  x: 'int',
  y: 'int',
  width: 'int',
  height: 'int',
  mwidth: 'int',
  mheight: 'int',
  outputs: 'void *',
});

export interface XRRMonitorInfo {
  name: number;
  primary: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

export const XFixesCursorImageType = koffi.struct('GcXFixesCursorImage', {
  x: 'short',
  y: 'short',
  width: 'unsigned short',
  height: 'unsigned short',
  xhot: 'unsigned short',
  yhot: 'unsigned short',
  cursor_serial: 'unsigned long',
  pixels: 'void *',
  atom: 'unsigned long',
  name: 'void *',
});

export interface XFixesCursorImage {
  x: number;
  y: number;
  width: number;
  height: number;
  xhot: number;
  yhot: number;
  cursor_serial: number | bigint;
  pixels: Ptr;
}

const XErrorEventType = koffi.struct('GcXErrorEvent', {
  type: 'int',
  display: 'void *',
  resourceid: 'unsigned long',
  serial: 'unsigned long',
  error_code: 'uchar',
  request_code: 'uchar',
  minor_code: 'uchar',
});

/** Size of the XEvent union on LP64 (24 longs). */
export const XEVENT_SIZE = 192;

type Fn<A extends unknown[], R> = (...args: A) => R;
export interface Xlib {
  XOpenDisplay: Fn<[string | null], Ptr | null>;
  XCloseDisplay: Fn<[Ptr], number>;
  XConnectionNumber: Fn<[Ptr], number>;
  XDefaultRootWindow: Fn<[Ptr], number>;
  XDefaultScreen: Fn<[Ptr], number>;
  XDisplayWidth: Fn<[Ptr, number], number>;
  XDisplayHeight: Fn<[Ptr, number], number>;
  XDefaultVisual: Fn<[Ptr, number], Ptr>;
  XDefaultDepth: Fn<[Ptr, number], number>;
  XSync: Fn<[Ptr, number], number>;
  XFlush: Fn<[Ptr], number>;
  XPending: Fn<[Ptr], number>;
  XEventsQueued: Fn<[Ptr, number], number>;
  XNextEvent: Fn<[Ptr, Uint8Array], number>;
  XGetImage: Fn<[Ptr, number, number, number, number, number, bigint, number], Ptr | null>;
  XDestroyImage: Fn<[Ptr], number>;
  XFree: Fn<[Ptr], number>;
  XGetAtomName: Fn<[Ptr, number], string | null>;
  XQueryPointer: AsyncFn<
    [Ptr, number, number[], number[], number[], number[], number[], number[], number[]],
    number
  >;
  XKeysymToKeycode: Fn<[Ptr, number], number>;
  XDisplayKeycodes: Fn<[Ptr, number[], number[]], number>;
  XGetKeyboardMapping: Fn<[Ptr, number, number, number[]], Ptr | null>;
  XChangeKeyboardMapping: Fn<[Ptr, number, number, BigUint64Array, number], number>;
  XGetModifierMapping: Fn<[Ptr], Ptr | null>;
  XFreeModifiermap: Fn<[Ptr], number>;
  XStringToKeysym: Fn<[string], number>;
  XGetErrorText: Fn<[Ptr, number, Buffer, number], number>;
  XSetErrorHandler: Fn<[Ptr | null], Ptr | null>;
  // MIT-SHM (libXext)
  XShmQueryExtension: Fn<[Ptr], number>;
  XShmCreateImage: Fn<[Ptr, Ptr, number, number, Ptr, Ptr, number, number], Ptr | null>;
  XShmAttach: Fn<[Ptr, Ptr], number>;
  XShmDetach: Fn<[Ptr, Ptr], number>;
  XShmGetImage: AsyncFn<[Ptr, number, Ptr, number, number, bigint], number>;
  // XTest
  XTestQueryExtension: Fn<[Ptr, number[], number[], number[], number[]], number>;
  XTestFakeMotionEvent: Fn<[Ptr, number, number, number, number], number>;
  XTestFakeButtonEvent: Fn<[Ptr, number, number, number], number>;
  XTestFakeKeyEvent: Fn<[Ptr, number, number, number], number>;
  // RandR
  XRRQueryExtension: Fn<[Ptr, number[], number[]], number>;
  XRRGetMonitors: Fn<[Ptr, number, number, number[]], Ptr | null>;
  XRRFreeMonitors: Fn<[Ptr], void>;
  // XFixes
  XFixesQueryExtension: Fn<[Ptr, number[], number[]], number>;
  XFixesGetCursorImage: Fn<[Ptr], Ptr | null>;
  XFixesSelectCursorInput: Fn<[Ptr, number, number], void>;
  // Damage
  XDamageQueryExtension: Fn<[Ptr, number[], number[]], number>;
  XDamageCreate: Fn<[Ptr, number, number], number>;
  XDamageDestroy: Fn<[Ptr, number], void>;
  // libc System V shared memory
  shmget: Fn<[number, number, number], number>;
  shmat: Fn<[number, Ptr | null, number], Ptr>;
  shmdt: Fn<[Ptr], number>;
  shmctl: Fn<[number, number, Ptr | null], number>;
}

let loaded: Xlib | undefined;
let loadError: unknown;
const lastErrors = new Map<Ptr, XErrorInfo>();

/**
 * The bindings, loading the libraries on first call. Throws {@link AgentError}
 * `GC_ERR_AGENT_X11_UNAVAILABLE` when a library is missing.
 */
export function xlib(): Xlib {
  if (loaded !== undefined) return loaded;
  if (loadError !== undefined) {
    throw new AgentError(AgentErrorCode.X11Unavailable, 'the X11 client libraries could not be loaded', {
      cause: loadError,
    });
  }
  try {
    loaded = bind();
  } catch (cause) {
    loadError = cause;
    throw new AgentError(AgentErrorCode.X11Unavailable, 'the X11 client libraries could not be loaded', {
      cause,
    });
  }
  return loaded;
}

function bind(): Xlib {
  const x11 = koffi.load('libX11.so.6');
  const xext = koffi.load('libXext.so.6');
  const xtst = koffi.load('libXtst.so.6');
  const xrandr = koffi.load('libXrandr.so.2');
  const xfixes = koffi.load('libXfixes.so.3');
  const xdamage = koffi.load('libXdamage.so.1');
  const libc = koffi.load('libc.so.6');
  koffi.opaque('GcDisplay');
  const XFreeDisposable = koffi.disposable('GcXString', 'str', (p: unknown) => {
    api.XFree(p as Ptr);
  });
  const api = {
    XOpenDisplay: x11.func('GcDisplay *XOpenDisplay(const char *name)'),
    XCloseDisplay: x11.func('int XCloseDisplay(GcDisplay *d)'),
    XConnectionNumber: x11.func('int XConnectionNumber(GcDisplay *d)'),
    XDefaultRootWindow: x11.func('unsigned long XDefaultRootWindow(GcDisplay *d)'),
    XDefaultScreen: x11.func('int XDefaultScreen(GcDisplay *d)'),
    XDisplayWidth: x11.func('int XDisplayWidth(GcDisplay *d, int screen)'),
    XDisplayHeight: x11.func('int XDisplayHeight(GcDisplay *d, int screen)'),
    XDefaultVisual: x11.func('void *XDefaultVisual(GcDisplay *d, int screen)'),
    XDefaultDepth: x11.func('int XDefaultDepth(GcDisplay *d, int screen)'),
    XSync: x11.func('int XSync(GcDisplay *d, int discard)'),
    XFlush: x11.func('int XFlush(GcDisplay *d)'),
    XPending: x11.func('int XPending(GcDisplay *d)'),
    XEventsQueued: x11.func('int XEventsQueued(GcDisplay *d, int mode)'),
    XNextEvent: x11.func('int XNextEvent(GcDisplay *d, void *event)'),
    XGetImage: x11.func(
      'GcXImage *XGetImage(GcDisplay *d, unsigned long drawable, int x, int y, unsigned int w, unsigned int h, unsigned long plane_mask, int format)',
    ),
    XDestroyImage: x11.func('int XDestroyImage(GcXImage *image)'),
    XFree: x11.func('int XFree(void *data)'),
    XGetAtomName: x11.func('XGetAtomName', XFreeDisposable, ['GcDisplay *', 'unsigned long']),
    XQueryPointer: x11.func(
      'int XQueryPointer(GcDisplay *d, unsigned long w, _Out_ unsigned long *root, _Out_ unsigned long *child, _Out_ int *rx, _Out_ int *ry, _Out_ int *wx, _Out_ int *wy, _Out_ unsigned int *mask)',
    ),
    XKeysymToKeycode: x11.func('uint8_t XKeysymToKeycode(GcDisplay *d, unsigned long keysym)'),
    XDisplayKeycodes: x11.func('int XDisplayKeycodes(GcDisplay *d, _Out_ int *min, _Out_ int *max)'),
    XGetKeyboardMapping: x11.func(
      'void *XGetKeyboardMapping(GcDisplay *d, uint8_t first, int count, _Out_ int *per)',
    ),
    XChangeKeyboardMapping: x11.func(
      'int XChangeKeyboardMapping(GcDisplay *d, int first, int per, void *keysyms, int count)',
    ),
    XGetModifierMapping: x11.func('void *XGetModifierMapping(GcDisplay *d)'),
    XFreeModifiermap: x11.func('int XFreeModifiermap(void *map)'),
    XStringToKeysym: x11.func('unsigned long XStringToKeysym(const char *s)'),
    XGetErrorText: x11.func('int XGetErrorText(GcDisplay *d, int code, _Out_ uint8_t *buf, int len)'),
    XSetErrorHandler: x11.func('void *XSetErrorHandler(void *handler)'),
    XShmQueryExtension: xext.func('int XShmQueryExtension(GcDisplay *d)'),
    XShmCreateImage: xext.func(
      'GcXImage *XShmCreateImage(GcDisplay *d, void *visual, unsigned int depth, int format, void *data, void *shminfo, unsigned int w, unsigned int h)',
    ),
    XShmAttach: xext.func('int XShmAttach(GcDisplay *d, void *shminfo)'),
    XShmDetach: xext.func('int XShmDetach(GcDisplay *d, void *shminfo)'),
    XShmGetImage: xext.func(
      'int XShmGetImage(GcDisplay *d, unsigned long drawable, GcXImage *image, int x, int y, unsigned long plane_mask)',
    ),
    XTestQueryExtension: xtst.func(
      'int XTestQueryExtension(GcDisplay *d, _Out_ int *ev, _Out_ int *err, _Out_ int *major, _Out_ int *minor)',
    ),
    XTestFakeMotionEvent: xtst.func(
      'int XTestFakeMotionEvent(GcDisplay *d, int screen, int x, int y, unsigned long delay)',
    ),
    XTestFakeButtonEvent: xtst.func(
      'int XTestFakeButtonEvent(GcDisplay *d, unsigned int button, int press, unsigned long delay)',
    ),
    XTestFakeKeyEvent: xtst.func(
      'int XTestFakeKeyEvent(GcDisplay *d, unsigned int keycode, int press, unsigned long delay)',
    ),
    XRRQueryExtension: xrandr.func('int XRRQueryExtension(GcDisplay *d, _Out_ int *ev, _Out_ int *err)'),
    XRRGetMonitors: xrandr.func(
      'void *XRRGetMonitors(GcDisplay *d, unsigned long window, int active, _Out_ int *count)',
    ),
    XRRFreeMonitors: xrandr.func('void XRRFreeMonitors(void *monitors)'),
    XFixesQueryExtension: xfixes.func(
      'int XFixesQueryExtension(GcDisplay *d, _Out_ int *ev, _Out_ int *err)',
    ),
    XFixesGetCursorImage: xfixes.func('void *XFixesGetCursorImage(GcDisplay *d)'),
    XFixesSelectCursorInput: xfixes.func(
      'void XFixesSelectCursorInput(GcDisplay *d, unsigned long window, unsigned long mask)',
    ),
    XDamageQueryExtension: xdamage.func(
      'int XDamageQueryExtension(GcDisplay *d, _Out_ int *ev, _Out_ int *err)',
    ),
    XDamageCreate: xdamage.func(
      'unsigned long XDamageCreate(GcDisplay *d, unsigned long drawable, int level)',
    ),
    XDamageDestroy: xdamage.func('void XDamageDestroy(GcDisplay *d, unsigned long damage)'),
    shmget: libc.func('int shmget(int key, size_t size, int flags)'),
    shmat: libc.func('void *shmat(int id, void *addr, int flags)'),
    shmdt: libc.func('int shmdt(void *addr)'),
    shmctl: libc.func('int shmctl(int id, int cmd, void *buf)'),
  } as unknown as Xlib;
  installErrorHandler(api);
  return api;
}

/**
 * Xlib's default error handler prints and calls exit(); ours records the error per display so
 * the caller that issued the request (after XSync) can turn it into an AgentError. The callback
 * stays registered for the life of the process, like Xlib's own handler.
 */
function installErrorHandler(api: Xlib): void {
  const proto = koffi.proto('int GcXErrorHandler(void *display, void *event)');
  const text = Buffer.alloc(256);
  const handler = koffi.register((display: Ptr, event: Ptr): number => {
    const e = koffi.decode(event, XErrorEventType) as {
      error_code: number;
      request_code: number;
      minor_code: number;
      resourceid: number;
    };
    api.XGetErrorText(display, e.error_code, text, text.length);
    const end = text.indexOf(0);
    lastErrors.set(display, {
      errorCode: e.error_code,
      requestCode: e.request_code,
      minorCode: e.minor_code,
      resourceId: Number(e.resourceid),
      text: text.toString('latin1', 0, end < 0 ? text.length : end),
    });
    return 0;
  }, koffi.pointer(proto));
  api.XSetErrorHandler(handler);
}

/** The X error recorded for `display` since the last call, if any (and forgets it). */
export function takeXError(display: Ptr): XErrorInfo | undefined {
  const error = lastErrors.get(display);
  if (error !== undefined) lastErrors.delete(display);
  return error;
}

/** Forget errors recorded for a display that is being closed. */
export function forgetXErrors(display: Ptr): void {
  lastErrors.delete(display);
}

export function decodeXImage(image: Ptr): XImageInfo {
  return koffi.decode(image, XImageType) as XImageInfo;
}

export function decodeMonitors(monitors: Ptr, count: number): XRRMonitorInfo[] {
  return koffi.decode(monitors, XRRMonitorInfoType, count) as XRRMonitorInfo[];
}

export function decodeCursorImage(cursor: Ptr): XFixesCursorImage {
  return koffi.decode(cursor, XFixesCursorImageType) as XFixesCursorImage;
}

/** A zero-copy view of `length` bytes of native memory at `pointer`. */
export function nativeView(pointer: Ptr, length: number): Uint8Array {
  return new Uint8Array(koffi.view(pointer, length));
}

/** Allocates native memory for one XShmSegmentInfo and fills it. Free with {@link freeNative}. */
export function allocShmSegmentInfo(shmid: number, shmaddr: Ptr): Ptr {
  const info = koffi.alloc(XShmSegmentInfoType, 1) as Ptr;
  koffi.encode(info, XShmSegmentInfoType, { shmseg: 0, shmid, shmaddr, readOnly: 0 });
  return info;
}

export function freeNative(pointer: Ptr): void {
  koffi.free(pointer);
}

/** Watches a file descriptor for readability on the Node event loop (libuv poll). */
export function pollReadable(fd: number, onReadable: () => void): { close(): void } {
  // koffi 3.3 calls back with (status, events) although its typings say (events).
  type Events = { readable: boolean; disconnect: boolean };
  const callback = (first: number | Events, second?: Events): void => {
    const events = typeof first === 'object' ? first : second;
    if (events === undefined || events.readable || events.disconnect) onReadable();
  };
  const handle = koffi.node.poll(fd, { readable: true }, callback as unknown as (ev: Events) => void);
  handle.unref();
  return handle;
}
