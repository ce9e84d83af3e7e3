import { ViewerError, ViewerErrorCode } from './viewer-error.js';

/**
 * Where a `<gc-viewer>` is in its life. `ended` is final for one connection attempt chain;
 * `connect()` may start a new one from `idle` or `ended`.
 */
export type ConnectionState =
  | { readonly kind: 'idle' }
  /** The socket is opening, or the relay accepted the hello but the session is not active yet. */
  | { readonly kind: 'connecting'; readonly attempt: number; readonly waitingForAgent: boolean }
  /** The end user is being asked to accept the connection (attended sessions). */
  | { readonly kind: 'awaiting-consent' }
  /** Screen (and input, when granted) flowing. */
  | { readonly kind: 'connected' }
  /** The connection dropped for a reason that allows retrying; the next attempt starts after `delayMs`. */
  | {
      readonly kind: 'reconnecting';
      readonly attempt: number;
      readonly delayMs: number;
      readonly code: number;
      readonly message: string;
    }
  /** Closed for good: `code` is the close code, `message` what a person sees. */
  | { readonly kind: 'ended'; readonly code: number; readonly reason: string; readonly message: string };

export type ConnectionStateKind = ConnectionState['kind'];

/** Every move the viewer may make; anything else is a bug and throws. */
export const CONNECTION_TRANSITIONS: Readonly<Record<ConnectionStateKind, readonly ConnectionStateKind[]>> = {
  idle: ['connecting'],
  connecting: ['connecting', 'awaiting-consent', 'connected', 'reconnecting', 'ended'],
  'awaiting-consent': ['connected', 'reconnecting', 'ended'],
  connected: ['reconnecting', 'ended'],
  reconnecting: ['connecting', 'ended'],
  ended: ['connecting'],
};

/** Whether `from → to` is in {@link CONNECTION_TRANSITIONS}. */
export function canTransition(from: ConnectionStateKind, to: ConnectionStateKind): boolean {
  return CONNECTION_TRANSITIONS[from].includes(to);
}

/**
 * Holds the current {@link ConnectionState} and refuses impossible moves, so a protocol
 * message arriving in the wrong phase can never put the element in a state it cannot leave.
 */
export class ConnectionStateMachine {
  #state: ConnectionState = { kind: 'idle' };

  get state(): ConnectionState {
    return this.#state;
  }

  /** Moves to `next`. Throws {@link ViewerError} `GC_ERR_VIEWER_STATE` when the table forbids it. */
  transition(next: ConnectionState): ConnectionState {
    const from = this.#state.kind;
    if (!canTransition(from, next.kind)) {
      throw new ViewerError(
        ViewerErrorCode.InvalidState,
        `impossible connection state move ${from} → ${next.kind}`,
      );
    }
    this.#state = next;
    return next;
  }
}

/** The on-screen text for a state: short, and saying what the person can expect. */
export function statusText(state: ConnectionState): string {
  switch (state.kind) {
    case 'idle':
      return 'Not connected.';
    case 'connecting':
      if (state.waitingForAgent) return 'Waiting for the remote machine to come online…';
      return state.attempt > 1 ? `Connecting (attempt ${state.attempt})…` : 'Connecting…';
    case 'awaiting-consent':
      return 'Waiting for the user to accept the connection…';
    case 'connected':
      return 'Connected.';
    case 'reconnecting':
      return state.message.endsWith('Reconnecting…') ? state.message : `${state.message} Reconnecting…`;
    case 'ended':
      return state.message;
  }
}
