/**
 * Cross-node routing for the relay. The relay talks to other relay nodes only through this
 * interface; `createInProcessBus()` is the single-node default, and a NATS implementation maps
 * it one to one (`publish` → `nc.publish`, `subscribe` → `nc.subscribe`, `request` →
 * `nc.request`, headers → NATS headers, `respond` → `msg.respond`).
 *
 * Payloads are opaque bytes: encoded `Envelope`s on the data-plane subjects (never re-encoded,
 * so the in-process bus can hand the very same buffer through), small JSON control messages
 * on the control subjects. Subjects are built with {@link relaySubjects} only.
 */
export interface RelayBus {
  /** Fire-and-forget. Messages from one publisher on one subject arrive in order. */
  publish(subject: string, data: Uint8Array, headers?: Readonly<Record<string, string>>): void;
  /** Exact-subject subscription. The handler must not throw; the bus reports it if it does. */
  subscribe(subject: string, handler: (message: BusMessage) => void): BusSubscription;
  /**
   * One request, the first answer wins. Rejects with a `RelayError` (`GC_ERR_RELAY_BUS_TIMEOUT`)
   * when nobody answers within `timeoutMs` (NATS: "no responders" rejects at once, so may this).
   */
  request(subject: string, data: Uint8Array, options: BusRequestOptions): Promise<BusMessage>;
  /** Drops every subscription; later calls throw `GC_ERR_RELAY_CLOSED`. Idempotent. */
  close(): Promise<void>;
}

export interface BusMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
  /** Present when the message is a request: answers it (at most the first call counts). */
  readonly respond?: (data: Uint8Array, headers?: Readonly<Record<string, string>>) => void;
}

export interface BusSubscription {
  unsubscribe(): void;
}

export interface BusRequestOptions {
  /** How long to wait for the first answer, in ms. Required: 1 ms … 60 000 ms. */
  timeoutMs: number;
  headers?: Readonly<Record<string, string>>;
}

const SAFE_TOKEN = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * One subject token for an id. NATS tokens may not contain `.`, `*`, `>` or whitespace, so ids
 * outside `[A-Za-z0-9_-]` are carried as one `~<base64url>` token.
 */
export function subjectToken(id: string): string {
  return SAFE_TOKEN.test(id) ? id : `~${Buffer.from(id, 'utf8').toString('base64url')}`;
}

/**
 * The subject layout. Control subjects carry JSON ({@link BusControlMessage}); data-plane
 * subjects carry encoded envelopes with routing in headers.
 */
export const relaySubjects = {
  /** Commands to the node holding a machine's agent socket (replace, disconnect). */
  machineControl: (machineId: string): string => `gc.relay.machine.${subjectToken(machineId)}.control`,
  /** Request/reply: which node holds this machine's agent? Only the holder answers. */
  machineLocate: (machineId: string): string => `gc.relay.machine.${subjectToken(machineId)}.locate`,
  /** Commands about one session (end it), to every node with a part of it. */
  sessionControl: (sessionId: string): string => `gc.relay.session.${subjectToken(sessionId)}.control`,
  /**
   * Data plane, viewer node → agent node: envelopes already stamped with `viewer_id`, plus
   * join/leave as control messages (header `gc-kind: join|leave|envelope`).
   */
  sessionToAgent: (sessionId: string): string => `gc.relay.session.${subjectToken(sessionId)}.to-agent`,
  /**
   * Data plane, agent node → viewer nodes: the agent's envelopes as received (header
   * `gc-viewer-id` when addressed to one viewer), plus session state changes.
   */
  sessionToViewers: (sessionId: string): string => `gc.relay.session.${subjectToken(sessionId)}.to-viewers`,
} as const;

/** JSON body of a control-subject message. `nodeId` is the sender, so a node ignores its own. */
export type BusControlMessage =
  | { op: 'agent-connected'; nodeId: string; correlationId: string }
  | { op: 'disconnect-agent'; nodeId: string; reason: number; message: string }
  | { op: 'end-session'; nodeId: string; reason: number; message: string }
  | { op: 'located'; nodeId: string; correlationId: string };

export function encodeControl(message: BusControlMessage): Uint8Array {
  return Buffer.from(JSON.stringify(message), 'utf8');
}

/** Parses a control message; undefined for anything that is not one (a foreign or newer publisher). */
export function decodeControl(data: Uint8Array): BusControlMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch {
    return undefined; // not JSON, so not one of ours: the caller ignores it
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.nodeId !== 'string') return undefined;
  switch (v.op) {
    case 'agent-connected':
    case 'located':
      return typeof v.correlationId === 'string' ? (v as BusControlMessage) : undefined;
    case 'disconnect-agent':
    case 'end-session':
      return typeof v.reason === 'number' && typeof v.message === 'string'
        ? (v as BusControlMessage)
        : undefined;
    default:
      return undefined;
  }
}
