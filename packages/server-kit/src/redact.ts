/**
 * The redaction guard: everything that leaves the kit for a log line, an audit detail or an API
 * response passes through here, so a secret (or its hash) that slipped into a record is cut out
 * instead of stored or shown.
 */

/** Field names whose values are never kept, whatever they hold. */
const SECRET_KEY =
  /pass(word)?|secret|hash|token|authorization|cookie|totp|otp|api_?key|agent_?key|enrollment_?key|integration_?key|support_?code|signing/i;

/** Secret-shaped substrings: prefixed keys, JWTs, argon2 hashes, bare SHA-256 digests, support codes. */
const SECRET_VALUE = [
  /\b(?:cak|gat|gik|gek|gwh)_[0-9A-Za-z]{16,}/g,
  /\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*/g,
  /\$argon2[a-z]{0,2}\$[^\s"']+/g,
  /\b[0-9a-f]{64}\b/gi,
];

export const REDACTED = '[redacted]';

/** Removes secret-shaped substrings from a string. */
export function redactString(value: string): string {
  let out = value;
  for (const pattern of SECRET_VALUE) out = out.replace(pattern, REDACTED);
  return out;
}

/** Deep copy of `value` with secret fields and secret-shaped strings replaced by `[redacted]`. */
export function redact<T>(value: T, depth = 0): T {
  if (depth > 8) return REDACTED as T;
  if (typeof value === 'string') return redactString(value) as T;
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1)) as T;
  if (value instanceof Date || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { name: value.name, message: redactString(value.message) } as T;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    out[key] = SECRET_KEY.test(key) ? REDACTED : redact(item, depth + 1);
  }
  return out as T;
}
