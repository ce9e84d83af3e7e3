import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Type prefixes of long-lived secrets; the prefix tells a leaked string's kind at a glance. */
export const SecretPrefix = {
  AgentKey: 'cak_',
  ApiToken: 'gat_',
  IntegrationKey: 'gik_',
  EnrollmentKey: 'gek_',
  /** Webhook signing secret: the one prefixed secret stored as is (the server signs with it). */
  WebhookSecret: 'gwh_',
} as const;
export type SecretPrefix = (typeof SecretPrefix)[keyof typeof SecretPrefix];

/** Random bytes per secret: 192 bits, comfortably over the 128-bit floor. */
const SECRET_BYTES = 24;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Length of 24 bytes in base62, left-padded so every secret of a kind has the same length. */
const BODY_LENGTH = 33;

function toBase62(bytes: Uint8Array): string {
  let n = BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
  let out = '';
  while (n > 0n) {
    out = BASE62[Number(n % 62n)] + out;
    n /= 62n;
  }
  return out.padStart(BODY_LENGTH, '0');
}

/** A fresh secret: prefix + 33 base62 characters (192 random bits). */
export function generateSecret(prefix: SecretPrefix): string {
  return prefix + toBase62(randomBytes(SECRET_BYTES));
}

/** True when `value` looks like a secret of that kind (cheap shape check before any lookup). */
export function hasSecretShape(value: string, prefix: SecretPrefix): boolean {
  return (
    value.length === prefix.length + BODY_LENGTH &&
    value.startsWith(prefix) &&
    /^[0-9A-Za-z]+$/.test(value.slice(prefix.length))
  );
}

/**
 * The stored form of a secret. Plain SHA-256 (not argon2) on purpose: these secrets carry 192 bits
 * of randomness, so no dictionary or brute force applies and a slow hash would only make every
 * agent hello and API call cost CPU. A fast hash also lets us look the row up by hash (unique index)
 * instead of scanning. Passwords, which are low-entropy, use argon2id (password-hasher.ts).
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/**
 * A short non-secret fingerprint people can compare (`ab12-cd34-ef56`). Domain-separated from the
 * stored hash, and only 48 bits of a hash of 192 random bits: it identifies, it does not reveal.
 */
export function fingerprintSecret(secret: string): string {
  const hex = createHash('sha256').update(`gc-fingerprint:${secret}`, 'utf8').digest('hex').slice(0, 12);
  return `${hex.slice(0, 4)}-${hex.slice(4, 8)}-${hex.slice(8, 12)}`;
}

/** Constant-time comparison of two hex digests. */
export function sameDigest(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}
