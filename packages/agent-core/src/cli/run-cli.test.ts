import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lumaDcQuantizer, paintUntilJpeg } from '../test-support/jpeg-probe.js';
import { RelayPeer } from '../test-support/relay-peer.js';
import { XDrawClient } from '../test-support/x-draw-client.js';
import { Xvfb } from '../test-support/xvfb.js';
import { readAgentConfig } from './agent-config.js';
import { AGENT_NODE_FLAGS } from './node-flags.js';
import { type CliIo, runCli } from './run-cli.js';

function io(env: NodeJS.ProcessEnv = {}): CliIo & { out: string; err: string; signal?: () => void } {
  const sink = {
    out: '',
    err: '',
    signal: undefined as (() => void) | undefined,
    stdout: {
      write(t: string): void {
        sink.out += t;
      },
    },
    stderr: {
      write(t: string): void {
        sink.err += t;
      },
    },
    env,
    onSignal(handler: () => void) {
      sink.signal = handler;
      return () => {
        sink.signal = undefined;
      };
    },
  };
  return sink;
}

let xvfb: Xvfb;
beforeAll(async () => {
  xvfb = await Xvfb.start({ screen: '640x480x24' });
});
afterAll(async () => {
  await xvfb?.close();
});

describe('gc-agent CLI', () => {
  it('prints --help for every command and fails on unknown ones', async () => {
    for (const command of ['connect', 'run', 'enroll', 'install-service', 'uninstall-service']) {
      const s = io();
      expect(await runCli([command, '--help'], s)).toBe(0);
      expect(s.out).toContain(`gc-agent ${command}`);
    }
    const top = io();
    expect(await runCli(['--help'], top)).toBe(0);
    expect(top.out).toMatch(/Exit codes/);
    expect(await runCli(['frobnicate'], io())).toBe(2);
    expect(await runCli(['connect', '--bogus'], io())).toBe(2);
    const missing = io();
    expect(await runCli(['connect', '--server', 'http://x'], missing)).toBe(2);
    expect(missing.err).toMatch(/--server and --code are required/);
    expect(await runCli(['connect', '--server', 'http://x', '--code', '1', '--fps', '0'], io())).toBe(2);
    for (const q of ['0', '101', '2.5', 'high']) {
      const bad = io();
      expect(await runCli(['connect', '--server', 'http://x', '--code', '1', '--max-quality', q], bad)).toBe(
        2,
      );
      expect(bad.err).toMatch(/--max-quality must be an integer from 1 to 100/);
    }
  });

  it('passes --max-quality to the JPEG encoder', async () => {
    const peer = await RelayPeer.start();
    const client = new XDrawClient(xvfb.display);
    const win = client.createWindow(20, 20, 256, 192, 0);
    const s = io();
    const run = runCli(
      ['run', '--server', peer.url, '--agent-key', 'cak_t', '--display', xvfb.display, '--max-quality', '30'],
      s,
    );
    try {
      await peer.waitFor((p) => p.messages('displayList').length > 0);
      const rect = await paintUntilJpeg(peer, client, win, { width: 256, height: 192 });
      expect(rect).toBeDefined();
      expect(lumaDcQuantizer(rect!.payload)).toBe(27); // q30; the default (93) gives 2
    } finally {
      // Stopped before the display goes, whatever the outcome.
      s.signal?.();
      expect(await run).toBe(0);
      client.destroyWindow(win);
      client.close();
      await peer.close();
    }
  });

  it('says clearly when no X display is reachable with --require-display (exit 3)', async () => {
    const s = io();
    expect(
      await runCli(
        [
          'connect',
          '--server',
          'http://127.0.0.1:9',
          '--code',
          '1',
          '--display',
          ':999',
          '--require-display',
        ],
        s,
      ),
    ).toBe(3);
    expect(s.err).toMatch(/cannot open X display :999.*terminal-only/);
    expect(
      await runCli(
        ['run', '--server', 'x', '--agent-key', 'k', '--terminal-only', '--require-display'],
        io(),
      ),
    ).toBe(2);
  });

  it('runs terminal-only without a reachable display, and on request', async () => {
    for (const args of [
      ['--display', ':999'],
      ['--display', xvfb.display, '--terminal-only'],
    ]) {
      const peer = await RelayPeer.start();
      try {
        const s = io();
        const run = runCli(
          ['run', '--server', peer.url, '--agent-key', 'cak_t', '--log-level', 'info', ...args],
          s,
        );
        await peer.waitFor((p) => p.messages('agentStatus').length > 0);
        expect(peer.messages('agentStatus')[0]!.terminalOnly).toBe(true);
        expect(peer.messages('agentHello')[0]!.capabilities).toEqual(['terminal']);
        expect(peer.messages('displayList')).toHaveLength(0);
        expect(s.err).toMatch(/terminalOnly.*true/);
        s.signal?.();
        expect(await run).toBe(0);
      } finally {
        await peer.close();
      }
    }
  });

  it('passes --allow-root-shell and --terminal-user to the terminals', async () => {
    const peer = await RelayPeer.start();
    try {
      const s = io();
      const base = [
        'run',
        '--server',
        peer.url,
        '--agent-key',
        'cak_t',
        '--terminal-only',
        '--log-level',
        'error',
      ];
      const run = runCli([...base, '--terminal-user', 'no-such-user-here', '--allow-root-shell'], s);
      await peer.waitFor((p) => p.messages('agentStatus').length > 0);
      peer.send({ payload: { case: 'viewerPresence', value: { viewerId: 'v1', joined: true } } });
      peer.send({ payload: { case: 'terminalOpen', value: { channelId: 7, cols: 80, rows: 24 } } }, 'v1');
      await peer.waitFor((p) => p.messages('terminalExit').length > 0);
      expect(peer.messages('terminalExit')[0]).toMatchObject({
        viewerId: 'v1',
        channelId: 7,
        reason: 'no user named no-such-user-here on this machine',
      });
      s.signal?.();
      expect(await run).toBe(0);
    } finally {
      await peer.close();
    }
  });

  it('exits 4 when the server refuses the code, 6 when the user declines, 0 on a stop signal', async () => {
    const refusing = await RelayPeer.start({ authenticate: () => ({ accept: false, code: 4001 }) });
    const declining = await RelayPeer.start();
    const running = await RelayPeer.start();
    try {
      const base = ['--display', xvfb.display, '--log-level', 'error'];
      const refused = io();
      expect(await runCli(['connect', '--server', refusing.url, '--code', '999', ...base], refused)).toBe(4);
      expect(refused.err).toMatch(/unauthorized/);

      const declined = io();
      const pending = runCli(['connect', '--server', declining.url, '--code', '1', ...base], declined);
      await declining.waitFor((p) => p.messages('displayList').length > 0);
      declining.socket?.close(4006, 'declined');
      expect(await pending).toBe(6);

      const stopped = io();
      const run = runCli(['run', '--server', running.url, '--agent-key', 'cak_ok', ...base], stopped);
      await running.waitFor((p) => p.messages('displayList').length > 0);
      stopped.signal?.();
      expect(await run).toBe(0);
    } finally {
      await refusing.close();
      await declining.close();
      await running.close();
    }
  });

  it('enrolls over Connect and writes the config file atomically with mode 0600', async () => {
    let request: Record<string, string> = {};
    const server = await connectServer(async (req, body) => {
      request = JSON.parse(body) as Record<string, string>;
      if (request.enrollmentKey !== 'gek_good') {
        return { status: 401, body: { code: 'unauthenticated', message: 'unknown enrollment key' } };
      }
      expect(req.url).toBe('/guruconnect.agent.v1.EnrollmentService/Enroll');
      return { status: 200, body: { agentKey: 'cak_new', machineId: 'm-42', site: 'HQ', company: 'Acme' } };
    });
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const dir = mkdtempSync(join(tmpdir(), 'gc-enroll-'));
      const config = join(dir, 'etc', 'agent.json');
      const s = io();
      expect(
        await runCli(['enroll', '--server', url, '--enroll-key', 'gek_good', '--config', config], s),
      ).toBe(0);
      expect(s.out).toContain('m-42');
      expect(request.machineUid).toMatch(/^[0-9a-f]{64}$/);
      expect(statSync(config).mode & 0o777).toBe(0o600);
      expect(await readAgentConfig(config)).toMatchObject({
        server: url,
        agentKey: 'cak_new',
        machineId: 'm-42',
      });

      const refused = io();
      expect(
        await runCli(['enroll', '--server', url, '--enroll-key', 'gek_bad', '--config', config], refused),
      ).toBe(4);
      expect(refused.err).toMatch(/refused the enrollment key: unknown enrollment key/);
      // The earlier file is untouched.
      expect((await readAgentConfig(config)).agentKey).toBe('cak_new');
    } finally {
      server.close();
    }
  });

  it('installs and uninstalls a systemd unit in a given directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gc-unit-'));
    const s = io();
    expect(
      await runCli(
        ['install-service', '--unit-dir', dir, '--config', '/etc/gc/agent.json', '--user', 'gc'],
        s,
      ),
    ).toBe(0);
    const unit = readFileSync(join(dir, 'gc-agent.service'), 'utf8');
    expect(unit).toMatch(/^ExecStart=.* run --config \/etc\/gc\/agent\.json$/m);
    // The agent's Node flags (node-flags.ts) are on the command line, where V8 accepts them.
    expect(unit).toMatch(/^ExecStart=\S+ --single-threaded-gc /m);
    expect(unit).toMatch(/^User=gc$/m);
    expect(unit).toMatch(/^Restart=on-failure$/m);
    expect(unit).toMatch(/^WantedBy=multi-user\.target$/m);
    expect(await runCli(['uninstall-service', '--unit-dir', dir], io())).toBe(0);
    const again = io();
    expect(await runCli(['uninstall-service', '--unit-dir', dir], again)).toBe(0);
    expect(again.out).toMatch(/No unit file/);
  });

  it('rejects a broken config file with exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gc-cfg-'));
    writeFileSync(join(dir, 'a.json'), '{"server": 1}');
    const s = io();
    expect(await runCli(['run', '--config', join(dir, 'a.json')], s)).toBe(2);
    expect(s.err).toMatch(/must contain "server" and "agentKey"/);
    writeFileSync(join(dir, 'b.json'), '{"server": "http://x", "agentKey": "cak_t", "maxQuality": 150}');
    const q = io();
    expect(await runCli(['run', '--config', join(dir, 'b.json')], q)).toBe(2);
    expect(q.err).toMatch(/"maxQuality" must be an integer from 1 to 100/);
  });
});

async function connectServer(
  handler: (req: IncomingMessage, body: string) => Promise<{ status: number; body: unknown }>,
): Promise<Server> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      handler(req, body).then(
        (r) => {
          res.writeHead(r.status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(r.body));
        },
        (e: unknown) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ code: 'internal', message: String(e) }));
        },
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return server;
}

describe('agent Node flags', () => {
  it('are the same in the gc-agent shebang and in AGENT_NODE_FLAGS', () => {
    const shebang = readFileSync(new URL('./gc-agent.ts', import.meta.url), 'utf8').split('\n')[0];
    expect(shebang).toBe(`#!/usr/bin/env -S node ${AGENT_NODE_FLAGS.join(' ')}`);
  });
});
