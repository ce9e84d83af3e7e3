import { describe, expect, it } from 'vitest';
import type { ConnectionState } from './connection-state.js';
import {
  CONNECTION_TRANSITIONS,
  ConnectionStateMachine,
  canTransition,
  statusText,
} from './connection-state.js';
import { ViewerError } from './viewer-error.js';

const samples: Record<ConnectionState['kind'], ConnectionState> = {
  idle: { kind: 'idle' },
  connecting: { kind: 'connecting', attempt: 1, waitingForAgent: false },
  'awaiting-consent': { kind: 'awaiting-consent' },
  connected: { kind: 'connected' },
  reconnecting: {
    kind: 'reconnecting',
    attempt: 1,
    delayMs: 500,
    code: 1001,
    message: 'The server is restarting. Reconnecting…',
  },
  ended: {
    kind: 'ended',
    code: 4006,
    reason: 'consent_declined',
    message: 'The user declined the connection.',
  },
};

function machineIn(kind: ConnectionState['kind']): ConnectionStateMachine {
  const machine = new ConnectionStateMachine();
  const path: Record<ConnectionState['kind'], ConnectionState['kind'][]> = {
    idle: [],
    connecting: ['connecting'],
    'awaiting-consent': ['connecting', 'awaiting-consent'],
    connected: ['connecting', 'connected'],
    reconnecting: ['connecting', 'reconnecting'],
    ended: ['connecting', 'ended'],
  };
  for (const step of path[kind]) machine.transition(samples[step]);
  return machine;
}

describe('ConnectionStateMachine', () => {
  it('allows exactly the moves in the table and throws GC_ERR_VIEWER_STATE on any other', () => {
    const kinds = Object.keys(samples) as ConnectionState['kind'][];
    for (const from of kinds) {
      for (const to of kinds) {
        const machine = machineIn(from);
        if (CONNECTION_TRANSITIONS[from].includes(to)) {
          expect(machine.transition(samples[to])).toBe(samples[to]);
        } else {
          expect(() => machine.transition(samples[to])).toThrow(ViewerError);
          expect(machine.state.kind).toBe(from);
        }
        expect(canTransition(from, to)).toBe(CONNECTION_TRANSITIONS[from].includes(to));
      }
    }
    expect(() => new ConnectionStateMachine().transition(samples.connected)).toThrow(
      expect.objectContaining({ code: 'GC_ERR_VIEWER_STATE' }),
    );
  });

  it('has status text for every state', () => {
    expect(statusText(samples.idle)).toBe('Not connected.');
    expect(statusText(samples.connecting)).toBe('Connecting…');
    expect(statusText({ kind: 'connecting', attempt: 3, waitingForAgent: false })).toBe(
      'Connecting (attempt 3)…',
    );
    expect(statusText({ kind: 'connecting', attempt: 1, waitingForAgent: true })).toContain('remote machine');
    expect(statusText(samples['awaiting-consent'])).toContain('accept');
    expect(statusText(samples.connected)).toBe('Connected.');
    expect(statusText(samples.reconnecting)).toBe('The server is restarting. Reconnecting…');
    expect(
      statusText({ ...samples.reconnecting, message: 'The connection was too slow.' } as ConnectionState),
    ).toBe('The connection was too slow. Reconnecting…');
    expect(statusText(samples.ended)).toBe('The user declined the connection.');
  });
});
