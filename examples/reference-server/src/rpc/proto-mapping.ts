import { create } from '@bufbuild/protobuf';
import type { Timestamp } from '@bufbuild/protobuf/wkt';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { InventorySchema, management, SessionMode, type SessionState_State } from '@guruconnect/protocol';
import type {
  AuditEvent,
  KeyInfo,
  KeyKind,
  MachineView,
  Role,
  SessionStateName,
  SessionView,
  UserView,
} from '@guruconnect/server-kit';
import { stateToWire } from '@guruconnect/server-kit';
import type { Presence } from './rpc-context.js';

export function ts(date: Date | undefined): Timestamp | undefined {
  return date ? timestampFromDate(date) : undefined;
}

const ROLE_TO_WIRE: Record<Role, management.Role> = {
  admin: management.Role.ADMIN,
  technician: management.Role.TECHNICIAN,
  end_user: management.Role.END_USER,
};

export function roleToWire(role: Role): management.Role {
  return ROLE_TO_WIRE[role];
}

export function roleFromWire(role: management.Role): Role | undefined {
  return (Object.entries(ROLE_TO_WIRE) as [Role, management.Role][]).find(([, w]) => w === role)?.[0];
}

const KIND_TO_WIRE: Record<KeyKind, management.KeyKind> = {
  agent: management.KeyKind.AGENT,
  'api-token': management.KeyKind.API_TOKEN,
  enrollment: management.KeyKind.ENROLLMENT,
  integration: management.KeyKind.INTEGRATION,
};

export function kindFromWire(kind: management.KeyKind): KeyKind | undefined {
  return (Object.entries(KIND_TO_WIRE) as [KeyKind, management.KeyKind][]).find(([, w]) => w === kind)?.[0];
}

export function userToWire(u: UserView): management.User {
  return create(management.UserSchema, {
    userId: u.userId,
    email: u.email,
    displayName: u.displayName,
    role: roleToWire(u.role),
    disabled: u.disabled,
    totpEnabled: u.totpEnabled,
    createdAt: ts(u.createdAt),
    lastLoginAt: ts(u.lastLoginAt),
  });
}

/** Semver-ish comparison good enough to flag outdated agents ("0.9.1" < "0.10.0"). */
export function isOlderVersion(version: string, current: string): boolean {
  if (!version) return false;
  const a = version.split(/[.-]/).map((p) => Number.parseInt(p, 10) || 0);
  const b = current.split(/[.-]/).map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < 3; i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0);
  }
  return false;
}

export function machineToWire(
  m: MachineView,
  presence: Presence,
  currentAgentVersion: string,
  activeSessionId = '',
): management.Machine {
  const inv = m.inventory;
  return create(management.MachineSchema, {
    machineId: m.machineId,
    machineUid: m.machineUid ?? '',
    deviceId: m.deviceId ?? '',
    displayName: m.displayName,
    company: m.company,
    site: m.site,
    department: m.department,
    deviceType: m.deviceType,
    tags: m.tags,
    online: m.online,
    lastSeenAt: ts(m.lastSeenAt),
    agentOutdated: isOlderVersion(inv.agentVersion, currentAgentVersion),
    activeSessionId,
    technicians: presence
      .technicians(m.machineId)
      .map((t) => ({ userId: t.userId, displayName: t.displayName, joinedAt: ts(t.joinedAt) })),
    inventory: create(InventorySchema, {
      osName: inv.osName,
      osVersion: inv.osVersion,
      kernel: inv.kernel,
      arch: inv.arch,
      hostname: m.hostname,
      cpuModel: inv.cpuModel,
      cpuCores: inv.cpuCores,
      ramBytes: BigInt(Math.max(0, Math.trunc(inv.ramBytes))),
      interfaces: inv.ipAddresses.length ? [{ name: '', mac: '', addresses: inv.ipAddresses }] : [],
      loggedOnUser: inv.loggedOnUser,
      uptimeSeconds: BigInt(Math.max(0, Math.trunc(inv.uptimeSeconds))),
      timeZone: inv.timeZone,
      agentVersion: inv.agentVersion,
      machineUid: m.machineUid ?? '',
    }),
  });
}

export function modeToWire(mode: SessionView['mode']): SessionMode {
  return mode === 'attended' ? SessionMode.ATTENDED : SessionMode.UNATTENDED;
}

export function sessionStateToWire(state: SessionStateName): SessionState_State {
  return stateToWire(state);
}

export function sessionToWire(s: SessionView, presence: Presence): management.SessionSummary {
  return create(management.SessionSummarySchema, {
    sessionId: s.sessionId,
    machineId: s.machineId ?? '',
    machineName: s.machineName ?? '',
    mode: modeToWire(s.mode),
    state: sessionStateToWire(s.state),
    source: s.source,
    createdAt: ts(s.createdAt),
    startedAt: ts(s.startedAt),
    endedAt: ts(s.endedAt),
    technicians: presence
      .sessionViewers(s.sessionId)
      .map((t) => ({ userId: t.userId, displayName: t.displayName, joinedAt: ts(t.joinedAt) })),
  });
}

export function keyToWire(k: KeyInfo): management.KeyInfo {
  return create(management.KeyInfoSchema, {
    keyId: k.keyId,
    kind: KIND_TO_WIRE[k.kind],
    name: k.name,
    fingerprint: k.fingerprint,
    machineId: k.machineId ?? '',
    site: k.site ?? '',
    company: k.company ?? '',
    createdAt: ts(k.createdAt),
    revokedAt: ts(k.revokedAt),
    lastUsedAt: ts(k.lastUsedAt),
  });
}

export function auditToWire(e: AuditEvent): management.AuditEvent {
  return create(management.AuditEventSchema, {
    eventId: e.eventId,
    type: e.type,
    actor: e.actor,
    target: e.target,
    outcome: e.outcome,
    correlationId: e.correlationId,
    sessionId: e.sessionId ?? '',
    occurredAt: ts(e.occurredAt),
    detail: e.detail,
  });
}
