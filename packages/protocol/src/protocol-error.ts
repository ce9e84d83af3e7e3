/** Stable codes of {@link ProtocolError}. */
export const ProtocolErrorCode = {
  /** The bytes are not a valid Envelope. */
  Malformed: 'GC_ERR_PROTO_MALFORMED',
  /** The frame is larger than the limit for its kind. */
  TooLarge: 'GC_ERR_PROTO_TOO_LARGE',
  /** A valid Envelope with no payload set, or a payload this version does not know. */
  EmptyPayload: 'GC_ERR_PROTO_EMPTY',
  /** The frame arrived as text; the protocol is binary only. */
  NotBinary: 'GC_ERR_PROTO_NOT_BINARY',
} as const;

export type ProtocolErrorCode = (typeof ProtocolErrorCode)[keyof typeof ProtocolErrorCode];

export interface ProtocolErrorOptions {
  cause?: unknown;
  /** Size of the offending frame in bytes, when known. */
  size?: number;
  /** Limit that was exceeded, when the error is about size. */
  limit?: number;
}

/** The one error type the envelope codec throws. Never thrown for anything but bad input. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  readonly code: ProtocolErrorCode;
  readonly size: number | undefined;
  readonly limit: number | undefined;

  constructor(code: ProtocolErrorCode, message: string, options: ProtocolErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.size = options.size;
    this.limit = options.limit;
  }
}
