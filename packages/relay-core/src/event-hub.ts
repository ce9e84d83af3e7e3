import type { RelayEvent, RelayEventOf, RelayEventType } from './hooks.js';
import { RelayError, RelayErrorCode } from './relay-error.js';

export interface EventHubOptions {
  /** Receives every event before the typed listeners. */
  onEvent: ((event: RelayEvent) => void) | undefined;
  /** Receives a listener's throw; the other listeners still run. */
  reportError: (error: RelayError) => void;
}

/** Typed fan-out of {@link RelayEvent}s. A throwing listener never reaches the relay's logic. */
export class EventHub {
  readonly #options: EventHubOptions;
  readonly #listeners = new Map<RelayEventType, Set<(event: RelayEvent) => void>>();

  constructor(options: EventHubOptions) {
    this.#options = options;
  }

  on<T extends RelayEventType>(type: T, listener: (event: RelayEventOf<T>) => void): () => void {
    let set = this.#listeners.get(type);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(type, set);
    }
    const entry = listener as (event: RelayEvent) => void;
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  }

  emit(event: RelayEvent): void {
    if (this.#options.onEvent !== undefined) this.#deliver(this.#options.onEvent, event);
    const set = this.#listeners.get(event.type);
    if (set !== undefined) for (const listener of [...set]) this.#deliver(listener, event);
  }

  #deliver(listener: (event: RelayEvent) => void, event: RelayEvent): void {
    try {
      listener(event);
    } catch (cause) {
      this.#options.reportError(
        new RelayError(RelayErrorCode.ListenerFailed, `a ${event.type} listener threw`, { cause }),
      );
    }
  }
}
