import type { X11Connection } from '../x11/x11-connection.js';
import { nativeView } from '../x11/xlib.js';

const NO_SYMBOL = 0;

/** Where a keysym lives in the keyboard map. */
export interface KeyLocation {
  keycode: number;
  /** True when the keysym is on the shifted level of its key. */
  shift: boolean;
}

/**
 * A client-side copy of the X keyboard mapping: keysym → keycode/level, and the keycodes that
 * carry no symbol at all (spares that can be remapped to type a keysym the layout lacks, as
 * xdotool does).
 */
export class X11Keymap {
  readonly #conn: X11Connection;
  readonly #byKeysym = new Map<number, KeyLocation>();
  readonly #spares: number[] = [];
  readonly #remapped = new Map<number, number>(); // keycode → keysym

  constructor(conn: X11Connection) {
    this.#conn = conn;
    this.reload();
  }

  reload(): void {
    const lib = this.#conn.lib;
    const min = [0];
    const max = [0];
    lib.XDisplayKeycodes(this.#conn.handle, min, max);
    const first = min[0] ?? 8;
    const count = (max[0] ?? 255) - first + 1;
    const perOut = [0];
    const pointer = lib.XGetKeyboardMapping(this.#conn.handle, first, count, perOut);
    this.#byKeysym.clear();
    this.#spares.length = 0;
    if (pointer === null || pointer === 0n) return;
    try {
      const per = perOut[0] ?? 0;
      const bytes = nativeView(pointer, count * per * 8);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let i = 0; i < count; i++) {
        const keycode = first + i;
        let empty = true;
        for (let level = 0; level < per; level++) {
          const keysym = Number(view.getBigUint64((i * per + level) * 8, true));
          if (keysym === NO_SYMBOL) continue;
          empty = false;
          // Only the two core levels are reachable with Shift alone; keep the lowest.
          if (level > 1) continue;
          const known = this.#byKeysym.get(keysym);
          if (known === undefined || (known.shift && level === 0)) {
            this.#byKeysym.set(keysym, { keycode, shift: level === 1 });
          }
        }
        if (empty || this.#remapped.has(keycode)) this.#spares.push(keycode);
      }
    } finally {
      lib.XFree(pointer);
    }
    // Highest keycodes first: the lowest ones (8…) are the first to be taken by layouts and
    // some toolkits mishandle a change to the minimum keycode.
    this.#spares.reverse();
  }

  /** Where `keysym` is typed from in the current layout, if anywhere. */
  locate(keysym: number): KeyLocation | undefined {
    return this.#byKeysym.get(keysym);
  }

  /** Whether a spare keycode outside `busy` exists. */
  hasSpare(busy: ReadonlySet<number>): boolean {
    return this.#spares.some((k) => !busy.has(k));
  }

  /**
   * Binds `keysym` to a spare keycode (on both levels, so Shift does not matter) and returns
   * it, or undefined when every spare is busy. `busy` lists keycodes that must not be taken
   * (keys held down right now). Spares are reused least-recently-used first.
   */
  remap(keysym: number, busy: ReadonlySet<number>): number | undefined {
    const index = this.#spares.findIndex((k) => !busy.has(k));
    if (index < 0) return undefined;
    const keycode = this.#spares[index]!;
    this.#spares.splice(index, 1);
    this.#spares.push(keycode);
    const previous = this.#remapped.get(keycode);
    if (previous !== undefined) this.#byKeysym.delete(previous);
    this.#write(keycode, keysym);
    this.#remapped.set(keycode, keysym);
    this.#byKeysym.set(keysym, { keycode, shift: false });
    return keycode;
  }

  /** Puts every remapped keycode back to NoSymbol. */
  restore(): void {
    for (const [keycode, keysym] of this.#remapped) {
      this.#write(keycode, NO_SYMBOL);
      this.#byKeysym.delete(keysym);
    }
    this.#remapped.clear();
  }

  #write(keycode: number, keysym: number): void {
    const syms = new BigUint64Array([BigInt(keysym), BigInt(keysym)]);
    this.#conn.lib.XChangeKeyboardMapping(this.#conn.handle, keycode, 2, syms, 1);
    this.#conn.check('XChangeKeyboardMapping');
  }
}
