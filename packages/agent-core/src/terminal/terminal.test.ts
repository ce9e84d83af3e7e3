// Terminals through a terminal-only agent, against a real login shell on a real PTY and the
// relay peer: output, input, resize, refusal of root, the whole process tree ended.
import { readdirSync, readFileSync } from 'node:fs';
import { Channel } from '@guruconnect/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { type Agent, createAgent } from '../agent.js';
import type { AgentOptions } from '../agent-options.js';
import { RelayPeer } from '../test-support/relay-peer.js';
import { TerminalViewer } from '../test-support/terminal-viewer.js';
import { listProcesses, terminalMembers } from './process-tree.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(options: Partial<AgentOptions> = {}): Promise<{ peer: RelayPeer; agent: Agent }> {
  const peer = await RelayPeer.start();
  cleanups.push(() => peer.close());
  const agent = createAgent({
    server: peer.url,
    agentKey: 'cak_test',
    machineUid: 'uid-terminal',
    terminalOnly: true,
    // The tests run as root: the shell may only start because this says so (see the refusal test).
    allowRootShell: true,
    ...options,
  });
  cleanups.push(() => agent.close());
  await peer.waitFor((p) => p.messages('agentStatus').length > 0);
  return { peer, agent };
}

function join(peer: RelayPeer, viewerId = 'v1', channels = [Channel.TERMINAL]): void {
  peer.send({ payload: { case: 'viewerPresence', value: { viewerId, joined: true, channels } } });
}

