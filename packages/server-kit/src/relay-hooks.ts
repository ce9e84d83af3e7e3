import { Channel, CloseReason } from '@guruconnect/protocol';
import type { AuthenticateAgent, AuthorizeViewer, RelayEvent } from '@guruconnect/relay-core';
import type { AgentAuthenticator } from './agent-authenticator.js';
import type { AuditService } from './audit-service.js';
import type { KitContext } from './kit-context.js';
import type { MachinesService } from './machines-service.js';
import { stateFromWire } from './session-state.js';
import type { SessionsService } from './sessions-service.js';
import type { ViewerTokensService } from './viewer-tokens-service.js';
import type { WebhooksService } from './webhooks-service.js';

/** Everything `createRelay` needs from the kit: spread it into the relay options. */
export interface RelayHooks {
  authenticateAgent: AuthenticateAgent;
  authorizeViewer: AuthorizeViewer;
  /**
   * Records machine online/offline and inventory, session states and audit events, in order, and
   * enqueues the matching webhooks of the owning integration (in the same order).
   */
  onEvent: (event: RelayEvent) => void;
}

function reasonName(reason: CloseReason): string {
  return (CloseReason[reason] ?? String(reason)).toLowerCase();
}

/** `Channel.VIEW` → `'view'` (the names viewer tokens use). */
function channelName(channel: Channel): string {
  return (Channel[channel] ?? String(channel)).toLowerCase();
}

/**
 * Turns relay events into records. Events are applied one after another (a status must not
 * overtake the connect before it); a failing event is logged with its type and does not stop
 * the ones after it. `drain()` resolves when everything queued so far is applied.
 *
 * Webhooks: after an event is recorded, its webhook (if any) is enqueued for the integration that
 * owns the session (`sessions.owner_integration_id`) or machine, inside the same ordered step, so
 * webhook sequences follow relay order. `session.ended` is enqueued by the sessions service
 * whoever ends the session.
 */
export class RelayEventRecorder {
  readonly #ctx: KitContext;
  readonly #audit: AuditService;
  readonly #machines: MachinesService;
  readonly #sessions: SessionsService;
  readonly #webhooks: WebhooksService;
  #queue: Promise<void> = Promise.resolve();

  constructor(
    ctx: KitContext,
    audit: AuditService,
    machines: MachinesService,
    sessions: SessionsService,
    webhooks: WebhooksService,
  ) {
    this.#ctx = ctx;
    this.#audit = audit;
    this.#machines = machines;
    this.#sessions = sessions;
    this.#webhooks = webhooks;
  }

