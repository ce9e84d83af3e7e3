import { AgentError, AgentErrorCode } from '../agent-error.js';
import { X11Connection } from '../x11/x11-connection.js';
import type { InputInjector } from './input-injector.js';
import { X11Keymap } from './x11-keymap.js';

const XK_SHIFT_L = 0xffe1;
const XK_SHIFT_R = 0xffe2;

export interface X11InputInjectorOptions {
  /** X display name. Default `process.env.DISPLAY`. */
  display?: string;
  /**
   * After binding a keysym to a spare keycode, input waits this long (ms) so X clients can
   * process the MappingNotify before the key arrives (xdotool waits likewise). Default 25;
   * bounds 0–500. Later input queues behind it, so order is kept.
   */
  remapSettleMs?: number;
}

interface HeldKey {
  keycode: number;
  /** Shift pressed by us for this key (released with it). */
  addedShift: boolean;
}

/**
 * Injects input with XTest. Keys are looked up in the live keyboard map; a shifted symbol is
 * typed with Shift, and a keysym absent from the layout is typed by binding it to a spare
 * keycode for as long as needed (restored on close).
 */
export class X11InputInjector implements InputInjector {
  readonly backend = 'xtest';
  readonly #conn: X11Connection;
  readonly #keymap: X11Keymap;
  readonly #held = new Map<number, HeldKey>(); // keysym → key
  readonly #buttons = new Set<number>();
  readonly #shiftKeycode: number;
  readonly #settleMs: number;
  readonly #queue: Array<() => void> = [];
  readonly #idleWaiters: Array<() => void> = [];
  #settleTimer: NodeJS.Timeout | undefined;
  #closing = false;
  #closed = false;

  constructor(options: X11InputInjectorOptions = {}) {
    const conn = new X11Connection(options.display === undefined ? {} : { display: options.display });
    try {
      if (conn.lib.XTestQueryExtension(conn.handle, [0], [0], [0], [0]) === 0) {
        throw new AgentError(
          AgentErrorCode.X11Unavailable,
          `the X server ${conn.name} lacks the XTEST extension`,
        );
      }
      this.#keymap = new X11Keymap(conn);
      this.#shiftKeycode = conn.lib.XKeysymToKeycode(conn.handle, XK_SHIFT_L);
    } catch (cause) {
      conn.close();
      throw cause;
    }
    this.#conn = conn;
    this.#settleMs = Math.min(500, Math.max(0, options.remapSettleMs ?? 25));
  }

  movePointer(x: number, y: number): void {
    this.#assertOpen();
    this.#enqueue(() => this.#move(x, y));
  }

  button(button: number, down: boolean): void {
    this.#assertOpen();
    this.#enqueue(() => this.#button(button, down));
  }

  key(keysym: number, down: boolean): void {
    this.#assertOpen();
    this.#enqueue(() => this.#key(keysym, down));
  }

