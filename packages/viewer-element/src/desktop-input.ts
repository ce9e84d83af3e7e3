import { KeyboardInput } from './keyboard-input.js';
import type { PointerState } from './pointer-input.js';
import { PointerInput } from './pointer-input.js';

export interface DesktopInputOptions {
  /** The screen canvas (keyboard focus and pointer target). Required. */
  canvas: HTMLCanvasElement;
  /** The area the screen is fitted into; its size is reported to `onViewportResize`. Required. */
  viewport: HTMLElement;
  /** Whether input may be sent now (connected, control granted, not view-only). Required. */
  enabled: () => boolean;
  sendKey: (keysym: number, down: boolean) => void;
  sendPointer: (state: PointerState) => void;
  /** Size of the remote display, or undefined before the first frame. */
  displaySize: () => { width: number; height: number } | undefined;
  onViewportResize: (size: { width: number; height: number }) => void;
}

/** Keyboard, pointer and viewport-size tracking of the desktop screen; `dispose()` removes them all. */
export class DesktopInput {
  readonly #keyboard: KeyboardInput;
  readonly #pointer: PointerInput;
  readonly #observer: ResizeObserver;

  constructor(options: DesktopInputOptions) {
    this.#keyboard = new KeyboardInput({
      target: options.canvas,
      enabled: options.enabled,
      send: options.sendKey,
    });
    this.#pointer = new PointerInput({
      target: options.canvas,
      enabled: options.enabled,
      displaySize: options.displaySize,
      send: options.sendPointer,
    });
    this.#observer = new ResizeObserver((entries) => {
      const box = entries[entries.length - 1]!.contentRect;
      options.onViewportResize({ width: box.width, height: box.height });
    });
    this.#observer.observe(options.viewport);
  }

  /** Releases every held key (most recent first). */
  releaseAll(): void {
    this.#keyboard.releaseAll();
  }

  dispose(): void {
    this.#keyboard.dispose();
    this.#pointer.dispose();
    this.#observer.disconnect();
  }
}
