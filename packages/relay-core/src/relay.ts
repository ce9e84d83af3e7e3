import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { CloseReason } from '@guruconnect/protocol';
import type { RelayEventOf, RelayEventType } from './hooks.js';
import { RelayNode } from './relay-node.js';
import type { RelayOptions } from './relay-options.js';
import type { SessionSnapshot } from './relay-session.js';

/** Counters for metrics, as of the call. Totals count since the relay was created. */
export interface RelayStats {
  /** Sessions alive now (any state but ENDED). */
  sessions: number;
  /** Authenticated viewer sockets now. */
  viewers: number;
  /** Authenticated agent sockets now. */
  agents: number;
  /** Sockets of any kind now, including those still in their hello phase. */
  sockets: number;
  /** Total bytes forwarded (to viewers and, stamped, to agents). */
  bytesRelayed: number;
  /** Total messages forwarded; a frame sent to three viewers counts three. */
  framesForwarded: number;
  /** Total video frames and cursor positions dropped for a viewer that was behind. */
  framesDropped: number;
  /** Total messages held back by the consent gate or because no session was active. */
  messagesGated: number;
  /** Total protocol violations (each closed its socket). */
  violations: number;
}

/** A relay: mount `handleUpgrade` in any Node HTTP(S) server's `upgrade` event. */
export interface Relay {
  /** This node's id on the bus. */
  readonly nodeId: string;
  /**
   * Takes an upgrade for the agent or viewer path and returns true; returns false (touching
   * nothing) for any other path, so the host can route it elsewhere. A refused Origin gets a
   * plain HTTP 403 before any hook runs; a closing relay answers 503.
   */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Subscribes to one event type; returns the unsubscribe function. */
  on<T extends RelayEventType>(type: T, listener: (event: RelayEventOf<T>) => void): () => void;
  /**
   * Ends a session on every node (viewers closed with `reason`'s code, default NORMAL).
   * Returns whether this node had it; once `close()` has begun it does nothing and returns false.
   */
  endSession(sessionId: string, reason?: CloseReason, message?: string): boolean;
  /**
   * Closes a machine's agent on whichever node holds it (default reason KEY_REVOKED, 4009),
   * ending the session it served with the same reason. The socket is gone within
   * `closeTimeoutMs` even if the agent ignores the close. Returns whether this node held it;
   * once `close()` has begun it does nothing and returns false.
   */
  disconnectAgent(machineId: string, reason?: CloseReason, message?: string): boolean;
  /** Snapshot of this node's sessions. */
  listSessions(): SessionSnapshot[];
  /** Whether this node holds the machine's agent socket. */
  isAgentOnline(machineId: string): boolean;
  /** Which node (id) holds the machine's agent, asking the bus; undefined when none answers in time. */
  locateAgent(machineId: string, timeoutMs?: number): Promise<string | undefined>;
  stats(): RelayStats;
  /**
   * Sends every socket a CloseNotice and closes it with 1001, ends every session, stops every
   * timer and bus subscription, and resolves when all sockets have closed. Idempotent.
   */
  close(): Promise<void>;
}

/** Creates a relay. Throws `RelayError` (`GC_ERR_RELAY_INVALID_OPTION`) for an option out of bounds. */
export function createRelay(options: RelayOptions): Relay {
  return new RelayNode(options);
}