  /** Resolves once every input queued so far has been sent to the X server. */
  idle(): Promise<void> {
    if (this.#settleTimer === undefined && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #enqueue(op: () => void): void {
    this.#queue.push(op);
    if (this.#settleTimer === undefined) this.#flush();
  }

  #flush(): void {
    while (this.#settleTimer === undefined && this.#queue.length > 0) this.#queue.shift()!();
    if (this.#settleTimer === undefined) {
      for (const resolve of this.#idleWaiters.splice(0)) resolve();
    }
  }

  /** Holds the queue for the settle time, with `next` first in line. */
  #settle(next: () => void): void {
    if (this.#closing || this.#settleMs === 0) {
      next();
      return;
    }
    this.#queue.unshift(next);
    this.#settleTimer = setTimeout(() => {
      this.#settleTimer = undefined;
      this.#flush();
    }, this.#settleMs);
  }

  #move(x: number, y: number): void {
    this.#conn.lib.XTestFakeMotionEvent(
      this.#conn.handle,
      this.#conn.screen,
      Math.round(x),
      Math.round(y),
      0,
    );
    this.#conn.lib.XFlush(this.#conn.handle);
  }

  #button(button: number, down: boolean): void {
    if (down) this.#buttons.add(button);
    else this.#buttons.delete(button);
    this.#conn.lib.XTestFakeButtonEvent(this.#conn.handle, button, down ? 1 : 0, 0);
    this.#conn.lib.XFlush(this.#conn.handle);
  }

  #key(keysym: number, down: boolean): void {
    const lib = this.#conn.lib;
    const d = this.#conn.handle;
    if (!down) {
      const held = this.#held.get(keysym);
      if (held === undefined) return;
      this.#held.delete(keysym);
      lib.XTestFakeKeyEvent(d, held.keycode, 0, 0);
      if (held.addedShift) lib.XTestFakeKeyEvent(d, this.#shiftKeycode, 0, 0);
      lib.XFlush(d);
      return;
    }
    const already = this.#held.get(keysym);
    if (already !== undefined) {
      // Auto-repeat from the viewer: press again without a release, as a keyboard does.
      lib.XTestFakeKeyEvent(d, already.keycode, 1, 0);
      lib.XFlush(d);
      return;
    }
    const location = this.#keymap.locate(keysym);
    if (location !== undefined) {
      this.#press(keysym, location);
      return;
    }
    // Not in the layout: bind it to a spare keycode. Clients learn of the new mapping from an
    // XKB map notification that Xlib processes lazily; changing the map while a client is still
    // busy with earlier key events can make it miss the change, so the change happens in a
    // quiet moment and the key follows after another one.
    const busy = new Set([...this.#held.values()].map((k) => k.keycode));
    if (!this.#keymap.hasSpare(busy)) {
      throw new AgentError(
        AgentErrorCode.UnmappableKey,
        `keysym 0x${keysym.toString(16)} is not in the keyboard map and no spare keycode is free`,
      );
    }
    this.#settle(() => {
      // The queue is serial: the spare found above is still free here.
      const keycode = this.#keymap.remap(keysym, busy) as number;
      this.#settle(() => this.#press(keysym, { keycode, shift: false }));
    });
  }

  #press(keysym: number, location: { keycode: number; shift: boolean }): void {
    const lib = this.#conn.lib;
    const d = this.#conn.handle;
    const addedShift = location.shift && !this.#shiftHeld() && this.#shiftKeycode !== 0;
    if (addedShift) lib.XTestFakeKeyEvent(d, this.#shiftKeycode, 1, 0);
    lib.XTestFakeKeyEvent(d, location.keycode, 1, 0);
    lib.XFlush(d);
    this.#held.set(keysym, { keycode: location.keycode, addedShift });
  }

  releaseAll(): void {
    if (this.#closed) return;
    this.#enqueue(() => {
      for (const keysym of [...this.#held.keys()]) this.#key(keysym, false);
      for (const button of [...this.#buttons]) this.#button(button, false);
    });
  }

  /** Keysyms held down right now (for tests and diagnostics). */
  heldKeysyms(): number[] {
    return [...this.#held.keys()];
  }

  close(): void {
    if (this.#closed) return;
    // Run what is queued now, without waiting, then let go of everything.
    this.#closing = true;
    if (this.#settleTimer !== undefined) clearTimeout(this.#settleTimer);
    this.#settleTimer = undefined;
    this.releaseAll();
    this.#flush();
    this.#closed = true;
    this.#keymap.restore();
    this.#conn.lib.XSync(this.#conn.handle, 0);
    this.#conn.close();
  }

  #shiftHeld(): boolean {
    return this.#held.has(XK_SHIFT_L) || this.#held.has(XK_SHIFT_R);
  }

  #assertOpen(): void {
    if (this.#closed) throw new AgentError(AgentErrorCode.Closed, 'the input injector is closed');
  }
}
