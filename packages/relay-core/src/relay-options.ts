import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { DEFAULT_MAX_CONTROL_BYTES, DEFAULT_MAX_FRAME_BYTES } from '@guruconnect/protocol';
import type { AuthenticateAgent, AuthorizeViewer, RelayEvent, TerminalTap } from './hooks.js';
import type { RelayBus } from './relay-bus.js';
import { RelayError, RelayErrorCode } from './relay-error.js';

/**
 * Which browser origins may open sockets: exact origins (`'https://console.example.com'`) or a
 * predicate. A predicate also sees upgrades without an Origin header (`origin` undefined).
 */
export type AllowedOrigins =
  | readonly string[]
  | ((origin: string | undefined, request: IncomingMessage) => boolean);

export interface RelayOptions {
  /** Verifies an agent's hello. Required. */
  authenticateAgent: AuthenticateAgent;
  /** Verifies a viewer token for a session. Required. */
  authorizeViewer: AuthorizeViewer;
  /**
   * Origin allowlist, checked on the raw upgrade before any hook runs (refused with HTTP 403).
   * A viewer upgrade must carry an allowed Origin; an agent upgrade may carry none, but one it
   * carries must be allowed. Default: same origin only (the Origin's host equals the request's
   * `Host` header).
   */
  allowedOrigins?: AllowedOrigins;
  /** Cross-node routing. Default: a private `createInProcessBus()` (single node), closed by `close()`. */
  bus?: RelayBus;
  /** This node's id on the bus. Default: a random UUID. 1–128 characters. */
  nodeId?: string;
  /** Upgrade paths (query strings ignored). Default `{ agent: '/v1/agent', viewer: '/v1/viewer' }`. */
  paths?: { agent?: string; viewer?: string };
  /** Largest frame of any kind, bytes. Default 4 MiB; 4 KiB … 64 MiB. Also the ws `maxPayload`. */
  maxFrameBytes?: number;
  /** Largest control (non-bulk) message, bytes. Default 64 KiB; 1 KiB … `maxFrameBytes`. */
  maxControlBytes?: number;
  /** An unauthenticated socket must send its hello within this, ms. Default 5000; 10 … 60 000. Close 4002. */
  helloTimeoutMs?: number;
  /** Relay heartbeat period, ms (also sent to peers in HelloResult). Default 15 000; 10 … 300 000. */
  heartbeatIntervalMs?: number;
  /** Unanswered heartbeats before close 4010. Default 3; 1 … 100. */
  missedHeartbeats?: number;
  /**
   * Cap on each socket's buffered (written but not yet sent) bytes. Video is admitted only
   * while it keeps the buffer under half of this; a never-dropped message that would exceed it
   * closes that viewer with 1013. Default 8 MiB; 2 × `maxFrameBytes` … 1 GiB.
   */
  maxBufferedBytes?: number;
  /** A viewer that stays behind (video dropped for it) this long is closed with 1013, ms. Default 60 000; 10 … 3 600 000. */
  slowViewerTimeoutMs?: number;
  /** Unacknowledged video frames in flight per viewer before the relay drops video for it. Default 3; 1 … 10 000. */
  videoWindow?: number;
  /**
   * Pointer and key events per second per viewer (burst: one second's worth). Excess closes
   * the viewer with 4013 `rate_limited` and a violation event — input is never silently
   * dropped. Default 500; 1 … 100 000.
   */
  inputRatePerSecond?: number;
  /** Relay-side consent deadline, ms; no answer → 4007. Default 70 000; 10 … 600 000. */
  consentTimeoutMs?: number;
  /**
   * How long a session whose agent dropped waits for it (STATE_AGENT_LOST) before it ends with
   * 4014, ms. Default 30 000; 0 … 3 600 000.
   */
  agentGraceMs?: number;
  /** How long a close handshake may take before the socket is destroyed, ms. Default 3000; 10 … 30 000. */
  closeTimeoutMs?: number;
  /** Reported in HelloResult.server_version. Default `''`. */
  serverVersion?: string;
  /** Every {@link RelayEvent}. A throwing listener is reported to `onError` and ignored. */
  onEvent?: (event: RelayEvent) => void;
  /**
   * Terminal traffic of ACTIVE sessions, for recording. Called synchronously on the forwarding
   * path (keep it cheap: copy and queue); a throwing tap is reported to `onError` and ignored.
   * Default: none.
   */
  onTerminal?: (tap: TerminalTap) => void;
  /**
   * Failures that closed one socket or one bus message (hook threw, listener threw, bus
   * failure). Default: `process.emitWarning(error)`.
   */
  onError?: (error: RelayError) => void;
}

