import type { AgentError } from '../agent-error.js';
import { AgentError as AgentErrorClass, AgentErrorCode } from '../agent-error.js';

/** Where the agent's relay connection is. */
export type ConnectionState =
  | { kind: 'idle' }
  | { kind: 'connecting'; attempt: number; url: string }
  | { kind: 'handshaking'; url: string }
  | { kind: 'connected'; sessionId: string; machineId: string }
  | { kind: 'waiting'; delayMs: number; reason: string; closeCode: number | undefined }
  | { kind: 'stopped'; error: AgentError | undefined; closeCode: number | undefined };

export type ConnectionStateKind = ConnectionState['kind'];

/** Every legal move; anything else is a bug and throws. */
export const CONNECTION_TRANSITIONS: Readonly<Record<ConnectionStateKind, readonly ConnectionStateKind[]>> = {
  idle: ['connecting', 'stopped'],
  connecting: ['handshaking', 'waiting', 'stopped'],
  handshaking: ['connected', 'waiting', 'stopped'],
  connected: ['waiting', 'stopped'],
  waiting: ['connecting', 'stopped'],
  stopped: [],
};

/** Holds the current {@link ConnectionState} and enforces {@link CONNECTION_TRANSITIONS}. */
export class ConnectionStateMachine {
  #state: ConnectionState = { kind: 'idle' };
  readonly #listeners = new Set<(state: ConnectionState, previous: ConnectionState) => void>();

  get state(): ConnectionState {
    return this.#state;
  }

  /** Moves to `next`, or throws `GC_ERR_AGENT_ILLEGAL_TRANSITION`. */
  transition(next: ConnectionState): void {
    const previous = this.#state;
    if (!CONNECTION_TRANSITIONS[previous.kind].includes(next.kind)) {
      throw new AgentErrorClass(
        AgentErrorCode.IllegalTransition,
        `connection state cannot go from ${previous.kind} to ${next.kind}`,
      );
    }
    this.#state = next;
    for (const listener of this.#listeners) listener(next, previous);
  }

  onChange(listener: (state: ConnectionState, previous: ConnectionState) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
