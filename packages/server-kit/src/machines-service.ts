import { randomUUID } from 'node:crypto';
import type { AgentStatus } from '@guruconnect/protocol';
import { and, asc, count, desc, eq, inArray, isNull, ne, type SQL, sql } from 'drizzle-orm';
import type { AuditService } from './audit-service.js';
import { encodePageToken, pageBounds } from './audit-service.js';
import { agentKeys, machines, sessions } from './db/schema.js';
import type { KeysService } from './keys-service.js';
import { actorOf, type Caller, type KitContext } from './kit-context.js';
import { searchCondition } from './machine-search.js';
import { invalid, notFound, requireRight, withCorrelation } from './require-right.js';
import { isUuid } from './users-service.js';

export type MachineRow = typeof machines.$inferSelect;

export interface MachineInventory {
  osName: string;
  osVersion: string;
  kernel: string;
  arch: string;
  cpuModel: string;
  cpuCores: number;
  ramBytes: number;
  ipAddresses: string[];
  loggedOnUser: string;
  uptimeSeconds: number;
  timeZone: string;
  agentVersion: string;
  terminalOnly: boolean;
}

export interface MachineView {
  machineId: string;
  machineUid: string | undefined;
  /** 'managed' (agent key) or 'support' (one-off attended agent). */
  kind: string;
  deviceId: string | undefined;
  ownerIntegrationId: string | undefined;
  displayName: string;
  hostname: string;
  company: string;
  site: string;
  department: string;
  deviceType: string;
  tags: string[];
  online: boolean;
  lastSeenAt: Date | undefined;
  inventory: MachineInventory;
  createdAt: Date;
}

export function toMachineView(row: MachineRow): MachineView {
  return {
    machineId: row.id,
    machineUid: row.machineUid ?? undefined,
    kind: row.kind,
    deviceId: row.deviceId ?? undefined,
    ownerIntegrationId: row.ownerIntegrationId ?? undefined,
    displayName: row.displayName || row.hostname,
    hostname: row.hostname,
    company: row.company,
    site: row.site,
    department: row.department,
    deviceType: row.deviceType,
    tags: row.tags,
    online: row.online,
    lastSeenAt: row.lastSeenAt ?? undefined,
    inventory: {
      osName: row.osName,
      osVersion: row.osVersion,
      kernel: row.kernel,
      arch: row.arch,
      cpuModel: row.cpuModel,
      cpuCores: row.cpuCores,
      ramBytes: row.ramBytes,
      ipAddresses: row.ipAddresses,
      loggedOnUser: row.loggedOnUser,
      uptimeSeconds: row.uptimeSeconds,
      timeZone: row.timeZone,
      agentVersion: row.agentVersion,
      terminalOnly: row.terminalOnly,
    },
    createdAt: row.createdAt,
  };
}

export interface MachineSearchOptions {
  /** 1–500; default 100. */
  pageSize?: number;
  pageToken?: string;
}

export interface MachinePage {
  machines: MachineView[];
  total: number;
  nextPageToken?: string;
}

export interface MachinePatch {
  displayName?: string;
  company?: string;
  site?: string;
  department?: string;
  deviceType?: string;
  tags?: string[];
}

function text(value: string | undefined, what: string, max: number): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > max)
    throw invalid(undefined, `${what} must be at most ${max} characters`);
  return value;
}

/** Machines: search, edit, remove, and the online/inventory state the relay reports. */
export class MachinesService {
  readonly #ctx: KitContext;
  readonly #audit: AuditService;
  readonly #keys: KeysService;

  constructor(ctx: KitContext, audit: AuditService, keys: KeysService) {
    this.#ctx = ctx;
    this.#audit = audit;
    this.#keys = keys;
  }

