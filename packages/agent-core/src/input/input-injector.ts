/**
 * Synthetic input behind a platform-neutral interface (XTest today; SendInput and macOS
 * CGEvent later). Coordinates are screen pixels; keys are X11 keysyms, as on the wire.
 */
export interface InputInjector {
  /** Which backend is in use, e.g. `xtest`. */
  readonly backend: string;
  /** Moves the pointer to (`x`, `y`) in screen coordinates. */
  movePointer(x: number, y: number): void;
  /** Presses or releases pointer button `button` (X numbering: 1 left, 2 middle, 3 right, 4–7 wheel, 8/9 back/forward). */
  button(button: number, down: boolean): void;
  /** Presses or releases the key that produces `keysym`, adding Shift or remapping a spare key when needed. */
  key(keysym: number, down: boolean): void;
  /** Releases every key and button this injector holds down. */
  releaseAll(): void;
  /** Releases held input, restores any remapped keys and closes the connection. Idempotent. */
  close(): void;
}
