import type { ConnectRouter } from '@connectrpc/connect';
import { AuditService, KeyService, management } from '@guruconnect/protocol';
import type { Caller, CreatedKey, ServerKit } from '@guruconnect/server-kit';
import { ServerKitError, ServerKitErrorCode } from '@guruconnect/server-kit';
import { auditToWire, keyToWire, kindFromWire } from './proto-mapping.js';
import type { RpcDeps } from './rpc-context.js';
import { guarded, operatorOf } from './rpc-context.js';

/** KeyService (long-lived secrets, shown once) and AuditService. */
export function registerAdminRpc(router: ConnectRouter, { kit }: RpcDeps): void {
  router.service(KeyService, {
    listKeys: (req, ctx) =>
      guarded(ctx, async () => {
        const keys = await kit.keys.list(await operatorOf(kit, ctx), {
          kind: kindFromWire(req.kind),
          includeRevoked: req.includeRevoked,
        });
        return { keys: keys.map(keyToWire) };
      }),
    createKey: (req, ctx) =>
      guarded(ctx, async () => {
        const created = await createKey(kit, await operatorOf(kit, ctx), req);
        return { key: keyToWire(created.key), secret: created.secret };
      }),
    revokeKey: (req, ctx) =>
      guarded(ctx, async () => ({
        key: keyToWire(await kit.keys.revoke(await operatorOf(kit, ctx), req.keyId)),
      })),
    rotateEnrollmentKey: (req, ctx) =>
      guarded(ctx, async () => {
        const rotated = await kit.enrollment.rotateEnrollmentKey(await operatorOf(kit, ctx), req.keyId);
        return { key: keyToWire(rotated.key), secret: rotated.secret };
      }),
  });

  router.service(AuditService, {
    listAuditEvents: (req, ctx) =>
      guarded(ctx, async () => {
        const page = await kit.audit.list(await operatorOf(kit, ctx), {
          typePrefix: req.typePrefix || undefined,
          actor: req.actor || undefined,
          target: req.target || undefined,
          sessionId: req.sessionId || undefined,
          since: req.since ? new Date(Number(req.since.seconds) * 1000) : undefined,
          pageSize: req.pageSize || undefined,
          pageToken: req.pageToken || undefined,
        });
        return { events: page.events.map(auditToWire), nextPageToken: page.nextPageToken ?? '' };
      }),
  });
}

function createKey(kit: ServerKit, caller: Caller, req: management.CreateKeyRequest): Promise<CreatedKey> {
  const name = req.name || undefined;
  switch (req.kind) {
    case management.KeyKind.AGENT:
      return kit.keys.createAgentKey(caller, { machineId: req.machineId, name });
    case management.KeyKind.API_TOKEN:
      return kit.keys.createApiToken(caller, { name });
    case management.KeyKind.INTEGRATION:
      return kit.keys.createIntegrationKey(caller, { name });
    case management.KeyKind.ENROLLMENT:
      return kit.keys.createEnrollmentKey(caller, {
        name,
        company: req.company || undefined,
        site: req.site || undefined,
      });
    default:
      throw new ServerKitError(ServerKitErrorCode.InvalidArgument, 'Choose what kind of key to create', {
        correlationId: caller.correlationId,
      });
  }
}
