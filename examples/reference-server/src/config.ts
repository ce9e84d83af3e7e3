import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** Validated server configuration. Every field says where it comes from and its default. */
export interface ServerConfig {
  /** `GC_PORT`, default 8080; 0 picks a free port. */
  port: number;
  /** `GC_HOST`, default `127.0.0.1` (set `0.0.0.0` to serve other machines, with TLS). */
  host: string;
  /** `GC_PUBLIC_URL`, default `http(s)://HOST:PORT`: the URL agents, embeds and links use. */
  publicUrl: string | undefined;
  /** `GC_DATA_DIR`, default `./.gc-data`: PGlite data, recordings, the lock file. */
  dataDir: string;
  /** `DATABASE_URL`: PostgreSQL instead of the embedded PGlite. */
  databaseUrl: string | undefined;
  /** `GC_ADMIN_EMAIL`, default `admin@localhost`: the first admin, created only when none exists. */
  adminEmail: string;
  /** `GC_ADMIN_PASSWORD`: the first admin's password; when unset a one-time password is printed. */
  adminPassword: string | undefined;
  /** `GC_TLS_CERT` and `GC_TLS_KEY` (PEM files), both or neither. */
  tls: { cert: Buffer; key: Buffer } | undefined;
  /** `GC_ALLOWED_ORIGINS`, comma-separated: extra origins allowed to open viewer WebSockets. */
  allowedOrigins: string[];
  /** `GC_EMBED_ALLOWED_ORIGINS`, comma-separated: origins allowed to frame `/embed/viewer`. */
  embedAllowedOrigins: string[];
  /** `GC_INTEGRATION_KEY`: a bootstrap integration key (`gik_…`). */
  integrationKey: string | undefined;
  /** `GC_LOG_LEVEL`: debug | info | warn | error, default info. */
  logLevel: LogLevel;
  /** `GC_TRUST_PROXY`: take the client IP from X-Forwarded-For (only behind your own proxy). Default false. */
  trustProxy: boolean;
  /** `GC_SHUTDOWN_TIMEOUT_MS`: longest graceful shutdown, default 10000 (1000–60000). */
  shutdownTimeoutMs: number;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Every bad configuration value, reported together so one restart fixes them all. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'GC_ERR_CONFIG';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const KNOWN_KEYS = [
  'GC_PORT',
  'GC_HOST',
  'GC_PUBLIC_URL',
  'GC_DATA_DIR',
  'DATABASE_URL',
  'GC_ADMIN_EMAIL',
  'GC_ADMIN_PASSWORD',
  'GC_TLS_CERT',
  'GC_TLS_KEY',
  'GC_ALLOWED_ORIGINS',
  'GC_EMBED_ALLOWED_ORIGINS',
  'GC_INTEGRATION_KEY',
  'GC_LOG_LEVEL',
  'GC_TRUST_PROXY',
  'GC_SHUTDOWN_TIMEOUT_MS',
] as const;

/**
 * Reads configuration from the environment and, when `GC_CONFIG_FILE` names one, a JSON file
 * with the same keys (the environment wins). Throws {@link ConfigError} listing every problem.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ServerConfig {
  const problems: string[] = [];
  const source: Record<string, string | undefined> = {};
  const file = env.GC_CONFIG_FILE;
  if (file) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(resolve(cwd, file), 'utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        problems.push(`GC_CONFIG_FILE ${file}: must hold a JSON object`);
      } else {
        for (const [k, v] of Object.entries(parsed)) {
          if (!(KNOWN_KEYS as readonly string[]).includes(k))
            problems.push(`GC_CONFIG_FILE ${file}: unknown key ${k}`);
          else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
            source[k] = String(v);
          else problems.push(`GC_CONFIG_FILE ${file}: ${k} must be a string, number or boolean`);
        }
      }
    } catch (err) {
      problems.push(`GC_CONFIG_FILE ${file}: ${(err as Error).message}`);
    }
  }
  for (const k of KNOWN_KEYS) if (env[k] !== undefined && env[k] !== '') source[k] = env[k];

  const port = integer(source, 'GC_PORT', 8080, 0, 65535, problems);
  const host = source.GC_HOST ?? '127.0.0.1';
  const publicUrl = source.GC_PUBLIC_URL ? url(source.GC_PUBLIC_URL, 'GC_PUBLIC_URL', problems) : undefined;
  const databaseUrl = source.DATABASE_URL;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push('DATABASE_URL must start with postgres:// or postgresql://');
  }
  const adminEmail = source.GC_ADMIN_EMAIL ?? 'admin@localhost';
  if (!/^[^\s@]+@[^\s@]+$/.test(adminEmail)) problems.push('GC_ADMIN_EMAIL must be an email address');
  const adminPassword = source.GC_ADMIN_PASSWORD;
  if (adminPassword !== undefined && adminPassword.length < 12) {
    problems.push('GC_ADMIN_PASSWORD must be at least 12 characters');
  }
  let tls: ServerConfig['tls'];
  if (Boolean(source.GC_TLS_CERT) !== Boolean(source.GC_TLS_KEY)) {
    problems.push('GC_TLS_CERT and GC_TLS_KEY must be set together');
  } else if (source.GC_TLS_CERT && source.GC_TLS_KEY) {
    const cert = readPem(resolve(cwd, source.GC_TLS_CERT), 'GC_TLS_CERT', problems);
    const key = readPem(resolve(cwd, source.GC_TLS_KEY), 'GC_TLS_KEY', problems);
    if (cert && key) tls = { cert, key };
  }
  const allowedOrigins = origins(source, 'GC_ALLOWED_ORIGINS', problems);
  const embedAllowedOrigins = origins(source, 'GC_EMBED_ALLOWED_ORIGINS', problems);
  const integrationKey = source.GC_INTEGRATION_KEY;
  if (integrationKey !== undefined && !/^gik_[A-Za-z0-9]{33}$/.test(integrationKey)) {
    problems.push(
      'GC_INTEGRATION_KEY must be gik_ followed by 33 letters or digits (see docs/operations.md)',
    );
  }
  const logLevel = (source.GC_LOG_LEVEL ?? 'info') as LogLevel;
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    problems.push('GC_LOG_LEVEL must be one of debug, info, warn, error');
  }
  const trustProxy = boolean(source, 'GC_TRUST_PROXY', problems);
  const shutdownTimeoutMs = integer(source, 'GC_SHUTDOWN_TIMEOUT_MS', 10_000, 1000, 60_000, problems);

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port,
    host,
    publicUrl,
    dataDir: resolve(cwd, source.GC_DATA_DIR ?? '.gc-data'),
    databaseUrl,
    adminEmail,
    adminPassword,
    tls,
    allowedOrigins,
    embedAllowedOrigins,
    integrationKey,
    logLevel,
    trustProxy,
    shutdownTimeoutMs,
  };
}

function integer(
  src: Record<string, string | undefined>,
  key: string,
  dflt: number,
  min: number,
  max: number,
  problems: string[],
): number {
  const raw = src[key];
  if (raw === undefined) return dflt;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || n < min || n > max) {
    problems.push(`${key} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
    return dflt;
  }
  return n;
}

function boolean(src: Record<string, string | undefined>, key: string, problems: string[]): boolean {
  const raw = src[key];
  if (raw === undefined) return false;
  if (['1', 'true', 'yes'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no'].includes(raw.toLowerCase())) return false;
  problems.push(`${key} must be true or false, got ${JSON.stringify(raw)}`);
  return false;
}

function url(raw: string, key: string, problems: string[]): string | undefined {
  try {
    const u = new URL(raw);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    return u.origin + u.pathname.replace(/\/+$/, '');
  } catch {
    problems.push(`${key} must be an http(s) URL, got ${JSON.stringify(raw)}`);
    return undefined;
  }
}

function origins(src: Record<string, string | undefined>, key: string, problems: string[]): string[] {
  const raw = src[key];
  if (!raw) return [];
  const out: string[] = [];
  for (const part of raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    try {
      const u = new URL(part);
      if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.origin !== part.replace(/\/$/, ''))
        throw new Error();
      out.push(u.origin);
    } catch {
      problems.push(`${key}: ${JSON.stringify(part)} is not an origin like https://rmm.example.com`);
    }
  }
  return out;
}

function readPem(path: string, key: string, problems: string[]): Buffer | undefined {
  try {
    const data = readFileSync(path);
    if (!data.includes('-----BEGIN')) problems.push(`${key}: ${path} is not a PEM file`);
    return data;
  } catch (err) {
    problems.push(
      `${key}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
    return undefined;
  }
}
