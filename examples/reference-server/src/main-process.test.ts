// The server as an operator runs it: `node dist/main.js`, configured by the environment.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

const root = join(import.meta.dirname, '..', '..', '..');
const main = join(root, 'examples', 'reference-server', 'dist', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'gc-main-'));

beforeAll(() => {
  // The entry point is what `npm start` runs; build it (and the console) from the current sources.
  execFileSync(
    join(root, 'node_modules', '.bin', 'tsc'),
    ['-b', join(root, 'examples', 'reference-server')],
    { stdio: 'inherit' },
  );
  execFileSync(process.execPath, [join(root, 'examples', 'reference-server', 'build-assets.mjs')], {
    stdio: 'ignore',
  });
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function start(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  ready: Promise<string>;
} {
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, GC_DATA_DIR: join(dir, 'data'), GC_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const ready = new Promise<string>((resolve, reject) => {
    const onData = (c: Buffer) => {
      out += String(c);
      const m = /GuruConnect is running: open (\S+)/.exec(out);
      if (m) resolve(m[1] as string);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited ${code}:\n${out}`)));
  });
  return { child, output: () => out, ready };
}

describe('node dist/main.js', () => {
  it('refuses bad configuration with every problem listed and exit status 2', async () => {
    const { child, output, ready } = start({ GC_PORT: 'eighty', GC_LOG_LEVEL: 'loud' });
    await expect(ready).rejects.toThrow('server exited 2');
    expect(child.exitCode).toBe(2);
    expect(output()).toContain('GC_PORT must be a whole number');
    expect(output()).toContain('GC_LOG_LEVEL must be one of');
  });

  it('serves HTTPS with HSTS, and on SIGTERM closes sockets with 1001 and exits 0 within 10 s', async () => {
    const { child, output, ready } = start({
      GC_TLS_CERT: join(dir, 'cert.pem'),
      GC_TLS_KEY: join(dir, 'key.pem'),
    });
    const url = await ready;
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(output()).toMatch(/one-time password: \S+/);
    const res = await new Promise<{ status: number; hsts: string | undefined }>((resolve, reject) => {
      request(`${url}/healthz`, { rejectUnauthorized: false }, (r) => {
        r.resume();
        resolve({
          status: r.statusCode ?? 0,
          hsts: r.headers['strict-transport-security'] as string | undefined,
        });
      })
        .on('error', reject)
        .end();
    });
    expect(res).toEqual({ status: 200, hsts: 'max-age=31536000; includeSubDomains' });
    const ws = new WebSocket(`${url.replace('https', 'wss')}/v1/agent`, { rejectUnauthorized: false });
    await once(ws, 'open');
    const closed = new Promise<number>((resolve) => ws.once('close', (c) => resolve(c)));
    const started = Date.now();
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(await closed).toBe(1001);
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    // Logs are JSON lines; the one-time password never reaches them.
    const password = /one-time password: (\S+)/.exec(output())?.[1] ?? 'none';
    const jsonLines = output()
      .split('\n')
      .filter((l) => l.startsWith('{'));
    expect(jsonLines.length).toBeGreaterThan(0);
    for (const line of jsonLines) expect(() => JSON.parse(line)).not.toThrow();
    expect(jsonLines.join('\n')).not.toContain(password);
  });
});