/** Options with every default filled in. */
export interface ResolvedRelayOptions {
  readonly authenticateAgent: AuthenticateAgent;
  readonly authorizeViewer: AuthorizeViewer;
  readonly allowedOrigins: AllowedOrigins | undefined;
  readonly bus: RelayBus | undefined;
  readonly nodeId: string;
  readonly agentPath: string;
  readonly viewerPath: string;
  readonly maxFrameBytes: number;
  readonly maxControlBytes: number;
  readonly helloTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly missedHeartbeats: number;
  readonly maxBufferedBytes: number;
  readonly slowViewerTimeoutMs: number;
  readonly videoWindow: number;
  readonly inputRatePerSecond: number;
  readonly consentTimeoutMs: number;
  readonly agentGraceMs: number;
  readonly closeTimeoutMs: number;
  readonly serverVersion: string;
  readonly onEvent: ((event: RelayEvent) => void) | undefined;
  readonly onTerminal: ((tap: TerminalTap) => void) | undefined;
  readonly onError: (error: RelayError) => void;
}

const MiB = 1024 * 1024;

export function resolveRelayOptions(options: RelayOptions): ResolvedRelayOptions {
  if (typeof options.authenticateAgent !== 'function' || typeof options.authorizeViewer !== 'function') {
    throw new RelayError(RelayErrorCode.InvalidOption, 'authenticateAgent and authorizeViewer are required');
  }
  const maxFrameBytes = bounded(
    'maxFrameBytes',
    options.maxFrameBytes,
    DEFAULT_MAX_FRAME_BYTES,
    4096,
    64 * MiB,
  );
  const nodeId = options.nodeId ?? randomUUID();
  if (nodeId.length < 1 || nodeId.length > 128) {
    throw new RelayError(RelayErrorCode.InvalidOption, 'nodeId must be 1–128 characters');
  }
  const agentPath = options.paths?.agent ?? '/v1/agent';
  const viewerPath = options.paths?.viewer ?? '/v1/viewer';
  if (!agentPath.startsWith('/') || !viewerPath.startsWith('/') || agentPath === viewerPath) {
    throw new RelayError(RelayErrorCode.InvalidOption, 'paths must be two different absolute paths');
  }
  return {
    authenticateAgent: options.authenticateAgent,
    authorizeViewer: options.authorizeViewer,
    allowedOrigins: options.allowedOrigins,
    bus: options.bus,
    nodeId,
    agentPath,
    viewerPath,
    maxFrameBytes,
    maxControlBytes: bounded(
      'maxControlBytes',
      options.maxControlBytes,
      Math.min(DEFAULT_MAX_CONTROL_BYTES, maxFrameBytes),
      1024,
      maxFrameBytes,
    ),
    helloTimeoutMs: bounded('helloTimeoutMs', options.helloTimeoutMs, 5000, 10, 60_000),
    heartbeatIntervalMs: bounded('heartbeatIntervalMs', options.heartbeatIntervalMs, 15_000, 10, 300_000),
    missedHeartbeats: bounded('missedHeartbeats', options.missedHeartbeats, 3, 1, 100),
    maxBufferedBytes: bounded(
      'maxBufferedBytes',
      options.maxBufferedBytes,
      8 * MiB,
      2 * maxFrameBytes,
      1024 * MiB,
    ),
    slowViewerTimeoutMs: bounded('slowViewerTimeoutMs', options.slowViewerTimeoutMs, 60_000, 10, 3_600_000),
    videoWindow: bounded('videoWindow', options.videoWindow, 3, 1, 10_000),
    inputRatePerSecond: bounded('inputRatePerSecond', options.inputRatePerSecond, 500, 1, 100_000),
    consentTimeoutMs: bounded('consentTimeoutMs', options.consentTimeoutMs, 70_000, 10, 600_000),
    agentGraceMs: bounded('agentGraceMs', options.agentGraceMs, 30_000, 0, 3_600_000),
    closeTimeoutMs: bounded('closeTimeoutMs', options.closeTimeoutMs, 3000, 10, 30_000),
    serverVersion: options.serverVersion ?? '',
    onEvent: options.onEvent,
    onTerminal: options.onTerminal,
    onError:
      options.onError ??
      ((error: RelayError) => {
        process.emitWarning(error);
      }),
  };
}

function bounded(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RelayError(
      RelayErrorCode.InvalidOption,
      `${name} must be an integer in ${min} … ${max}, got ${value}`,
    );
  }
  return value;
}
