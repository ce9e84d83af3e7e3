import { SessionState_State as S } from '@guruconnect/protocol';
import { describe, expect, it } from 'vitest';
import { RelayError } from './relay-error.js';
import { type RelaySessionState, SESSION_TRANSITIONS, SessionStateMachine } from './session-state-machine.js';

describe('SessionStateMachine', () => {
  it('follows the table through a whole attended session', () => {
    const machine = new SessionStateMachine(S.WAITING_FOR_AGENT);
    const path: RelaySessionState[] = [
      S.READY,
      S.AWAITING_CONSENT,
      S.ACTIVE,
      S.AGENT_LOST,
      S.READY,
      S.ACTIVE,
      S.ENDED,
    ];
    for (const to of path) {
      machine.transition(to);
      expect(machine.state).toBe(to);
    }
  });

  it('throws on every move the table does not list', () => {
    const states = Object.keys(SESSION_TRANSITIONS).map(Number) as (keyof typeof SESSION_TRANSITIONS)[];
    let refused = 0;
    for (const from of states) {
      for (const to of states) {
        const machine = new SessionStateMachine(from);
        if (SESSION_TRANSITIONS[from].includes(to)) {
          machine.transition(to);
          continue;
        }
        expect(() => machine.transition(to)).toThrow(RelayError);
        expect(machine.state).toBe(from);
        refused += 1;
      }
    }
    expect(refused).toBeGreaterThan(20);
    // Nothing leaves ENDED, and nothing skips the agent.
    expect(() => new SessionStateMachine(S.ENDED).transition(S.READY)).toThrow(/ENDED to READY/);
    expect(() => new SessionStateMachine(S.WAITING_FOR_AGENT).transition(S.ACTIVE)).toThrow(
      expect.objectContaining({ code: 'GC_ERR_RELAY_BAD_TRANSITION' }),
    );
  });
});