  /**
   * Universal search: multi-term AND, free terms on the trigram-indexed search text, `field:value`
   * scoping (os:, user:, ip:, tag:, company:, site:, host:). Online machines first, then by name.
   * An integration sees only its own machines.
   */
  async search(caller: Caller, query = '', options: MachineSearchOptions = {}): Promise<MachinePage> {
    requireRight(caller, 'machine.list');
    const { limit, offset } = pageBounds(options.pageSize, options.pageToken);
    const conditions: (SQL | undefined)[] = [searchCondition(query)];
    if (caller.principal.kind === 'integration')
      conditions.push(eq(machines.ownerIntegrationId, caller.principal.integrationId));
    const where = and(...conditions);
    const [totalRow] = await this.#ctx.db.select({ total: count() }).from(machines).where(where);
    const rows = await this.#ctx.db
      .select()
      .from(machines)
      .where(where)
      .orderBy(
        desc(machines.online),
        asc(sql`lower(coalesce(nullif(${machines.displayName}, ''), ${machines.hostname}))`),
        asc(machines.id),
      )
      .limit(limit)
      .offset(offset);
    const total = Number(totalRow?.total ?? 0);
    const page: MachinePage = { machines: rows.map(toMachineView), total };
    if (offset + rows.length < total) page.nextPageToken = encodePageToken(offset + limit);
    return page;
  }

  async get(caller: Caller, machineId: string): Promise<MachineView> {
    const row = await this.getRow(machineId);
    requireRight(caller, 'machine.read', { ownerIntegrationId: row?.ownerIntegrationId ?? null });
    if (row === undefined) throw notFound(caller, 'Machine');
    return toMachineView(row);
  }

  /**
   * The integration's machine for its own device id (integration contract: sessions and support
   * codes address devices, not machine ids). Another integration's device is "not found".
   */
  async getByDevice(caller: Caller, deviceId: string): Promise<MachineView> {
    if (caller.principal.kind !== 'integration')
      throw invalid(caller, 'Only integration keys address devices');
    const [row] = await this.#ctx.db
      .select()
      .from(machines)
      .where(
        and(eq(machines.ownerIntegrationId, caller.principal.integrationId), eq(machines.deviceId, deviceId)),
      );
    if (row === undefined) throw notFound(caller, 'Device');
    requireRight(caller, 'machine.read', { ownerIntegrationId: row.ownerIntegrationId });
    return toMachineView(row);
  }

