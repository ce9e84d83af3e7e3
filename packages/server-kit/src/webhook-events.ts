/** Every event type a webhook can subscribe to. Adding one is a minor contract change; renaming is major. */
export const WEBHOOK_EVENT_TYPES = [
  'session.started',
  'session.ended',
  'consent.granted',
  'consent.declined',
  'file_transfer.completed',
  'viewer.joined',
  'viewer.left',
  'agent.connected',
  'agent.disconnected',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export function isWebhookEventType(value: unknown): value is WebhookEventType {
  return typeof value === 'string' && (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}

/** Fields every session event's `data` carries. */
export interface WebhookSessionRef {
  sessionId: string;
  /** '' for a support-code session whose agent never connected. */
  machineId: string;
  /** The integration's own device id for the machine, '' when it has none. */
  deviceId: string;
}

/** Fields every agent event's `data` carries. */
export interface WebhookMachineRef {
  machineId: string;
  deviceId: string;
}

/** What the kit puts in `data`, per type (the host supplies `file_transfer.completed` itself). */
export interface WebhookEventData {
  'session.started': WebhookSessionRef & { mode: 'attended' | 'unattended' };
  /** `reason`: the relay's close reason (`normal`, `agent_lost`, …), `ended by integration:<id>…`, `stale`, `server restart`. */
  'session.ended': WebhookSessionRef & { reason: string };
  'consent.granted': WebhookSessionRef & { reason: string };
  /** `reason`: the agent's, or `timeout`. */
  'consent.declined': WebhookSessionRef & { reason: string };
  /** Suggested shape: the relay reports no file events, so the server that sees a transfer emits it. */
  'file_transfer.completed': WebhookSessionRef & {
    transferId: string;
    fileName: string;
    sizeBytes: number;
    direction: 'upload' | 'download';
  };
  /** `channels`: lower-case names (`view`, `control`, `terminal`, `files`, `clipboard`). */
  'viewer.joined': WebhookSessionRef & { viewerId: string; viewerName: string; channels: string[] };
  'viewer.left': WebhookSessionRef & { viewerId: string; reason: string };
  'agent.connected': WebhookMachineRef;
  'agent.disconnected': WebhookMachineRef & { reason: string };
}

/** The JSON body of every delivery. */
export interface WebhookEventBody {
  /** The delivery id (idempotency key), equal to the `GuruConnect-Webhook-Id` header. */
  id: string;
  type: WebhookEventType;
  /** ISO 8601, when the event happened. */
  occurredAt: string;
  /** The session it concerns, or null (agent events). */
  sessionId: string | null;
  data: Record<string, unknown>;
}
