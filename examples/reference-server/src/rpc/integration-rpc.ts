import { create } from '@bufbuild/protobuf';
import type { ConnectRouter, HandlerContext } from '@connectrpc/connect';
import {
  CONTRACT_VERSION,
  Feature,
  IntegrationService,
  integration,
  SessionMode,
} from '@guruconnect/protocol';
import type { Caller, SessionView, WebhookView } from '@guruconnect/server-kit';
import { MAX_SUPPORT_CODE_TTL_SECONDS, MAX_VIEWER_TOKEN_TTL_SECONDS } from '@guruconnect/server-kit';
import { modeToWire, sessionStateToWire, ts } from './proto-mapping.js';
import type { RpcDeps } from './rpc-context.js';
import { baseUrlOf, guarded, integrationOf } from './rpc-context.js';

/** What this server offers integrators (also served as JSON at GET /api/integration/capabilities). */
export function capabilities(serverVersion: string): integration.GetCapabilitiesResponse {
  return create(integration.GetCapabilitiesResponseSchema, {
    contractVersion: CONTRACT_VERSION,
    serverVersion,
    features: [
      Feature.EmbeddedViewer,
      Feature.ConsentPrompt,
      Feature.PerMachineKeys,
      Feature.ProgrammaticSessions,
      Feature.SupportCodes,
      Feature.Terminal,
      Feature.SessionRecording,
      Feature.Webhooks,
    ],
    maxViewerTokenTtlSeconds: MAX_VIEWER_TOKEN_TTL_SECONDS,
    maxSupportCodeTtlSeconds: MAX_SUPPORT_CODE_TTL_SECONDS,
  });
}

/**
 * guruconnect.integration.v1.IntegrationService: server-to-server, integration keys only, each
 * key acting only on the devices it provisioned (server-kit's rights table enforces ownership).
 */
export function registerIntegrationRpc(router: ConnectRouter, deps: RpcDeps, serverVersion: string): void {
  const { kit } = deps;
  const toSession = async (caller: Caller, s: SessionView) => {
    const machine = s.machineId
      ? await kit.machines.get(caller, s.machineId).catch(() => undefined)
      : undefined;
    return create(integration.SessionSchema, {
      sessionId: s.sessionId,
      deviceId: machine?.deviceId ?? '',
      machineId: s.machineId ?? '',
      mode: modeToWire(s.mode),
      state: sessionStateToWire(s.state),
      createdAt: ts(s.createdAt),
      startedAt: ts(s.startedAt),
      endedAt: ts(s.endedAt),
      endReason: s.endReason ?? '',
      viewerCount: deps.presence().sessionViewers(s.sessionId).length,
      source: s.source,
    });
  };
  const links = (ctx: HandlerContext, sessionId: string, token: string) => {
    const fragment = `session=${encodeURIComponent(sessionId)}&token=${encodeURIComponent(token)}`;
    const base = baseUrlOf(deps, ctx);
    return { embedUrl: `${base}/embed/viewer#${fragment}`, nativeUrl: `${base}/viewer#${fragment}` };
  };

  router.service(IntegrationService, {
    getCapabilities: () => capabilities(serverVersion),
    provisionAgentKey: (req, ctx) =>
      guarded(ctx, async () => {
        const res = await kit.enrollment.provisionAgentKey(await integrationOf(kit, ctx), {
          deviceId: req.deviceId,
          displayName: req.displayName || undefined,
          company: req.company || undefined,
          site: req.site || undefined,
          tags: req.tags,
        });
        return { agentKey: res.agentKey, keyId: res.keyId, deviceId: res.deviceId, machineId: res.machineId };
      }),
    revokeAgentKey: (req, ctx) =>
      guarded(ctx, async () => ({
        revoked: await kit.enrollment.revokeDeviceAgentKeys(await integrationOf(kit, ctx), req.deviceId),
      })),
    createSession: (req, ctx) =>
      guarded(ctx, async () => {
        const caller = await integrationOf(kit, ctx);
        const machine = await kit.machines.getByDevice(caller, req.deviceId);
        const s = await kit.sessions.start(caller, {
          machineId: machine.machineId,
          mode: req.mode === SessionMode.ATTENDED ? 'attended' : 'unattended',
          technicianName: req.technicianName || undefined,
          reason: req.reason || undefined,
        });
        return { session: await toSession(caller, s) };
      }),
    createViewerToken: (req, ctx) =>
      guarded(ctx, async () => {
        const minted = await kit.viewerTokens.mint(await integrationOf(kit, ctx), {
          sessionId: req.sessionId,
          channels: req.channels,
          ttlSeconds: req.ttlSeconds || undefined,
          viewerName: req.viewerName || undefined,
        });
        return {
          token: minted.token,
          expiresAt: ts(minted.expiresAt),
          ...links(ctx, minted.sessionId, minted.token),
        };
      }),
    createSupportCode: (req, ctx) =>
      guarded(ctx, async () => {
        const caller = await integrationOf(kit, ctx);
        const machineId = req.deviceId
          ? (await kit.machines.getByDevice(caller, req.deviceId)).machineId
          : undefined;
        const code = await kit.supportCodes.create(caller, {
          ttlSeconds: req.ttlSeconds || undefined,
          machineId,
          technicianName: req.technicianName || undefined,
        });
        return { code: code.code, sessionId: code.sessionId, expiresAt: ts(code.expiresAt) };
      }),
    getSession: (req, ctx) =>
      guarded(ctx, async () => {
        const caller = await integrationOf(kit, ctx);
        return { session: await toSession(caller, await kit.sessions.get(caller, req.sessionId)) };
      }),
    endSession: (req, ctx) =>
      guarded(ctx, async () => {
        const caller = await integrationOf(kit, ctx);
        return {
          session: await toSession(caller, await kit.sessions.end(caller, req.sessionId, req.reason)),
        };
      }),
    listSessionEvents: (req, ctx) =>
      guarded(ctx, async () => {
        const caller = await integrationOf(kit, ctx);
        await kit.sessions.get(caller, req.sessionId); // ownership: throws for another integration's session
        const page = await kit.audit.query({
          sessionId: req.sessionId,
          pageSize: req.pageSize || undefined,
          pageToken: req.pageToken || undefined,
        });
        return {
          events: page.events.map((e) => ({
            eventId: e.eventId,
            sessionId: e.sessionId ?? req.sessionId,
            type: e.type,
            actor: e.actor,
            outcome: e.outcome,
            correlationId: e.correlationId,
            occurredAt: ts(e.occurredAt),
            detail: e.detail,
          })),
          nextPageToken: page.nextPageToken ?? '',
        };
      }),
    registerWebhook: (req, ctx) =>
      guarded(ctx, async () => {
        const res = await kit.webhooks.register(await integrationOf(kit, ctx), {
          url: req.url,
          eventTypes: req.eventTypes,
        });
        return { webhook: webhookToWire(res.webhook), signingSecret: res.signingSecret };
      }),
    listWebhooks: (_req, ctx) =>
      guarded(ctx, async () => ({
        webhooks: (await kit.webhooks.list(await integrationOf(kit, ctx))).map(webhookToWire),
      })),
    deleteWebhook: (req, ctx) =>
      guarded(ctx, async () => {
        await kit.webhooks.delete(await integrationOf(kit, ctx), req.webhookId);
        return {};
      }),
  });
}

function webhookToWire(w: WebhookView): integration.Webhook {
  return create(integration.WebhookSchema, {
    webhookId: w.webhookId,
    url: w.url,
    eventTypes: [...w.eventTypes],
    createdAt: ts(w.createdAt),
  });
}
