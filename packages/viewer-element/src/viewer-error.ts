/** Stable codes of {@link ViewerError} (and of `gc-error` events raised by the viewer itself). */
export const ViewerErrorCode = {
  /** `server`, `session` or a token is missing, or `server` is not an http(s)/ws(s) URL. */
  Config: 'GC_ERR_VIEWER_CONFIG',
  /** `tokenProvider` threw or returned an empty token. */
  TokenProvider: 'GC_ERR_VIEWER_TOKEN_PROVIDER',
  /** The relay sent bytes that are not a valid envelope. */
  Protocol: 'GC_ERR_VIEWER_PROTOCOL',
  /** A rectangle could not be decoded (corrupt zstd, wrong size, undecodable JPEG). */
  Decode: 'GC_ERR_VIEWER_DECODE',
  /** A rectangle used a codec this viewer does not know; a refresh was requested. */
  UnknownCodec: 'GC_ERR_VIEWER_UNKNOWN_CODEC',
  /** The WebSocket could not be created. */
  Socket: 'GC_ERR_VIEWER_SOCKET',
  /** The session's token does not grant the terminal channel, or the agent refused or ended the terminal. */
  Terminal: 'GC_ERR_VIEWER_TERMINAL',
  /** A recording could not be fetched, or is not a valid asciicast v2 file. */
  Playback: 'GC_ERR_VIEWER_PLAYBACK',
  /** An impossible connection-state move (a bug). */
  InvalidState: 'GC_ERR_VIEWER_STATE',
} as const;

export type ViewerErrorCode = (typeof ViewerErrorCode)[keyof typeof ViewerErrorCode];

/** The one error type `<gc-viewer>` throws or reports through `gc-error`. */
export class ViewerError extends Error {
  override readonly name = 'ViewerError';
  readonly code: ViewerErrorCode;

  constructor(code: ViewerErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}
