// End to end without a display: headless Chromium's <gc-viewer mode="terminal"> ↔ the real relay
// (relay-core) ↔ the real gc agent (agent-core) running terminal-only because its X display is
// unreachable, with a real login shell on a real PTY. Types echo $((6*7)) and sees 42, resizes
// the element and sees stty size follow, ends the session and finds no process of the shell.
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Agent, createAgent } from '@guruconnect/agent-core';
import { Channel, CloseReason, SessionMode } from '@guruconnect/protocol';
import { createRelay, type Relay } from '@guruconnect/relay-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ViewerHarness } from './test-support/viewer-harness.js';

let h: ViewerHarness;
let relay: Relay;
let server: Server;
let relayOrigin: string;
let agent: Agent;

beforeAll(async () => {
  h = await ViewerHarness.start();
  relay = createRelay({
    authenticateAgent: async (hello) =>
      hello.credential.case === 'agentKey' && hello.credential.value === 'cak_e2e'
        ? {
            ok: true,
            value: { machineId: 'm-headless', machineName: 'headless', mode: SessionMode.UNATTENDED },
          }
        : { ok: false, reason: CloseReason.UNAUTHORIZED, message: 'unknown key' },
    authorizeViewer: async (token, sessionId) => ({
      ok: true,
      value: {
        sessionId,
        machineId: 'm-headless',
        mode: SessionMode.UNATTENDED,
        channels: token === 'tok-terminal' ? [Channel.TERMINAL] : [Channel.VIEW],
        viewerName: 'Tess Technician',
      },
    }),
    allowedOrigins: [h.origin],
  });
  server = createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (req, socket, head) => {
    if (!relay.handleUpgrade(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  relayOrigin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // What gc-agent does: terminal-only when the display cannot be reached (here :999, nothing).
  agent = createAgent({
    server: relayOrigin,
    agentKey: 'cak_e2e',
    machineUid: 'uid-headless',
    display: ':999',
    terminalOnly: 'auto',
    allowRootShell: true, // the tests run as root
  });
  await h.page.waitForFunction(() => true);
  const deadline = Date.now() + 10_000;
  while (!relay.isAgentOnline('m-headless')) {
    if (Date.now() > deadline) throw new Error('the agent did not connect');
    await new Promise((r) => setTimeout(r, 20));
  }
});
afterAll(async () => {
  await agent?.close();
  await relay?.close();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await h?.close();
});

const text = (id: string) => h.page.evaluate((id) => window.gcTest.terminalText(id), id);

async function waitForText(id: string, pattern: RegExp): Promise<string> {
  await h.page.waitForFunction(
    ({ id, source, flags }) => new RegExp(source, flags).test(window.gcTest.terminalText(id)),
    { id, source: pattern.source, flags: pattern.flags },
  );
  return text(id);
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

function sessionMembers(sid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z' && (Number(fields[3]) === sid || Number(fields[2]) === sid))
        out.push(Number(name));
    } catch {
      // exited while we looked
    }
  }
  return out;
}

describe('terminal session to an agent without X, in Chromium', () => {
  it('runs a shell: 42, stty size follows the element, nothing left after the session ends', async () => {
    expect(agent.terminalOnly).toBe(true);
    await h.page.evaluate(
      ({ server }) =>
        window.gcTest.create({
          id: 'e2e',
          server,
          session: 'sess-headless',
          token: 'tok-terminal',
          mode: 'terminal',
          width: 800,
          height: 400,
        }),
      { server: relayOrigin },
    );
    await h.page.waitForFunction(() => window.gcTest.status('e2e').state === 'connected');
    await h.page.waitForFunction(() => window.gcTest.terminalText('e2e').includes('#'));
    await h.page.evaluate(() => window.gcTest.focusTerminal('e2e'));

    await h.page.keyboard.type('echo PID:$$:');
    await h.page.keyboard.press('Enter');
    const pid = Number((await waitForText('e2e', /PID:(\d+):/)).match(/PID:(\d+):/)![1]);
    expect(agent.terminals.map((t) => t.pid)).toEqual([pid]);

    await h.page.keyboard.type('echo $((6*7))');
    await h.page.keyboard.press('Enter');
    await waitForText('e2e', /^42$/m);

    const before = await h.page.evaluate(() => window.gcTest.terminalSize('e2e'));
    await h.page.keyboard.type('stty size');
    await h.page.keyboard.press('Enter');
    await waitForText('e2e', new RegExp(`^${before!.rows} ${before!.cols}$`, 'm'));

    await h.page.evaluate(() => window.gcTest.resize('e2e', 1100, 620));
    await h.page.waitForFunction(
      (cols) => (window.gcTest.terminalSize('e2e')?.cols ?? 0) > cols,
      before!.cols,
    );
    const after = await h.page.evaluate(() => window.gcTest.terminalSize('e2e'));
    await h.page.keyboard.type('clear; stty size');
    await h.page.keyboard.press('Enter');
    await waitForText('e2e', new RegExp(`^${after!.rows} ${after!.cols}$`, 'm'));
    expect(after!.rows).toBeGreaterThan(before!.rows);

    // A background job too; then the session ends (the console's "end session").
    await h.page.keyboard.type('sleep 600 & echo JOB:$!:');
    await h.page.keyboard.press('Enter');
    const job = Number((await waitForText('e2e', /JOB:(\d+):/)).match(/JOB:(\d+):/)![1]);
    expect(sessionMembers(pid)).toEqual(expect.arrayContaining([pid, job]));
    const ended = Date.now();
    relay.endSession('sess-headless');
    await h.page.waitForFunction(() => window.gcTest.status('e2e').state === 'ended');
    while ((alive(pid) || alive(job)) && Date.now() - ended < 5000)
      await new Promise((r) => setTimeout(r, 20));
    expect(alive(pid) || alive(job)).toBe(false);
    expect(Date.now() - ended).toBeLessThan(2500);
    expect(sessionMembers(pid)).toEqual([]);
    while (agent.terminals.length > 0 && Date.now() - ended < 5000)
      await new Promise((r) => setTimeout(r, 20));
    expect(agent.terminals).toEqual([]);
  });
});
