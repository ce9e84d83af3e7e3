import type { X11Connection } from '../x11/x11-connection.js';
import { XEVENT_SIZE } from '../x11/xlib.js';
import type { PixelRect } from './screen-capturer.js';

const X_DAMAGE_REPORT_RAW_RECTANGLES = 0;
const X_DAMAGE_NOTIFY = 0;
const X_FIXES_CURSOR_NOTIFY = 1;
const X_FIXES_DISPLAY_CURSOR_NOTIFY_MASK = 1;

export interface X11EventPumpOptions {
  useDamage: boolean;
  /** XFixes event base, or undefined when XFixes is absent. */
  fixesEventBase: number | undefined;
  onDamage(rects: PixelRect[]): void;
  onCursor(): void;
  /** Watches the connection's fd for readability. */
  watch(fd: number, onReadable: () => void): { close(): void };
}

/**
 * Reads X events (damage, cursor changes) as soon as the X socket becomes readable, and after
 * every round trip that may have queued some. Emits damage in screen coordinates, batched per
 * read.
 */
export class X11EventPump {
  readonly damageEvents: boolean;
  readonly #conn: X11Connection;
  readonly #options: X11EventPumpOptions;
  readonly #event = Buffer.alloc(XEVENT_SIZE);
  readonly #damageEventType: number;
  readonly #damage: number;
  readonly #watcher: { close(): void };
  #drainScheduled = false;
  #closed = false;

  constructor(conn: X11Connection, options: X11EventPumpOptions) {
    this.#conn = conn;
    this.#options = options;
    const lib = conn.lib;
    const ev = [0];
    const err = [0];
    const hasDamage = options.useDamage && lib.XDamageQueryExtension(conn.handle, ev, err) !== 0;
    this.#damageEventType = hasDamage ? (ev[0] ?? 0) + X_DAMAGE_NOTIFY : -1;
    this.#damage = hasDamage ? lib.XDamageCreate(conn.handle, conn.root, X_DAMAGE_REPORT_RAW_RECTANGLES) : 0;
    this.damageEvents = hasDamage;
    if (options.fixesEventBase !== undefined) {
      lib.XFixesSelectCursorInput(conn.handle, conn.root, X_FIXES_DISPLAY_CURSOR_NOTIFY_MASK);
    }
    conn.check('selecting damage and cursor events');
    this.#watcher = options.watch(conn.fd(), () => this.drain());
  }

  /** Drains queued events on the next turn of the event loop (deduplicated). */
  scheduleDrain(): void {
    if (this.#drainScheduled || this.#closed) return;
    this.#drainScheduled = true;
    setImmediate(() => {
      this.#drainScheduled = false;
      this.drain();
    });
  }

  /** Reads every event available now and dispatches them. */
  drain(): void {
    if (this.#closed) return;
    const lib = this.#conn.lib;
    const handle = this.#conn.handle;
    const event = this.#event;
    const rects: PixelRect[] = [];
    let cursor = false;
    const cursorType =
      this.#options.fixesEventBase === undefined ? -2 : this.#options.fixesEventBase + X_FIXES_CURSOR_NOTIFY;
    while (lib.XPending(handle) > 0) {
      lib.XNextEvent(handle, event);
      const type = event.readInt32LE(0) & 0x7f;
      if (type === this.#damageEventType) {
        // XDamageNotifyEvent.area (XRectangle) sits at byte 64 on LP64.
        rects.push({
          x: event.readInt16LE(64),
          y: event.readInt16LE(66),
          width: event.readUInt16LE(68),
          height: event.readUInt16LE(70),
        });
      } else if (type === cursorType) {
        cursor = true;
      }
    }
    if (rects.length > 0) this.#options.onDamage(rects);
    if (cursor) this.#options.onCursor();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#watcher.close();
    if (this.#damage !== 0 && !this.#conn.closed) {
      this.#conn.lib.XDamageDestroy(this.#conn.handle, this.#damage);
      this.#conn.lib.XSync(this.#conn.handle, 0);
    }
  }
}
