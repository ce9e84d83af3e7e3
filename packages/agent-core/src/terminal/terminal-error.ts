/** Stable codes of {@link TerminalError}. */
export const TerminalErrorCode = {
  /** The shell would run as root and the agent was not configured to allow it. */
  RootRefused: 'GC_ERR_TERMINAL_ROOT_REFUSED',
  /** The configured terminal user does not exist, or its passwd entry is unusable. */
  UnknownUser: 'GC_ERR_TERMINAL_UNKNOWN_USER',
  /** The PTY or the shell could not be started. */
  Spawn: 'GC_ERR_TERMINAL_SPAWN',
  /** The channel was used after it closed. */
  Closed: 'GC_ERR_TERMINAL_CLOSED',
} as const;

export type TerminalErrorCode = (typeof TerminalErrorCode)[keyof typeof TerminalErrorCode];

/** Errors of the terminal channel. The manager turns them into a `TerminalExit` with the message as reason. */
export class TerminalError extends Error {
  override readonly name = 'TerminalError';
  readonly code: TerminalErrorCode;

  constructor(code: TerminalErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}
