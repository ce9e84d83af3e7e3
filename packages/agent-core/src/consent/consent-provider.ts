import type { Channel } from '@guruconnect/protocol';

/** What the end user is asked to accept. */
export interface ConsentRequestInfo {
  requestId: string;
  technicianName: string;
  technicianEmail: string;
  organization: string;
  channels: Channel[];
  /** How long the agent waits before declining on its own, in ms. */
  timeoutMs: number;
}

export interface ConsentDecision {
  accepted: boolean;
  /** Shown to the technician, e.g. "declined by the user". */
  reason: string;
}

/**
 * Asks the end user. `signal` aborts when the agent stops waiting (timeout or disconnect): the
 * provider should take its prompt down. The agent declines on its own after the timeout.
 */
export type ConsentProvider = (request: ConsentRequestInfo, signal: AbortSignal) => Promise<ConsentDecision>;
