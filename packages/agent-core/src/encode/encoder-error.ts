/** Stable codes of {@link EncoderError}. */
export const EncoderErrorCode = {
  /** libturbojpeg could not be loaded (not installed, or an unusable version). */
  JpegUnavailable: 'GC_ERR_AGENT_JPEG_UNAVAILABLE',
  /** libturbojpeg refused to compress a rectangle (its message is in the error's message). */
  JpegFailed: 'GC_ERR_AGENT_JPEG_FAILED',
  /** libzstd refused or failed a stream chunk (its message is in the error's message). */
  ZstdStreamFailed: 'GC_ERR_AGENT_ZSTD_STREAM_FAILED',
  /** The encoder was used after close(). */
  Closed: 'GC_ERR_AGENT_ENCODER_CLOSED',
} as const;

export type EncoderErrorCode = (typeof EncoderErrorCode)[keyof typeof EncoderErrorCode];

/** Errors of the rectangle encoders. */
export class EncoderError extends Error {
  override readonly name = 'EncoderError';
  readonly code: EncoderErrorCode;

  constructor(code: EncoderErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}
