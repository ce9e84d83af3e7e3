/** Stable codes of {@link RelayError}. */
export const RelayErrorCode = {
  /** An option is outside its documented bound. */
  InvalidOption: 'GC_ERR_RELAY_INVALID_OPTION',
  /** A session state change the transition table does not allow (a bug, never peer input). */
  BadTransition: 'GC_ERR_RELAY_BAD_TRANSITION',
  /** `authenticateAgent` or `authorizeViewer` threw or rejected; that socket was closed with 1011. */
  HookFailed: 'GC_ERR_RELAY_HOOK_FAILED',
  /** An `onEvent` / `relay.on` listener threw; the relay carried on. */
  ListenerFailed: 'GC_ERR_RELAY_LISTENER_FAILED',
  /** Publishing to or handling a message from the bus failed. */
  BusFailed: 'GC_ERR_RELAY_BUS_FAILED',
  /** A bus request got no answer in time. */
  BusTimeout: 'GC_ERR_RELAY_BUS_TIMEOUT',
  /** The relay (or bus) is closed. */
  Closed: 'GC_ERR_RELAY_CLOSED',
  /** Unexpected failure while handling one socket; that socket was closed with 1011. */
  Internal: 'GC_ERR_RELAY_INTERNAL',
} as const;

export type RelayErrorCode = (typeof RelayErrorCode)[keyof typeof RelayErrorCode];

export interface RelayErrorOptions {
  cause?: unknown;
  /** Correlation id of the socket the error is about, when there is one. */
  correlationId?: string;
}

/** The one error type relay-core throws or reports through `onError`. */
export class RelayError extends Error {
  override readonly name = 'RelayError';
  readonly code: RelayErrorCode;
  readonly correlationId: string | undefined;

  constructor(code: RelayErrorCode, message: string, options: RelayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.correlationId = options.correlationId;
  }
}
