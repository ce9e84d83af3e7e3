import type { Envelope } from '@guruconnect/protocol';
import type { SessionHost } from './connections.js';
import type { TerminalTap } from './hooks.js';
import { RelayError, RelayErrorCode } from './relay-error.js';

/**
 * Hands terminal traffic of a forwarded envelope to `options.onTerminal` (for recording).
 * `viewerId` is the viewer the channel belongs to: the stamp on viewer → agent messages, the
 * target of agent → viewer ones. Other payload kinds cost one switch.
 */
export function tapTerminal(
  host: SessionHost,
  session: { id: string; machineId: string },
  viewerId: string,
  envelope: Envelope,
): void {
  const onTerminal = host.options.onTerminal;
  if (onTerminal === undefined) return;
  const base = { sessionId: session.id, machineId: session.machineId, viewerId, at: new Date() };
  const payload = envelope.payload;
  let tap: TerminalTap;
  switch (payload.case) {
    case 'terminalOpen':
      tap = {
        ...base,
        kind: 'open',
        channelId: payload.value.channelId,
        cols: payload.value.cols,
        rows: payload.value.rows,
        term: payload.value.term,
      };
      break;
    case 'terminalResize':
      tap = {
        ...base,
        kind: 'resize',
        channelId: payload.value.channelId,
        cols: payload.value.cols,
        rows: payload.value.rows,
      };
      break;
    case 'terminalData':
      tap = { ...base, kind: 'output', channelId: payload.value.channelId, data: payload.value.data };
      break;
    case 'terminalExit':
      tap = { ...base, kind: 'exit', channelId: payload.value.channelId, exitCode: payload.value.exitCode };
      break;
    default:
      return;
  }
  try {
    onTerminal(tap);
  } catch (cause) {
    host.reportError(new RelayError(RelayErrorCode.ListenerFailed, 'the terminal tap threw', { cause }));
  }
}
