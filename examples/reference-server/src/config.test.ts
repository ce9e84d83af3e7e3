import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'gc-config-'));

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env, dir);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('loadConfig', () => {
  it('runs on embedded defaults with no configuration at all', () => {
    const c = loadConfig({}, dir);
    expect(c).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      databaseUrl: undefined,
      adminEmail: 'admin@localhost',
      logLevel: 'info',
      tls: undefined,
    });
    expect(c.dataDir).toBe(join(dir, '.gc-data'));
  });

  it('reports every bad value at once, each with a clear message', () => {
    const p = problems({
      GC_PORT: '80a',
      DATABASE_URL: 'mysql://x',
      GC_ADMIN_PASSWORD: 'short',
      GC_TLS_CERT: 'cert.pem',
      GC_EMBED_ALLOWED_ORIGINS: 'https://ok.example, not an origin, https://x.example/path',
      GC_LOG_LEVEL: 'verbose',
      GC_TRUST_PROXY: 'maybe',
      GC_INTEGRATION_KEY: 'secret',
    });
    expect(p).toEqual([
      'GC_PORT must be a whole number from 0 to 65535, got "80a"',
      'DATABASE_URL must start with postgres:// or postgresql://',
      'GC_ADMIN_PASSWORD must be at least 12 characters',
      'GC_TLS_CERT and GC_TLS_KEY must be set together',
      'GC_EMBED_ALLOWED_ORIGINS: "not an origin" is not an origin like https://rmm.example.com',
      'GC_EMBED_ALLOWED_ORIGINS: "https://x.example/path" is not an origin like https://rmm.example.com',
      'GC_INTEGRATION_KEY must be gik_ followed by 33 letters or digits (see docs/operations.md)',
      'GC_LOG_LEVEL must be one of debug, info, warn, error',
      'GC_TRUST_PROXY must be true or false, got "maybe"',
    ]);
  });

  it('reads an optional JSON file, which the environment overrides, and rejects unknown keys', () => {
    writeFileSync(
      join(dir, 'gc.json'),
      JSON.stringify({
        GC_PORT: 9000,
        GC_LOG_LEVEL: 'debug',
        GC_EMBED_ALLOWED_ORIGINS: 'https://rmm.example.com',
      }),
    );
    const c = loadConfig({ GC_CONFIG_FILE: 'gc.json', GC_PORT: '9100' }, dir);
    expect(c.port).toBe(9100);
    expect(c.logLevel).toBe('debug');
    expect(c.embedAllowedOrigins).toEqual(['https://rmm.example.com']);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ GC_PROT: 1 }));
    expect(problems({ GC_CONFIG_FILE: 'bad.json' })).toEqual([
      'GC_CONFIG_FILE bad.json: unknown key GC_PROT',
    ]);
    expect(problems({ GC_CONFIG_FILE: 'missing.json' })[0]).toMatch(/^GC_CONFIG_FILE missing.json: ENOENT/);
  });

  it('names unreadable TLS files', () => {
    expect(problems({ GC_TLS_CERT: 'nope.pem', GC_TLS_KEY: 'nope.key' })).toEqual([
      `GC_TLS_CERT: cannot read ${join(dir, 'nope.pem')} (ENOENT)`,
      `GC_TLS_KEY: cannot read ${join(dir, 'nope.key')} (ENOENT)`,
    ]);
  });
});
