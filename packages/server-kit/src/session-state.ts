import { SessionState_State } from '@guruconnect/protocol';
import { ServerKitError, ServerKitErrorCode } from './server-kit-error.js';

/** A session's stored state (the `sessions.state` column). */
export type SessionStateName =
  | 'waiting_for_agent'
  | 'ready'
  | 'awaiting_consent'
  | 'active'
  | 'agent_lost'
  | 'ended';

/** Live = not ended. */
export const LIVE_STATES: readonly SessionStateName[] = [
  'waiting_for_agent',
  'ready',
  'awaiting_consent',
  'active',
  'agent_lost',
];

/** Allowed moves. Staying in the same state is always allowed (the relay may repeat itself). */
const TRANSITIONS: Record<SessionStateName, readonly SessionStateName[]> = {
  waiting_for_agent: ['ready', 'awaiting_consent', 'active', 'agent_lost', 'ended'],
  ready: ['waiting_for_agent', 'awaiting_consent', 'active', 'agent_lost', 'ended'],
  awaiting_consent: ['ready', 'active', 'agent_lost', 'ended'],
  active: ['ready', 'agent_lost', 'ended'],
  agent_lost: ['waiting_for_agent', 'ready', 'awaiting_consent', 'active', 'ended'],
  ended: [],
};

export function canTransition(from: SessionStateName, to: SessionStateName): boolean {
  return from === to || TRANSITIONS[from].includes(to);
}

/** Throws GC_ERR_FAILED_PRECONDITION on an impossible move (an ended session never comes back). */
export function assertTransition(from: SessionStateName, to: SessionStateName, correlationId?: string): void {
  if (!canTransition(from, to)) {
    throw new ServerKitError(
      ServerKitErrorCode.FailedPrecondition,
      `Session cannot move from ${from} to ${to}`,
      {
        ...(correlationId === undefined ? {} : { correlationId }),
      },
    );
  }
}

const FROM_WIRE: Partial<Record<SessionState_State, SessionStateName>> = {
  [SessionState_State.WAITING_FOR_AGENT]: 'waiting_for_agent',
  [SessionState_State.READY]: 'ready',
  [SessionState_State.AWAITING_CONSENT]: 'awaiting_consent',
  [SessionState_State.ACTIVE]: 'active',
  [SessionState_State.AGENT_LOST]: 'agent_lost',
  [SessionState_State.ENDED]: 'ended',
};

const TO_WIRE: Record<SessionStateName, SessionState_State> = {
  waiting_for_agent: SessionState_State.WAITING_FOR_AGENT,
  ready: SessionState_State.READY,
  awaiting_consent: SessionState_State.AWAITING_CONSENT,
  active: SessionState_State.ACTIVE,
  agent_lost: SessionState_State.AGENT_LOST,
  ended: SessionState_State.ENDED,
};

export function stateFromWire(state: SessionState_State): SessionStateName | undefined {
  return FROM_WIRE[state];
}

export function stateToWire(state: SessionStateName): SessionState_State {
  return TO_WIRE[state];
}
