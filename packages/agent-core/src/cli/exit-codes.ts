/** Process exit codes of `gc-agent` (documented in the README). */
export const ExitCode = {
  /** Done: the session ended normally, or the command succeeded. */
  Ok: 0,
  /** An unexpected error. */
  Internal: 1,
  /** Bad arguments or configuration file. */
  Usage: 2,
  /** No X display reachable and `--require-display` was given (else the agent runs terminal-only). */
  NoDisplay: 3,
  /** The server refused the credential (support code, agent key or enrollment key). */
  Unauthorized: 4,
  /** The relay ended the connection for another reason the agent does not retry. */
  Rejected: 5,
  /** The end user declined the session or did not answer in time. */
  Declined: 6,
  /** Enrollment failed for a reason other than a refused key (network, server error). */
  EnrollFailed: 7,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