/** Opens a terminal and waits until its shell has printed its pid. */
async function openShell(peer: RelayPeer, viewerId = 'v1'): Promise<{ term: TerminalViewer; pid: number }> {
  join(peer, viewerId);
  const term = new TerminalViewer(peer, { viewerId });
  term.open(80, 24);
  term.type('echo PID:$$:\r');
  const pid = Number((await term.waitFor(/PID:(\d+):/))[1]);
  return { term, pid };
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('terminal-only agent', () => {
  it('announces terminal only, sends no display list, and runs a login shell', async () => {
    process.env.GC_TEST_SECRET = 'must not reach the shell';
    cleanups.push(async () => {
      delete process.env.GC_TEST_SECRET;
    });
    const { peer, agent } = await start();
    expect(agent.terminalOnly).toBe(true);
    expect(peer.messages('agentHello')[0]!.capabilities).toEqual(['terminal']);
    expect(peer.messages('agentStatus')[0]!.terminalOnly).toBe(true);
    const { term, pid } = await openShell(peer);
    expect(agent.terminals).toEqual([{ viewerId: 'v1', channelId: 1, pid }]);
    term.type('echo $((6*7))\r');
    await term.waitFor(/[\r\n]42\r\n/);
    // A login shell of the agent's user, in a clean environment.
    term.type('shopt -q login_shell && echo "[login][$HOME][$TERM]"; env | grep -c GC_TEST_SECRET\r');
    await term.waitFor(/[\r\n]\[login\]\[\/root\]\[xterm-256color\]\r\n0\r\n/);
    expect(peer.messages('displayList')).toHaveLength(0);
    expect(peer.messages('videoFrame')).toHaveLength(0);
    // Output is addressed to that viewer only.
    expect(peer.messages('terminalData').every((m) => m.viewerId === 'v1')).toBe(true);
  });

  it('resizes the PTY: stty size reports the new size', async () => {
    const { peer } = await start();
    const { term } = await openShell(peer);
    term.type('stty size\r');
    await term.waitFor(/[\r\n]24 80\r\n/);
    term.resize(132, 41);
    term.type('stty size\r');
    await term.waitFor(/[\r\n]41 132\r\n/);
  });

  it('kills the whole terminal within 2 s when the viewer leaves: no process of it remains', async () => {
    const { peer, agent } = await start();
    const { term, pid } = await openShell(peer);
    // A background job, one that ignores SIGHUP (needs the SIGKILL), and one in its own session.
    term.type('sleep 300 & echo J1:$!:; sh -c \'trap "" HUP; while :; do sleep 1; done\' & echo J2:$!:\r');
    const j1 = Number((await term.waitFor(/J1:(\d+):/))[1]);
    const j2 = Number((await term.waitFor(/J2:(\d+):/))[1]);
    // Not a group leader, so setsid(1) calls setsid() without forking: a new session, still our child.
    term.type('true | setsid sleep 300 & echo J3:$!:\r');
    const j3 = Number((await term.waitFor(/J3:(\d+):/))[1]);
    await new Promise((r) => setTimeout(r, 200));
    const before = terminalMembers(pid).map((m) => m.pid);
    expect(before).toEqual(expect.arrayContaining([pid, j1, j2, j3]));

    const started = Date.now();
    peer.send({ payload: { case: 'viewerPresence', value: { viewerId: 'v1', joined: false } } });
    const deadline = Date.now() + 4000;
    while ([pid, j1, j2, j3].some(alive) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    const elapsed = Date.now() - started;
    expect([pid, j1, j2, j3].filter(alive)).toEqual([]);
    // SIGHUP, 2 s grace for the HUP-ignoring job, then SIGKILL.
    expect(elapsed).toBeLessThan(3000);
    expect(elapsed).toBeGreaterThanOrEqual(1900);
    const left = listProcesses().filter(
      (p) => (p.sid === pid || p.pgid === pid || before.includes(p.pid)) && p.state !== 'Z',
    );
    expect(left).toEqual([]);
    await peer.waitFor(() => agent.terminals.length === 0);
    expect(term.exit).toBeUndefined(); // the viewer is gone: nothing is sent to it
  });

  it('reports the shell exiting by itself', async () => {
    const { peer, agent } = await start();
    const { term } = await openShell(peer);
    term.type('exit 3\r');
    const exit = await term.waitForExit();
    expect(exit).toMatchObject({ channelId: 1, exitCode: 3, signal: 0, reason: 'the shell exited (code 3)' });
    expect(agent.terminals).toEqual([]);
  });

  it('ends every terminal when the agent closes', async () => {
    const { peer, agent } = await start();
    const a = await openShell(peer, 'v1');
    const b = await openShell(peer, 'v2');
    await agent.close();
    expect(alive(a.pid) || alive(b.pid)).toBe(false);
    expect(terminalMembers(a.pid).concat(terminalMembers(b.pid))).toEqual([]);
  });

  it('releases the PTY, sockets and timers on close', async () => {
    const fds = readdirSync('/proc/self/fd').length;
    const handles = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').length;
    const { peer, agent } = await start();
    const { pid } = await openShell(peer);
    expect(readdirSync('/proc/self/fd').length).toBeGreaterThan(fds);
    await agent.close();
    await peer.close();
    cleanups.length = 0;
    await new Promise((r) => setTimeout(r, 300));
    expect(alive(pid)).toBe(false);
    expect(readdirSync('/proc/self/fd').length).toBeLessThanOrEqual(fds);
    expect(process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').length).toBeLessThanOrEqual(
      handles,
    );
  });

  it('refuses a root shell unless allowRootShell is set', async () => {
    expect(process.getuid?.()).toBe(0); // this test proves the refusal only when run as root
    const { peer, agent } = await start({ allowRootShell: false });
    join(peer);
    const term = new TerminalViewer(peer);
    term.open();
    const exit = await term.waitForExit();
    expect(exit.exitCode).toBe(-1);
    expect(exit.reason).toMatch(/root.*--allow-root-shell/);
    expect(agent.terminals).toEqual([]);
    expect(peer.messages('terminalData')).toHaveLength(0);
  });

  it('refuses viewers without the terminal channel, and terminals when disabled', async () => {
    const { peer } = await start();
    join(peer, 'v1', [Channel.VIEW, Channel.CONTROL]);
    const term = new TerminalViewer(peer);
    term.open();
    expect((await term.waitForExit()).reason).toBe('this viewer may not open a terminal');
    const stranger = new TerminalViewer(peer, { viewerId: 'never-joined' });
    stranger.open();
    expect((await stranger.waitForExit()).reason).toBe('this viewer may not open a terminal');

    const disabled = await start({ terminal: { enabled: false } });
    expect(disabled.peer.messages('agentHello')[0]!.capabilities).toEqual([]);
    join(disabled.peer);
    const off = new TerminalViewer(disabled.peer);
    off.open();
    expect((await off.waitForExit()).reason).toBe('terminal access is disabled on this agent');
  });

  it("falls back to terminal-only in 'auto' mode when no X display is reachable", async () => {
    const { peer, agent } = await start({ terminalOnly: 'auto', display: ':999' });
    expect(agent.terminalOnly).toBe(true);
    expect(peer.messages('agentStatus')[0]!.terminalOnly).toBe(true);
  });
});
