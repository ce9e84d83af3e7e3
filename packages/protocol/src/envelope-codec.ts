import type { MessageInitShape } from '@bufbuild/protobuf';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { type Envelope, EnvelopeSchema } from './gen/guruconnect/session/v1/session_pb.js';
import { BULK_PAYLOADS } from './message-roles.js';
import { ProtocolError, ProtocolErrorCode } from './protocol-error.js';
import { encodeVideoFrameEnvelope } from './video-frame-writer.js';

/** Default largest frame of any kind: 4 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 4 * 1024 * 1024;
/** Default largest control (non-bulk) message: 64 KiB. */
export const DEFAULT_MAX_CONTROL_BYTES = 64 * 1024;

export interface EnvelopeLimits {
  /** Largest encoded envelope of any kind, in bytes. Default 4 MiB ({@link DEFAULT_MAX_FRAME_BYTES}). */
  maxFrameBytes?: number;
  /**
   * Largest encoded envelope whose payload is not bulk (see `BULK_PAYLOADS`), in bytes.
   * Default 64 KiB ({@link DEFAULT_MAX_CONTROL_BYTES}); never more than `maxFrameBytes`.
   */
  maxControlBytes?: number;
}

export type EnvelopeInit = MessageInitShape<typeof EnvelopeSchema>;

/** Builds an Envelope from a plain object, e.g. `{ payload: { case: 'keyEvent', value: { keysym, down } } }`. */
export function createEnvelope(init: EnvelopeInit): Envelope {
  return create(EnvelopeSchema, init);
}

/**
 * Decodes one WebSocket binary frame. Throws {@link ProtocolError} — and nothing else — for
 * bytes that are not a valid envelope, an envelope without a known payload, or a frame over
 * the limit for its kind. The returned message's `bytes` fields are views into `data`, not
 * copies, so forwarding `data` itself costs nothing.
 */
export function decodeEnvelope(data: Uint8Array, limits: EnvelopeLimits = {}): Envelope {
  const { maxFrame, maxControl } = resolveLimits(limits);
  if (data.byteLength > maxFrame) {
    throw new ProtocolError(
      ProtocolErrorCode.TooLarge,
      `frame of ${data.byteLength} bytes exceeds the ${maxFrame}-byte limit`,
      { size: data.byteLength, limit: maxFrame },
    );
  }
  let envelope: Envelope;
  try {
    envelope = fromBinary(EnvelopeSchema, data);
  } catch (cause) {
    throw new ProtocolError(ProtocolErrorCode.Malformed, 'frame is not a valid Envelope', {
      cause,
      size: data.byteLength,
    });
  }
  const kind = envelope.payload.case;
  if (kind === undefined) {
    throw new ProtocolError(ProtocolErrorCode.EmptyPayload, 'Envelope has no payload this version knows', {
      size: data.byteLength,
    });
  }
  if (!BULK_PAYLOADS.has(kind) && data.byteLength > maxControl) {
    throw new ProtocolError(
      ProtocolErrorCode.TooLarge,
      `${kind} message of ${data.byteLength} bytes exceeds the ${maxControl}-byte control limit`,
      { size: data.byteLength, limit: maxControl },
    );
  }
  return envelope;
}

/**
 * Encodes an envelope for one WebSocket binary frame, refusing (with {@link ProtocolError})
 * anything the peer would refuse under the same limits. `allocate`, when given, provides the
 * buffer a video frame is written into (e.g. from a pool, reused once the socket has sent it);
 * other payloads ignore it.
 */
export function encodeEnvelope(
  envelope: Envelope | EnvelopeInit,
  limits: EnvelopeLimits = {},
  allocate?: (size: number) => Uint8Array,
): Uint8Array {
  const { maxFrame, maxControl } = resolveLimits(limits);
  const message = isEnvelope(envelope) ? envelope : create(EnvelopeSchema, envelope);
  const kind = message.payload.case;
  if (kind === undefined) {
    throw new ProtocolError(
      ProtocolErrorCode.EmptyPayload,
      'refusing to encode an Envelope without a payload',
    );
  }
  // Video frames are most of the bytes: written in one exact-size buffer (same bytes).
  const bytes =
    (message.payload.case === 'videoFrame' && !message.$unknown?.length
      ? encodeVideoFrameEnvelope(message.viewerId, message.payload.value, allocate)
      : undefined) ?? toBinary(EnvelopeSchema, message);
  const limit = BULK_PAYLOADS.has(kind) ? maxFrame : maxControl;
  if (bytes.byteLength > limit) {
    throw new ProtocolError(
      ProtocolErrorCode.TooLarge,
      `${kind} message of ${bytes.byteLength} bytes exceeds the ${limit}-byte limit`,
      { size: bytes.byteLength, limit },
    );
  }
  return bytes;
}

function isEnvelope(value: Envelope | EnvelopeInit): value is Envelope {
  return (value as Envelope).$typeName === EnvelopeSchema.typeName;
}

function resolveLimits(limits: EnvelopeLimits): { maxFrame: number; maxControl: number } {
  const maxFrame = limits.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const maxControl = Math.min(limits.maxControlBytes ?? DEFAULT_MAX_CONTROL_BYTES, maxFrame);
  return { maxFrame, maxControl };
}
