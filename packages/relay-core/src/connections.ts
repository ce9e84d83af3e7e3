import { randomBytes } from 'node:crypto';
import {
  type Channel,
  CONTRACT_VERSION,
  type EnvelopeInit,
  type HelloResult,
  isKnownFlag,
  type SessionMode,
} from '@guruconnect/protocol';
import type { AgentIdentity, RelayEvent, ViewerGrant } from './hooks.js';
import type { Peer } from './peer.js';
import type { BusSubscription } from './relay-bus.js';
import type { RelayError } from './relay-error.js';
import type { ResolvedRelayOptions } from './relay-options.js';
import type { RelaySession } from './relay-session.js';
import { TokenBucket } from './token-bucket.js';
import { ViewerFlow } from './viewer-flow.js';
import { encodeViewerStamp } from './viewer-stamp.js';

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
  /** The capability flags the viewer announced that this version knows. */
  readonly capabilities: readonly string[];
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

export function createAgentConn(peer: Peer, identity: AgentIdentity): AgentConn {
  return {
    peer,
    identity,
    connectedAt: new Date(),
    session: undefined,
    subscriptions: [],
    gone: false,
    pausedViewers: new Set(),
  };
}

export function createViewerConn(
  peer: Peer,
  grant: ViewerGrant,
  session: RelaySession,
  options: ResolvedRelayOptions,
  capabilities: readonly string[] = [],
): ViewerConn {
  // 16 random bytes' worth of id in 18 ASCII characters: short enough to stamp cheaply.
  const viewerId = `v-${randomBytes(12).toString('base64url')}`;
  const viewer: ViewerConn = {
    peer,
    grant,
    viewerId,
    channels: new Set(grant.channels),
    capabilities: capabilities.filter(isKnownFlag),
    joinedAt: new Date(),
    flow: new ViewerFlow({ window: options.videoWindow, videoBudgetBytes: options.maxBufferedBytes / 2 }),
    input: new TokenBucket({ ratePerSecond: options.inputRatePerSecond }),
    stamp: encodeViewerStamp(viewerId),
    session,
    onVideoFlushed: () => session.onVideoFlushed(viewer),
    behindTimer: undefined,
    present: false,
  };
  return viewer;
}

export interface HelloResultInit {
  sessionId: string;
  machineId: string;
  viewerId: string;
  channels: Channel[];
  mode: SessionMode;
  /** The peer's announced capabilities; only flags this version knows are echoed. */
  capabilities: string[];
}

/** The relay's HelloResult for an accepted peer. */
export function helloResult(options: ResolvedRelayOptions, init: HelloResultInit): EnvelopeInit {
  const value: Omit<HelloResult, '$typeName' | '$unknown'> = {
    ...init,
    capabilities: init.capabilities.filter(isKnownFlag),
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    serverVersion: options.serverVersion,
    protocolVersion: CONTRACT_VERSION,
  };
  return { payload: { case: 'helloResult', value } };
}
