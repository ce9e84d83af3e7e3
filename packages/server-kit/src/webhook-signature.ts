import { createHmac, timingSafeEqual } from 'node:crypto';

/** The headers every delivery carries (names as sent; HTTP header names are case-insensitive). */
export const WebhookHeader = {
  /** The delivery id: the idempotency key, the same on every retry (also the body's `id`). */
  Id: 'GuruConnect-Webhook-Id',
  /** Unix seconds when this attempt was signed. */
  Timestamp: 'GuruConnect-Timestamp',
  /** `v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>`. */
  Signature: 'GuruConnect-Signature',
} as const;

/** Seconds a signature's timestamp may be away from the receiver's clock, by default. */
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;

/** The `GuruConnect-Signature` value for one attempt: `v1=` + hex HMAC-SHA256 over `timestamp.body`. */
export function signWebhookPayload(secret: string, timestamp: number, body: string | Uint8Array): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.`, 'utf8');
  if (typeof body === 'string') mac.update(body, 'utf8');
  else mac.update(body);
  return `v1=${mac.digest('hex')}`;
}

export interface VerifyWebhookSignatureInput {
  /** The webhook's signing secret (`gwh_…`), as returned once by `register`. */
  secret: string;
  /** The `GuruConnect-Timestamp` header (unix seconds), as received. */
  timestamp: string | number;
  /** The raw request body, exactly as received (before any JSON parsing). */
  body: string | Uint8Array;
  /** The `GuruConnect-Signature` header; several comma-separated `v1=` values are allowed. */
  signature: string;
  /** Accepted distance between the timestamp and `now`, seconds. Default 300; 0 turns the check off. */
  toleranceSeconds?: number;
  /** The receiver's time. Default: the system clock. */
  now?: Date;
}

/**
 * True when `signature` is a valid `v1` HMAC of `timestamp.body` under `secret` and the timestamp is
 * within the tolerance (a captured request cannot be replayed later). Compares in constant time.
 * Receivers should also drop a delivery id they have already processed (retries reuse it).
 */
export function verifyWebhookSignature(input: VerifyWebhookSignatureInput): boolean {
  const timestamp = typeof input.timestamp === 'number' ? input.timestamp : Number(input.timestamp.trim());
  if (!Number.isSafeInteger(timestamp) || timestamp <= 0) return false;
  const tolerance = input.toleranceSeconds ?? DEFAULT_SIGNATURE_TOLERANCE_SECONDS;
  if (tolerance > 0) {
    const nowSeconds = Math.floor((input.now ?? new Date()).getTime() / 1000);
    if (Math.abs(nowSeconds - timestamp) > tolerance) return false;
  }
  const expected = Buffer.from(signWebhookPayload(input.secret, timestamp, input.body).slice(3), 'hex');
  let valid = false;
  for (const part of input.signature.split(',')) {
    const value = part.trim();
    if (!value.startsWith('v1=')) continue;
    const given = Buffer.from(value.slice(3), 'hex');
    // Every candidate is compared (no early exit), each in constant time.
    if (given.length === expected.length && timingSafeEqual(given, expected)) valid = true;
  }
  return valid;
}
