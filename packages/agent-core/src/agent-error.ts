/** Stable codes of {@link AgentError}. */
export const AgentErrorCode = {
  /** No X display could be opened (none set, unreachable, or refused). */
  NoDisplay: 'GC_ERR_AGENT_NO_DISPLAY',
  /** A required X extension or library is missing. */
  X11Unavailable: 'GC_ERR_AGENT_X11_UNAVAILABLE',
  /** An X request failed (the X error text is in the message). */
  X11Request: 'GC_ERR_AGENT_X11_REQUEST',
  /** The display id does not name a display of this capturer. */
  UnknownDisplay: 'GC_ERR_AGENT_UNKNOWN_DISPLAY',
  /** The object was used after close(). */
  Closed: 'GC_ERR_AGENT_CLOSED',
  /** The server refused the credential (close 4001 unauthorized or 4009 key revoked). */
  Unauthorized: 'GC_ERR_AGENT_UNAUTHORIZED',
  /** The server ended the connection for a reason the agent does not retry. */
  Rejected: 'GC_ERR_AGENT_REJECTED',
  /** The server could not be reached or spoke something unexpected. */
  Connection: 'GC_ERR_AGENT_CONNECTION',
  /** A state machine was asked for a move its transition table does not allow (a bug). */
  IllegalTransition: 'GC_ERR_AGENT_ILLEGAL_TRANSITION',
  /** A configuration file or option is invalid. */
  Config: 'GC_ERR_AGENT_CONFIG',
  /** Enrollment failed. */
  Enroll: 'GC_ERR_AGENT_ENROLL',
  /** A keysym could not be typed (no keycode and no spare keycode to remap). */
  UnmappableKey: 'GC_ERR_AGENT_UNMAPPABLE_KEY',
} as const;

export type AgentErrorCode = (typeof AgentErrorCode)[keyof typeof AgentErrorCode];

export interface AgentErrorOptions {
  cause?: unknown;
  /** WebSocket close code that caused the error, when there is one. */
  closeCode?: number;
}

/** The error type agent-core throws and reports. */
export class AgentError extends Error {
  override readonly name = 'AgentError';
  readonly code: AgentErrorCode;
  readonly closeCode: number | undefined;

  constructor(code: AgentErrorCode, message: string, options: AgentErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.closeCode = options.closeCode;
  }
}
