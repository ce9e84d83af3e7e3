import { SessionState_State } from '@guruconnect/protocol';
import { RelayError, RelayErrorCode } from './relay-error.js';

/** The states a relay session can be in (the wire enum minus UNSPECIFIED). */
export type RelaySessionState =
  | SessionState_State.WAITING_FOR_AGENT
  | SessionState_State.READY
  | SessionState_State.AWAITING_CONSENT
  | SessionState_State.ACTIVE
  | SessionState_State.AGENT_LOST
  | SessionState_State.ENDED;

const S = SessionState_State;

/**
 * Every allowed move. WAITING_FOR_AGENT → READY when the machine's agent binds; READY →
 * AWAITING_CONSENT (attended, first viewer) or ACTIVE (unattended, or consent already given);
 * AWAITING_CONSENT → READY when every viewer left before the answer; ACTIVE → READY when the
 * last viewer of an attended session left; any live state → AGENT_LOST when the agent drops
 * (except WAITING_FOR_AGENT, which has none); AGENT_LOST → READY when it returns; anything →
 * ENDED, once.
 */
export const SESSION_TRANSITIONS: Readonly<Record<RelaySessionState, readonly RelaySessionState[]>> = {
  [S.WAITING_FOR_AGENT]: [S.READY, S.ENDED],
  [S.READY]: [S.AWAITING_CONSENT, S.ACTIVE, S.AGENT_LOST, S.ENDED],
  [S.AWAITING_CONSENT]: [S.ACTIVE, S.READY, S.AGENT_LOST, S.ENDED],
  [S.ACTIVE]: [S.READY, S.AGENT_LOST, S.ENDED],
  [S.AGENT_LOST]: [S.READY, S.ENDED],
  [S.ENDED]: [],
};

/** A session's state with the transition table enforced: an impossible move throws. */
export class SessionStateMachine {
  #state: RelaySessionState;

  constructor(initial: RelaySessionState) {
    this.#state = initial;
  }

  get state(): RelaySessionState {
    return this.#state;
  }

  /** Whether `to` is a legal next state. */
  can(to: RelaySessionState): boolean {
    return SESSION_TRANSITIONS[this.#state].includes(to);
  }

  /** Moves to `to`; throws `GC_ERR_RELAY_BAD_TRANSITION` when the table forbids it. */
  transition(to: RelaySessionState): void {
    if (!this.can(to)) {
      throw new RelayError(
        RelayErrorCode.BadTransition,
        `session cannot move from ${S[this.#state]} to ${S[to]}`,
      );
    }
    this.#state = to;
  }
}
