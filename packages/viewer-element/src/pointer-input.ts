/** One pointer state in display pixels, as sent in `PointerEvent`. */
export interface PointerState {
  x: number;
  y: number;
  /** Bitmask: left 1, middle 2, right 4, back 8, forward 16. */
  buttons: number;
  /** Wheel steps; positive is right / down. */
  wheelX: number;
  wheelY: number;
}

export interface PointerInputOptions {
  /** The element showing the screen; its CSS box is mapped onto the display. Required. */
  target: HTMLElement;
  /** Sends one pointer state. Called only while `enabled()` is true. */
  send: (state: PointerState) => void;
  /** Whether pointer input may be sent now (connected, control granted, not view-only). */
  enabled: () => boolean;
  /** Size of the remote display in pixels, or undefined before the first frame. */
  displaySize: () => { width: number; height: number } | undefined;
  /**
   * Shortest time between two sent moves with no button change, in ms; moves in between are
   * coalesced into the latest one. Default 16 (one per frame at 60 Hz); 0 sends every move.
   */
  moveIntervalMs?: number;
}

/** Accumulated wheel distance (CSS px) that makes one wheel step, as noVNC does. */
export const WHEEL_STEP_PX = 50;
const LINE_PX = WHEEL_STEP_PX / 3;
const PAGE_PX = WHEEL_STEP_PX * 3;

/**
 * Maps a point in CSS pixels (client coordinates) onto display pixels through the element's
 * box, whatever its CSS size: correct for `fit` (scaled) and `actual` (1:1). Clamped to the display.
 */
export function mapToDisplay(
  clientX: number,
  clientY: number,
  box: { left: number; top: number; width: number; height: number },
  width: number,
  height: number,
): { x: number; y: number } {
  const x = box.width > 0 ? Math.floor(((clientX - box.left) * width) / box.width) : 0;
  const y = box.height > 0 ? Math.floor(((clientY - box.top) * height) / box.height) : 0;
  return { x: clamp(x, 0, width - 1), y: clamp(y, 0, height - 1) };
}

/** `MouseEvent.buttons` (primary 1, secondary 2, auxiliary 4, back 8, forward 16) → protocol bitmask. */
export function protocolButtons(domButtons: number): number {
  let out = domButtons & (1 | 8 | 16);
  if (domButtons & 2) out |= 4; // secondary = right
  if (domButtons & 4) out |= 2; // auxiliary = middle
  return out;
}

/**
 * Pointer, button and wheel input on the screen element, in display pixels. Moves are
 * coalesced to at most one per `moveIntervalMs` (the latest position wins; a trailing move is
 * always sent); button changes and wheel steps go out at once and are never coalesced.
 */
export class PointerInput {
  readonly #options: PointerInputOptions;
  readonly #interval: number;
  #lastMoveAt = Number.NEGATIVE_INFINITY;
  #pendingMove: PointerState | undefined;
  #moveTimer: ReturnType<typeof setTimeout> | undefined;
  #buttons = 0;
  #wheelX = 0;
  #wheelY = 0;
  #disposed = false;
  readonly #onPointer = (event: PointerEvent) => this.#pointer(event);
  readonly #onWheel = (event: WheelEvent) => this.#wheel(event);
  readonly #onContextMenu = (event: Event) => {
    if (this.#options.enabled()) event.preventDefault();
  };

  constructor(options: PointerInputOptions) {
    this.#options = options;
    this.#interval = Math.max(0, options.moveIntervalMs ?? 16);
    const { target } = options;
    for (const type of ['pointerdown', 'pointermove', 'pointerup', 'pointercancel'] as const) {
      target.addEventListener(type, this.#onPointer);
    }
    target.addEventListener('wheel', this.#onWheel, { passive: false });
    target.addEventListener('contextmenu', this.#onContextMenu);
  }

  /** Removes listeners and the pending-move timer. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#cancelPendingMove();
    const { target } = this.#options;
    for (const type of ['pointerdown', 'pointermove', 'pointerup', 'pointercancel'] as const) {
      target.removeEventListener(type, this.#onPointer);
    }
    target.removeEventListener('wheel', this.#onWheel);
    target.removeEventListener('contextmenu', this.#onContextMenu);
  }

  #map(event: MouseEvent): { x: number; y: number } | undefined {
    const size = this.#options.displaySize();
    if (size === undefined) return undefined;
    const box = this.#options.target.getBoundingClientRect();
    return mapToDisplay(event.clientX, event.clientY, box, size.width, size.height);
  }

  #pointer(event: PointerEvent): void {
    if (!this.#options.enabled()) return;
    const point = this.#map(event);
    if (point === undefined) return;
    const buttons = event.type === 'pointercancel' ? 0 : protocolButtons(event.buttons);
    if (event.type === 'pointerdown') {
      event.preventDefault();
      this.#options.target.focus({ preventScroll: true });
      this.#options.target.setPointerCapture?.(event.pointerId);
    }
    if (buttons !== this.#buttons || event.type !== 'pointermove') {
      this.#buttons = buttons;
      this.#cancelPendingMove();
      this.#sendNow({ ...point, buttons, wheelX: 0, wheelY: 0 });
      return;
    }
    this.#queueMove({ ...point, buttons, wheelX: 0, wheelY: 0 });
  }

  #wheel(event: WheelEvent): void {
    if (!this.#options.enabled()) return;
    const point = this.#map(event);
    if (point === undefined) return;
    event.preventDefault();
    const unit = event.deltaMode === 1 ? LINE_PX : event.deltaMode === 2 ? PAGE_PX : 1;
    this.#wheelX += event.deltaX * unit;
    this.#wheelY += event.deltaY * unit;
    // One step per event once the accumulated distance passes a step, whatever the device's
    // notch size: a mouse notch is one step everywhere, a touchpad's small deltas add up.
    const wheelX = Math.abs(this.#wheelX) >= WHEEL_STEP_PX ? Math.sign(this.#wheelX) : 0;
    const wheelY = Math.abs(this.#wheelY) >= WHEEL_STEP_PX ? Math.sign(this.#wheelY) : 0;
    if (wheelX !== 0) this.#wheelX = 0;
    if (wheelY !== 0) this.#wheelY = 0;
    if (wheelX === 0 && wheelY === 0) return;
    this.#cancelPendingMove();
    this.#sendNow({ ...point, buttons: this.#buttons, wheelX, wheelY });
  }

  #queueMove(state: PointerState): void {
    const wait = this.#lastMoveAt + this.#interval - performance.now();
    if (wait <= 0 && this.#moveTimer === undefined) {
      this.#sendNow(state);
      return;
    }
    this.#pendingMove = state;
    this.#moveTimer ??= setTimeout(
      () => {
        this.#moveTimer = undefined;
        const pending = this.#pendingMove;
        this.#pendingMove = undefined;
        if (pending !== undefined && this.#options.enabled()) this.#sendNow(pending);
      },
      Math.max(0, wait),
    );
  }

  #cancelPendingMove(): void {
    if (this.#moveTimer !== undefined) clearTimeout(this.#moveTimer);
    this.#moveTimer = undefined;
    this.#pendingMove = undefined;
  }

  #sendNow(state: PointerState): void {
    this.#lastMoveAt = performance.now();
    this.#options.send(state);
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.max(min, Math.min(value, max));
}
