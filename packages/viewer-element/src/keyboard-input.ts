import { keysymForKey } from './keysym-map.js';

export interface KeyboardInputOptions {
  /** The focusable element whose `keydown` / `keyup` / `blur` are listened to. Required. */
  target: HTMLElement;
  /** Sends one key transition. Called only while `enabled()` is true (releases excepted, see below). */
  send: (keysym: number, down: boolean) => void;
  /** Whether key presses may be sent now (connected, control granted, not view-only). */
  enabled: () => boolean;
}

/**
 * Turns key events on `target` into keysym presses and remembers which keys are down, so that
 * every press the remote side saw gets its release: on keyup, and for all held keys at once
 * when focus leaves, the page is hidden, input is disabled or the viewer disconnects. Without
 * that a Ctrl held while the technician alt-tabs away stays stuck down on the remote machine.
 */
export class KeyboardInput {
  readonly #options: KeyboardInputOptions;
  /** Physical key id (`code`, or `key:` + key for synthetic events) → keysym sent for its press. Insertion-ordered. */
  readonly #held = new Map<string, number>();
  readonly #onKeyDown = (event: KeyboardEvent) => this.#keyDown(event);
  readonly #onKeyUp = (event: KeyboardEvent) => this.#keyUp(event);
  readonly #onBlur = () => this.releaseAll();
  readonly #onVisibility = () => {
    if (document.visibilityState === 'hidden') this.releaseAll();
  };
  #disposed = false;

  constructor(options: KeyboardInputOptions) {
    this.#options = options;
    options.target.addEventListener('keydown', this.#onKeyDown);
    options.target.addEventListener('keyup', this.#onKeyUp);
    options.target.addEventListener('blur', this.#onBlur);
    window.addEventListener('blur', this.#onBlur);
    document.addEventListener('visibilitychange', this.#onVisibility);
  }

  /** Keysyms currently held down, in the order they were pressed. */
  get heldKeysyms(): number[] {
    return [...this.#held.values()];
  }

  /** Releases every held key, most recent first. Safe to call at any time. */
  releaseAll(): void {
    const keys = [...this.#held.values()].reverse();
    this.#held.clear();
    for (const keysym of keys) this.#options.send(keysym, false);
  }

  /** Releases held keys and removes every listener. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.releaseAll();
    const { target } = this.#options;
    target.removeEventListener('keydown', this.#onKeyDown);
    target.removeEventListener('keyup', this.#onKeyUp);
    target.removeEventListener('blur', this.#onBlur);
    window.removeEventListener('blur', this.#onBlur);
    document.removeEventListener('visibilitychange', this.#onVisibility);
  }

  #keyDown(event: KeyboardEvent): void {
    if (!this.#options.enabled() || event.isComposing) return;
    const id = keyId(event);
    // A held key keeps the keysym of its press (Shift pressed while `a` repeats must not turn
    // the repeat into `A` and leave `a` held).
    const keysym = this.#held.get(id) ?? keysymForKey(event);
    if (keysym === undefined) return;
    event.preventDefault();
    event.stopPropagation();
    this.#held.set(id, keysym);
    this.#options.send(keysym, true);
  }

  #keyUp(event: KeyboardEvent): void {
    const id = keyId(event);
    const keysym = this.#held.get(id);
    if (keysym === undefined) return;
    event.preventDefault();
    event.stopPropagation();
    this.#held.delete(id);
    this.#options.send(keysym, false);
  }
}

function keyId(event: KeyboardEvent): string {
  return event.code !== '' ? event.code : `key:${event.key}`;
}