  push(event: RelayEvent): void {
    this.#queue = this.#queue.then(() =>
      this.#apply(event).catch((err: unknown) => {
        this.#ctx.logger.error({ msg: 'relay event not recorded', type: event.type, error: err });
      }),
    );
  }

  drain(): Promise<void> {
    return this.#queue;
  }

  async #apply(event: RelayEvent): Promise<void> {
    switch (event.type) {
      case 'agent-connected':
        await this.#machines.markOnline(event.machineId, event.remoteAddress, event.at);
        await this.#sessions.bindMachine(event.machineId, event.at);
        await this.#audit.record({
          type: 'agent.connected',
          actor: `agent:${event.machineId}`,
          target: `machine:${event.machineId}`,
          outcome: 'success',
          correlationId: event.correlationId,
          ...(event.sessionId === undefined ? {} : { sessionId: event.sessionId }),
          detail: { remoteAddress: event.remoteAddress, keyId: event.keyId },
        });
        await this.#webhooks.emitForMachine('agent.connected', event.machineId, {}, event.at);
        return;
      case 'agent-disconnected':
        await this.#machines.markOffline(event.machineId, event.at);
        await this.#audit.record({
          type: 'agent.disconnected',
          actor: `agent:${event.machineId}`,
          target: `machine:${event.machineId}`,
          outcome: 'success',
          correlationId: event.correlationId,
          detail: { reason: reasonName(event.reason) },
        });
        await this.#webhooks.emitForMachine(
          'agent.disconnected',
          event.machineId,
          { reason: reasonName(event.reason) },
          event.at,
        );
        return;
      case 'agent-status':
        await this.#machines.applyStatus(event.machineId, event.status, event.at);
        return;
      case 'session-started': {
        const row = await this.#sessions.applyState(event.sessionId, 'active', event.at);
        await this.#audit.record({
          type: 'session.started',
          actor: 'relay',
          target: `session:${event.sessionId}`,
          outcome: 'success',
          sessionId: event.sessionId,
          detail: { machineId: event.machineId },
        });
        await this.#webhooks.emitForSession('session.started', event.sessionId, { mode: row.mode }, event.at);
        return;
      }
      case 'session-state': {
        const state = stateFromWire(event.state);
        if (state !== undefined) await this.#sessions.applyState(event.sessionId, state, event.at, 'relay');
        return;
      }
      case 'session-ended':
        await this.#sessions.applyState(event.sessionId, 'ended', event.at, reasonName(event.reason));
        return;
      case 'viewer-joined':
        await this.#sessions.touch(event.sessionId, event.at);
        await this.#audit.record({
          type: 'viewer.joined',
          actor: event.userId === undefined ? 'viewer' : `user:${event.userId}`,
          target: `session:${event.sessionId}`,
          outcome: 'success',
          sessionId: event.sessionId,
          correlationId: event.correlationId,
          detail: {
            viewerId: event.viewerId,
            viewerName: event.viewerName,
            channels: event.channels.map((c: Channel) => String(c)).join(','),
          },
        });
        await this.#webhooks.emitForSession(
          'viewer.joined',
          event.sessionId,
          {
            viewerId: event.viewerId,
            viewerName: event.viewerName,
            channels: event.channels.map(channelName),
          },
          event.at,
        );
        return;
      case 'viewer-left':
        await this.#sessions.touch(event.sessionId, event.at);
        await this.#audit.record({
          type: 'viewer.left',
          actor: event.userId === undefined ? 'viewer' : `user:${event.userId}`,
          target: `session:${event.sessionId}`,
          outcome: 'success',
          sessionId: event.sessionId,
          detail: { viewerId: event.viewerId, reason: reasonName(event.reason) },
        });
        await this.#webhooks.emitForSession(
          'viewer.left',
          event.sessionId,
          { viewerId: event.viewerId, reason: reasonName(event.reason) },
          event.at,
        );
        return;
      case 'consent':
        await this.#audit.record({
          type: event.accepted ? 'consent.granted' : 'consent.declined',
          actor: `agent:${event.machineId}`,
          target: `session:${event.sessionId}`,
          outcome: 'success',
          sessionId: event.sessionId,
          detail: { reason: event.reason },
        });
        await this.#webhooks.emitForSession(
          event.accepted ? 'consent.granted' : 'consent.declined',
          event.sessionId,
          { reason: event.reason },
          event.at,
        );
        return;
      case 'violation':
        await this.#audit.record({
          type: 'relay.violation',
          actor: `${event.role}@${event.remoteAddress}`,
          outcome: 'failure',
          correlationId: event.correlationId,
          ...(event.sessionId === undefined ? {} : { sessionId: event.sessionId }),
          detail: { code: event.code, detail: event.detail },
        });
        return;
    }
  }
}

export function createRelayHooks(
  agents: AgentAuthenticator,
  viewerTokens: ViewerTokensService,
  recorder: RelayEventRecorder,
): RelayHooks {
  return {
    authenticateAgent: (hello, ctx) => agents.authenticate(hello, ctx),
    authorizeViewer: (token, sessionId, ctx) => viewerTokens.authorize(token, sessionId, ctx),
    onEvent: (event) => recorder.push(event),
  };
}
