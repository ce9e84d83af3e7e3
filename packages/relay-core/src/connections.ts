import type { Channel } from '@guruconnect/protocol';
import type { AgentIdentity, RelayEvent, ViewerGrant } from './hooks.js';
import type { Peer } from './peer.js';
import type { BusSubscription } from './relay-bus.js';
import type { RelayError } from './relay-error.js';
import type { ResolvedRelayOptions } from './relay-options.js';
import type { RelaySession } from './relay-session.js';
import type { TokenBucket } from './token-bucket.js';
import type { ViewerFlow } from './viewer-flow.js';

/** An authenticated agent socket. */
export interface AgentConn {
  readonly peer: Peer;
  readonly identity: AgentIdentity;
  readonly connectedAt: Date;
  /** The one live session this agent serves, if any. */
  session: RelaySession | undefined;
  /** Bus subscriptions held while this node holds the machine's agent. */
  readonly subscriptions: BusSubscription[];
  /** Set once the relay has handled its departure (replaced, revoked or closed). */
  gone: boolean;
  /** Viewers paused because this agent's socket buffer was full; resumed when it drains. */
  readonly pausedViewers: Set<ViewerConn>;
}

/** An authenticated viewer socket, joined to one session. */
export interface ViewerConn {
  readonly peer: Peer;
  readonly grant: ViewerGrant;
  readonly viewerId: string;
  readonly channels: ReadonlySet<Channel>;
  readonly joinedAt: Date;
  readonly flow: ViewerFlow;
  readonly input: TokenBucket;
  /** `Envelope.viewer_id = viewerId` as encoded protobuf bytes, appended to stamp a frame. */
  readonly stamp: Uint8Array;
  readonly session: RelaySession;
  /** Runs when a video frame sent to this viewer has been flushed to the kernel. */
  readonly onVideoFlushed: () => void;
  /** Fires `slowViewerTimeoutMs` after video was first dropped for this viewer. */
  behindTimer: NodeJS.Timeout | undefined;
  /** Whether the agent has been told (ViewerPresence) that this viewer may see the screen. */
  present: boolean;
}

/** Counters behind `relay.stats()`. */
export interface RelayCounters {
  bytesRelayed: number;
  framesForwarded: number;
  framesDropped: number;
  messagesGated: number;
  violations: number;
}

/** What a session needs from the relay that owns it. */
export interface SessionHost {
  readonly options: ResolvedRelayOptions;
  readonly counters: RelayCounters;
  emit(event: RelayEvent): void;
  reportError(error: RelayError): void;
  /** The session reached ENDED: forget it and let its agent serve the next waiting session. */
  sessionEnded(session: RelaySession, freedAgent: AgentConn | undefined): void;
}
