import type { DisplayInfo } from '../capture/screen-capturer.js';
import type { InputInjector } from './input-injector.js';

/** Pointer state as a viewer sends it (mirrors the wire PointerEvent). */
export interface ViewerPointer {
  /** Position in display pixels. */
  x: number;
  y: number;
  /** Bitmask of PointerButton values held (1 left, 2 middle, 4 right, 8 back, 16 forward). */
  buttons: number;
  /** Wheel steps; positive is right / down. */
  wheelX: number;
  wheelY: number;
}

/** PointerButton bit → X button number. */
const BUTTON_BITS: ReadonlyArray<readonly [bit: number, button: number]> = [
  [1, 1],
  [2, 2],
  [4, 3],
  [8, 8],
  [16, 9],
];

export interface ViewerInputOptions {
  injector: InputInjector;
  /** Wheel steps injected per event at most, each way. Default 20. */
  maxWheelSteps?: number;
}

/**
 * Turns viewers' absolute pointer states and key events into injector calls, and remembers
 * what each viewer holds down so that everything it pressed is released when it leaves.
 * A key or button held by two viewers goes up only when both released it.
 */
export class ViewerInput {
  readonly #injector: InputInjector;
  readonly #maxWheel: number;
  readonly #viewers = new Map<string, { buttons: number; keys: Set<number> }>();
  readonly #keyCount = new Map<number, number>();
  readonly #buttonCount = new Map<number, number>();

  constructor(options: ViewerInputOptions) {
    this.#injector = options.injector;
    this.#maxWheel = options.maxWheelSteps ?? 20;
  }

  pointer(viewerId: string, display: DisplayInfo, event: ViewerPointer): void {
    const state = this.#state(viewerId);
    const x = display.x + clamp(event.x, 0, display.width - 1);
    const y = display.y + clamp(event.y, 0, display.height - 1);
    this.#injector.movePointer(x, y);
    for (const [bit, button] of BUTTON_BITS) {
      const was = (state.buttons & bit) !== 0;
      const now = (event.buttons & bit) !== 0;
      if (was !== now) this.#button(button, now);
    }
    state.buttons = event.buttons;
    this.#wheel(event.wheelY, 5, 4);
    this.#wheel(event.wheelX, 7, 6);
  }

  key(viewerId: string, keysym: number, down: boolean): void {
    const state = this.#state(viewerId);
    if (down) {
      if (!state.keys.has(keysym)) {
        state.keys.add(keysym);
        this.#keyCount.set(keysym, (this.#keyCount.get(keysym) ?? 0) + 1);
      }
      this.#injector.key(keysym, true);
      return;
    }
    if (!state.keys.delete(keysym)) return;
    const left = (this.#keyCount.get(keysym) ?? 1) - 1;
    if (left > 0) {
      this.#keyCount.set(keysym, left);
      return;
    }
    this.#keyCount.delete(keysym);
    this.#injector.key(keysym, false);
  }

  /** Releases every key and button `viewerId` holds, and forgets it. */
  release(viewerId: string): void {
    const state = this.#viewers.get(viewerId);
    if (state === undefined) return;
    for (const keysym of [...state.keys]) this.key(viewerId, keysym, false);
    for (const [bit, button] of BUTTON_BITS) {
      if ((state.buttons & bit) !== 0) this.#button(button, false);
    }
    this.#viewers.delete(viewerId);
  }

  /** Releases everything every viewer holds. */
  releaseAll(): void {
    for (const viewerId of [...this.#viewers.keys()]) this.release(viewerId);
  }

  /** Keysyms `viewerId` holds down now. */
  heldBy(viewerId: string): number[] {
    return [...(this.#viewers.get(viewerId)?.keys ?? [])];
  }

  #button(button: number, down: boolean): void {
    const count = this.#buttonCount.get(button) ?? 0;
    if (down) {
      this.#buttonCount.set(button, count + 1);
      if (count === 0) this.#injector.button(button, true);
    } else if (count > 0) {
      if (count === 1) {
        this.#buttonCount.delete(button);
        this.#injector.button(button, false);
      } else {
        this.#buttonCount.set(button, count - 1);
      }
    }
  }

  #wheel(steps: number, positive: number, negative: number): void {
    const n = Math.min(Math.abs(Math.trunc(steps)), this.#maxWheel);
    const button = steps > 0 ? positive : negative;
    for (let i = 0; i < n; i++) {
      this.#injector.button(button, true);
      this.#injector.button(button, false);
    }
  }

  #state(viewerId: string): { buttons: number; keys: Set<number> } {
    let state = this.#viewers.get(viewerId);
    if (state === undefined) {
      state = { buttons: 0, keys: new Set() };
      this.#viewers.set(viewerId, state);
    }
    return state;
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
