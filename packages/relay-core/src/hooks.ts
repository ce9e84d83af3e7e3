// The hook and event contract between relay-core and whoever hosts it (server-kit, the reference
// server, an integrator). The names and shapes here are fixed: other packages are written
// against them.
import type {
  AgentHello,
  AgentStatus,
  Channel,
  CloseReason,
  SessionMode,
  SessionState_State,
} from '@guruconnect/protocol';

/** What the relay knows about one socket before it is authenticated. */
export interface ConnectionContext {
  /** Peer IP address as the TCP socket sees it (put a proxy-aware value in front if needed). */
  remoteAddress: string;
  /** The `Origin` header of the upgrade request, when sent. */
  origin: string | undefined;
  userAgent: string | undefined;
  /** Generated per socket; present in every event about this socket. */
  correlationId: string;
}

/** Who an authenticated agent socket speaks for. */
export interface AgentIdentity {
  /** The machine this socket now speaks for. */
  machineId: string;
  machineName: string;
  /** Agent key id, when authenticated by key. */
  keyId?: string;
  /** Set for support-code agents: the attended session this agent opens. */
  sessionId?: string;
  /** ATTENDED for support codes, UNATTENDED for agent keys. */
  mode: SessionMode;
}

/** What a viewer token grants. */
export interface ViewerGrant {
  sessionId: string;
  /** The machine whose agent serves this session. */
  machineId: string;
  mode: SessionMode;
  channels: Channel[];
  /** Shown to the end user in the consent prompt. */
  viewerName: string;
  userId?: string;
}

export type HookResult<T> = { ok: true; value: T } | { ok: false; reason: CloseReason; message: string };

/** Verifies an agent's hello (agent key or support code). A throw or rejection closes the socket with 1011. */
export type AuthenticateAgent = (
  hello: AgentHello,
  ctx: ConnectionContext,
) => Promise<HookResult<AgentIdentity>>;

/** Verifies a viewer token for one session. A throw or rejection closes the socket with 1011. */
export type AuthorizeViewer = (
  token: string,
  sessionId: string,
  ctx: ConnectionContext,
) => Promise<HookResult<ViewerGrant>>;

/** Everything the relay reports for audit and metrics. */
export type RelayEvent =
  | {
      type: 'agent-connected';
      machineId: string;
      machineName: string;
      sessionId?: string;
      keyId?: string;
      remoteAddress: string;
      correlationId: string;
      at: Date;
    }
  | { type: 'agent-disconnected'; machineId: string; reason: CloseReason; correlationId: string; at: Date }
  | { type: 'agent-status'; machineId: string; status: AgentStatus; at: Date }
  | { type: 'session-started'; sessionId: string; machineId: string; mode: SessionMode; at: Date }
  | { type: 'session-state'; sessionId: string; machineId: string; state: SessionState_State; at: Date }
  | { type: 'session-ended'; sessionId: string; machineId: string; reason: CloseReason; at: Date }
  | {
      type: 'viewer-joined';
      sessionId: string;
      viewerId: string;
      userId?: string;
      viewerName: string;
      channels: Channel[];
      correlationId: string;
      at: Date;
    }
  | {
      type: 'viewer-left';
      sessionId: string;
      viewerId: string;
      userId?: string;
      reason: CloseReason;
      at: Date;
    }
  | {
      type: 'consent';
      sessionId: string;
      machineId: string;
      accepted: boolean;
      reason: string;
      at: Date;
    }
  | {
      type: 'violation';
      role: 'agent' | 'viewer';
      code: string;
      detail: string;
      remoteAddress: string;
      sessionId?: string;
      correlationId: string;
      at: Date;
    };

/** The `type` of a {@link RelayEvent}. */
export type RelayEventType = RelayEvent['type'];
/** The event of one type, e.g. `RelayEventOf<'viewer-joined'>`. */
export type RelayEventOf<T extends RelayEventType> = Extract<RelayEvent, { type: T }>;

/**
 * A copy of terminal traffic for recording (asciicast): what the agent's PTY wrote and the
 * sizes the viewer asked for. `viewerId` is the viewer the channel belongs to (terminal channels
 * are per viewer). `data` is a view of the relayed frame: copy it to keep it past the call.
 */
export type TerminalTap =
  | {
      kind: 'open';
      sessionId: string;
      machineId: string;
      viewerId: string;
      channelId: number;
      cols: number;
      rows: number;
      term: string;
      at: Date;
    }
  | {
      kind: 'resize';
      sessionId: string;
      machineId: string;
      viewerId: string;
      channelId: number;
      cols: number;
      rows: number;
      at: Date;
    }
  | {
      kind: 'output';
      sessionId: string;
      machineId: string;
      viewerId: string;
      channelId: number;
      data: Uint8Array;
      at: Date;
    }
  | {
      kind: 'exit';
      sessionId: string;
      machineId: string;
      viewerId: string;
      channelId: number;
      exitCode: number;
      at: Date;
    };
