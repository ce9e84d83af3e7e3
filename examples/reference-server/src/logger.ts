import type { LogLevel } from './config.js';

export type LogFields = Record<string, unknown>;

/** Structured JSON-lines logger. Child loggers carry fields such as `correlationId`. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  /** Lowest level written. Default `info`. */
  level?: LogLevel;
  /** Where lines go. Default: process.stdout. */
  write?: (line: string) => void;
  /** Clock. Default `() => new Date()`. */
  now?: () => Date;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

// Secrets never reach a log line: by field name (password, token, secret, authorization,
// cookie, *key unless it is an id) and by shape (our prefixed secrets and JWTs) anywhere in a string.
const SECRET_FIELD =
  /pass(word)?|secret|token|authorization|cookie|^key$|apikey|agentkey|integrationkey|enrollmentkey|totp|code$/i;
const SAFE_FIELD = /(id|ids|_id|count|name|kind|type|prefix|fingerprint|url|path)$/i;
const SECRET_VALUE =
  /\b(cak|gat|gik|gek|gwh)_[A-Za-z0-9]{8,}|\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g;

/** Replaces secret-looking values with `[redacted]`. Exported for tests and for error messages. */
export function redact(value: unknown, key = '', depth = 0): unknown {
  if (key && SECRET_FIELD.test(key) && !SAFE_FIELD.test(key))
    return value === undefined ? undefined : '[redacted]';
  if (typeof value === 'string') return value.replace(SECRET_VALUE, '[redacted]');
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) {
    return { name: value.name, message: redact(value.message), code: (value as { code?: unknown }).code };
  }
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, '', depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redact(v, k, depth + 1);
  return out;
}

export function createLogger(options: LoggerOptions = {}, base: LogFields = {}): Logger {
  const min = ORDER[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  const now = options.now ?? (() => new Date());
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (ORDER[level] < min) return;
    const record = redact({ ...base, ...fields }) as LogFields;
    let line: string;
    try {
      line = JSON.stringify({ ts: now().toISOString(), level, msg: redact(msg), ...record });
    } catch (err) {
      // A field that cannot be serialised (a cycle) must not take the caller down with it.
      line = JSON.stringify({ ts: now().toISOString(), level, msg: redact(msg), logError: String(err) });
    }
    write(`${line}\n`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createLogger(options, { ...base, ...fields }),
  };
}
