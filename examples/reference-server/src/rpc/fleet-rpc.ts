import type { ConnectRouter } from '@connectrpc/connect';
import { Channel, MachineService, SessionMode, SessionService } from '@guruconnect/protocol';
import { machineToWire, sessionToWire, ts } from './proto-mapping.js';
import type { RpcDeps } from './rpc-context.js';
import { guarded, operatorOf } from './rpc-context.js';

/** MachineService and SessionService: the console's fleet and sessions. */
export function registerFleetRpc(router: ConnectRouter, deps: RpcDeps): void {
  const { kit, currentAgentVersion } = deps;

  router.service(MachineService, {
    listMachines: (req, ctx) =>
      guarded(ctx, async () => {
        const page = await kit.machines.search(await operatorOf(kit, ctx), req.query, {
          pageSize: req.pageSize || undefined,
          pageToken: req.pageToken || undefined,
        });
        const presence = deps.presence();
        return {
          machines: page.machines.map((m) => machineToWire(m, presence, currentAgentVersion)),
          total: page.total,
          nextPageToken: page.nextPageToken ?? '',
        };
      }),
    getMachine: (req, ctx) =>
      guarded(ctx, async () => {
        const m = await kit.machines.get(await operatorOf(kit, ctx), req.machineId);
        const active = await kit.machines.activeSessionId(m.machineId);
        return { machine: machineToWire(m, deps.presence(), currentAgentVersion, active) };
      }),
    updateMachine: (req, ctx) =>
      guarded(ctx, async () => {
        const m = await kit.machines.update(await operatorOf(kit, ctx), req.machineId, {
          displayName: req.displayName || undefined,
          company: req.company || undefined,
          site: req.site || undefined,
          department: req.department || undefined,
          deviceType: req.deviceType || undefined,
          tags: req.tags.length ? req.tags : undefined,
        });
        return { machine: machineToWire(m, deps.presence(), currentAgentVersion) };
      }),
    removeMachines: (req, ctx) =>
      guarded(ctx, async () => ({
        removed: await kit.machines.remove(await operatorOf(kit, ctx), req.machineIds),
      })),
  });

  router.service(SessionService, {
    listSessions: (req, ctx) =>
      guarded(ctx, async () => {
        const page = await kit.sessions.list(await operatorOf(kit, ctx), {
          liveOnly: req.liveOnly,
          machineId: req.machineId || undefined,
          pageSize: req.pageSize || undefined,
          pageToken: req.pageToken || undefined,
        });
        const presence = deps.presence();
        return {
          sessions: page.sessions.map((s) => sessionToWire(s, presence)),
          nextPageToken: page.nextPageToken ?? '',
        };
      }),
    startSession: (req, ctx) =>
      guarded(ctx, async () => {
        const caller = await operatorOf(kit, ctx);
        const s = await kit.sessions.start(caller, {
          machineId: req.machineId,
          mode: req.mode === SessionMode.ATTENDED ? 'attended' : 'unattended',
        });
        return { session: sessionToWire(s, deps.presence()) };
      }),
    createSupportCode: (req, ctx) =>
      guarded(ctx, async () => {
        const code = await kit.supportCodes.create(await operatorOf(kit, ctx), {
          ttlSeconds: req.ttlSeconds || undefined,
        });
        return { code: code.code, sessionId: code.sessionId, expiresAt: ts(code.expiresAt) };
      }),
    joinSession: (req, ctx) =>
      guarded(ctx, async () => {
        const caller = await operatorOf(kit, ctx);
        const me = await kit.users.me(caller);
        const minted = await kit.viewerTokens.mint(caller, {
          sessionId: req.sessionId,
          channels: req.channels.length ? req.channels : [Channel.VIEW, Channel.CONTROL],
          viewerName: me.displayName || me.email,
        });
        return { viewerToken: minted.token, expiresAt: ts(minted.expiresAt) };
      }),
    endSession: (req, ctx) =>
      guarded(ctx, async () => {
        await kit.sessions.end(await operatorOf(kit, ctx), req.sessionId, 'ended by technician');
        return {};
      }),
    removeSessions: (req, ctx) =>
      guarded(ctx, async () => ({
        removed: await kit.sessions.remove(await operatorOf(kit, ctx), req.sessionIds),
      })),
    listRecordings: (req, ctx) =>
      guarded(ctx, async () => {
        const page = await kit.recordings.list(await operatorOf(kit, ctx), {
          sessionId: req.sessionId || undefined,
          pageSize: req.pageSize || undefined,
          pageToken: req.pageToken || undefined,
        });
        return {
          recordings: page.recordings.map((r) => ({
            recordingId: r.recordingId,
            sessionId: r.sessionId,
            machineName: r.machineName,
            sizeBytes: BigInt(r.sizeBytes),
            startedAt: ts(r.startedAt),
            endedAt: ts(r.endedAt),
          })),
          nextPageToken: page.nextPageToken ?? '',
        };
      }),
  });
}
