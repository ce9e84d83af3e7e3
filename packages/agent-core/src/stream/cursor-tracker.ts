import type { EnvelopeInit } from '@guruconnect/protocol';
import type { DisplayInfo, ScreenCapturer } from '../capture/screen-capturer.js';

export interface CursorTrackerOptions {
  capturer: ScreenCapturer;
  /** Sends a cursor message to every viewer ('') or one. */
  send(message: EnvelopeInit, viewerId: string): void;
  onError(error: unknown): void;
  /** Pointer position polls per second while viewers watch and the pointer moves (X has no motion events for this). Default 30; bounds 1–120. */
  positionHz?: number;
  /** Polls per second once the pointer has not moved for a second (idle CPU). Default 8; bounds 1–`positionHz`. */
  idlePositionHz?: number;
}

/**
 * Cursor shape (XFixes change events) and position (polled only while someone watches, sent
 * only when it moved) for the streamed display.
 */
export class CursorTracker {
  readonly #options: CursorTrackerOptions;
  readonly #unsubscribe: () => void;
  readonly #intervalMs: number;
  readonly #idleIntervalMs: number;
  #movedAt = Number.NEGATIVE_INFINITY;
  #display: DisplayInfo | undefined;
  #timer: NodeJS.Timeout | undefined;
  #last = '';
  #closed = false;

  constructor(options: CursorTrackerOptions) {
    this.#options = options;
    const hz = Math.min(120, Math.max(1, options.positionHz ?? 30));
    this.#intervalMs = 1000 / hz;
    this.#idleIntervalMs = 1000 / Math.min(hz, Math.max(1, options.idlePositionHz ?? 8));
    this.#unsubscribe = options.capturer.onCursorChange(() => {
      if (this.#timer !== undefined) this.sendShape('');
    });
  }

  /** Starts or stops watching; `display` is what positions are relative to. */
  watch(display: DisplayInfo | undefined): void {
    this.#display = display;
    if (display === undefined || this.#closed) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
      return;
    }
    this.#last = '';
    if (this.#timer === undefined) {
      this.#movedAt = performance.now();
      this.#next();
    }
  }

  sendShape(viewerId: string): void {
    try {
      const shape = this.#options.capturer.cursorImage();
      if (shape === undefined) return;
      this.#options.send(
        {
          payload: {
            case: 'cursorShape',
            value: {
              serial: BigInt(shape.serial),
              width: shape.width,
              height: shape.height,
              hotX: shape.hotX,
              hotY: shape.hotY,
              rgba: shape.rgba,
            },
          },
        },
        viewerId,
      );
    } catch (error) {
      this.#options.onError(error);
    }
  }

  /** Polls at the full rate for a second after the pointer last moved, then at the idle rate. */
  #next(): void {
    const moving = performance.now() - this.#movedAt < 1000;
    this.#timer = setTimeout(
      () => {
        void this.#poll();
        if (this.#timer !== undefined) this.#next();
      },
      moving ? this.#intervalMs : this.#idleIntervalMs,
    );
    this.#timer.unref();
  }

  async #poll(): Promise<void> {
    const display = this.#display;
    if (display === undefined) return;
    const capturer = this.#options.capturer;
    try {
      // Off the event loop where the capturer can: a busy X server must not hold up input.
      const p =
        capturer.cursorPositionAsync !== undefined
          ? await capturer.cursorPositionAsync()
          : capturer.cursorPosition();
      if (p === undefined || this.#closed || this.#display !== display) return;
      const x = p.x - display.x;
      const y = p.y - display.y;
      const visible = x >= 0 && y >= 0 && x < display.width && y < display.height;
      const key = `${display.id}:${x}:${y}:${visible}`;
      if (key === this.#last) return;
      this.#last = key;
      this.#movedAt = performance.now();
      this.#options.send(
        { payload: { case: 'cursorPosition', value: { displayId: display.id, x, y, visible } } },
        '',
      );
    } catch (error) {
      this.#options.onError(error);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#unsubscribe();
  }
}