  async getRow(machineId: string): Promise<MachineRow | undefined> {
    if (!isUuid(machineId)) return undefined;
    return (await this.#ctx.db.select().from(machines).where(eq(machines.id, machineId)))[0];
  }

  async update(caller: Caller, machineId: string, patch: MachinePatch): Promise<MachineView> {
    const current = await this.getRow(machineId);
    requireRight(caller, 'machine.update', { ownerIntegrationId: current?.ownerIntegrationId ?? null });
    if (current === undefined) throw notFound(caller, 'Machine');
    const tags = patch.tags?.map((tag) => text(tag, 'tag', 64) as string);
    const set = {
      ...(patch.displayName === undefined
        ? {}
        : { displayName: text(patch.displayName, 'displayName', 200) }),
      ...(patch.company === undefined ? {} : { company: text(patch.company, 'company', 200) }),
      ...(patch.site === undefined ? {} : { site: text(patch.site, 'site', 200) }),
      ...(patch.department === undefined ? {} : { department: text(patch.department, 'department', 200) }),
      ...(patch.deviceType === undefined ? {} : { deviceType: text(patch.deviceType, 'deviceType', 100) }),
      ...(tags === undefined ? {} : { tags }),
    };
    if (Object.keys(set).length === 0) return toMachineView(current);
    const [row] = await this.#ctx.db.update(machines).set(set).where(eq(machines.id, machineId)).returning();
    await this.#audit.record({
      type: 'machine.updated',
      actor: actorOf(caller.principal),
      target: `machine:${machineId}`,
      outcome: 'success',
      ...withCorrelation(caller),
    });
    return toMachineView(row!);
  }

  /**
   * Bulk removal: revokes the machines' agent keys (their live sockets are told to close), then
   * deletes the machines with their sessions. Unknown ids are ignored. Returns how many were removed.
   */
  async remove(caller: Caller, machineIds: string[]): Promise<number> {
    requireRight(caller, 'machine.remove');
    const ids = [...new Set(machineIds.filter(isUuid))];
    if (ids.length === 0) return 0;
    const now = this.#ctx.clock.now();
    const correlationId = caller.correlationId ?? randomUUID();
    const { revoked, removed } = await this.#ctx.db.transaction(async (tx) => {
      const revokedKeys = await tx
        .update(agentKeys)
        .set({ revokedAt: now })
        .where(and(inArray(agentKeys.machineId, ids), isNull(agentKeys.revokedAt)))
        .returning({ keyId: agentKeys.id, machineId: agentKeys.machineId });
      const deleted = await tx
        .delete(machines)
        .where(inArray(machines.id, ids))
        .returning({ id: machines.id });
      return { revoked: revokedKeys, removed: deleted };
    });
    for (const key of revoked) this.#keys.notifyAgentKeyRevoked({ ...key, correlationId });
    for (const machine of removed) {
      await this.#audit.record({
        type: 'machine.removed',
        actor: actorOf(caller.principal),
        target: `machine:${machine.id}`,
        outcome: 'success',
        correlationId,
      });
    }
    return removed.length;
  }

  /** Relay: the machine's agent connected. */
  async markOnline(machineId: string, remoteAddress: string, at: Date): Promise<void> {
    await this.#ctx.db
      .update(machines)
      .set({ online: true, lastSeenAt: at, lastRemoteAddress: remoteAddress })
      .where(eq(machines.id, machineId));
  }

  /** Relay: the machine's agent disconnected. */
  async markOffline(machineId: string, at: Date): Promise<void> {
    await this.#ctx.db
      .update(machines)
      .set({ online: false, lastSeenAt: at })
      .where(eq(machines.id, machineId));
  }

  /** Relay: an AgentStatus arrived; stores its inventory. */
  async applyStatus(machineId: string, status: AgentStatus, at: Date): Promise<void> {
    const inv = status.inventory;
    const clip = (value: string | undefined, max = 256) => (value ?? '').slice(0, max);
    const ips = (inv?.interfaces ?? [])
      .flatMap((iface) => iface.addresses)
      .slice(0, 64)
      .map((ip) => clip(ip, 64));
    await this.#ctx.db
      .update(machines)
      .set({
        lastSeenAt: at,
        terminalOnly: status.terminalOnly,
        ...(inv === undefined
          ? {}
          : {
              osName: clip(inv.osName),
              osVersion: clip(inv.osVersion),
              kernel: clip(inv.kernel),
              arch: clip(inv.arch, 32),
              cpuModel: clip(inv.cpuModel),
              cpuCores: Math.min(inv.cpuCores, 100_000),
              ramBytes: Number(inv.ramBytes),
              ipAddresses: ips,
              loggedOnUser: clip(inv.loggedOnUser),
              uptimeSeconds: Number(inv.uptimeSeconds),
              timeZone: clip(inv.timeZone, 64),
              agentVersion: clip(inv.agentVersion, 64),
              ...(inv.hostname ? { hostname: clip(inv.hostname, 253) } : {}),
            }),
      })
      .where(eq(machines.id, machineId));
  }

  /** Every machine offline (start-up reconciliation: no socket survives a restart). */
  async markAllOffline(): Promise<number> {
    const rows = await this.#ctx.db
      .update(machines)
      .set({ online: false })
      .where(eq(machines.online, true))
      .returning({ id: machines.id });
    return rows.length;
  }

  /** The live (not ended) session of a machine, if any. */
  async activeSessionId(machineId: string): Promise<string | undefined> {
    const [row] = await this.#ctx.db
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(eq(sessions.machineId, machineId), ne(sessions.state, 'ended')))
      .orderBy(desc(sessions.createdAt))
      .limit(1);
    return row?.id;
  }
}
