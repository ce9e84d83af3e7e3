import type { Timestamp } from '@bufbuild/protobuf/wkt';
import { management, SessionMode, SessionState_State } from '@guruconnect/protocol';

export function toDate(ts: Timestamp | undefined): Date | undefined {
  if (!ts) return undefined;
  return new Date(Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1e6));
}

export function formatTime(ts: Timestamp | undefined): string {
  const d = toDate(ts);
  return d ? d.toLocaleString() : '—';
}

/** "3 min", "2 h 5 min": how long since `ts`. */
export function since(ts: Timestamp | undefined, now = Date.now()): string {
  const d = toDate(ts);
  if (!d) return '—';
  const s = Math.max(0, Math.round((now - d.getTime()) / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function formatBytes(n: bigint | number): string {
  let v = Number(n);
  for (const unit of ['B', 'KiB', 'MiB', 'GiB', 'TiB']) {
    if (v < 1024 || unit === 'TiB') return `${v.toFixed(unit === 'B' ? 0 : 1)} ${unit}`;
    v /= 1024;
  }
  return `${v}`;
}

const STATE_LABEL: Record<SessionState_State, string> = {
  [SessionState_State.UNSPECIFIED]: 'unknown',
  [SessionState_State.WAITING_FOR_AGENT]: 'waiting for agent',
  [SessionState_State.READY]: 'ready',
  [SessionState_State.AWAITING_CONSENT]: 'awaiting consent',
  [SessionState_State.ACTIVE]: 'active',
  [SessionState_State.AGENT_LOST]: 'agent lost',
  [SessionState_State.ENDED]: 'ended',
};

export function stateLabel(s: SessionState_State): string {
  return STATE_LABEL[s] ?? 'unknown';
}

export function modeLabel(m: SessionMode): string {
  return m === SessionMode.ATTENDED ? 'attended' : m === SessionMode.UNATTENDED ? 'unattended' : '—';
}

export function roleLabel(r: management.Role): string {
  return r === management.Role.ADMIN
    ? 'admin'
    : r === management.Role.TECHNICIAN
      ? 'technician'
      : r === management.Role.END_USER
        ? 'end user'
        : '—';
}
