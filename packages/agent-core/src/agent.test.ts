import { readdirSync, readFileSync } from 'node:fs';
import { Channel } from '@guruconnect/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Agent, createAgent } from './agent.js';
import type { AgentOptions } from './agent-options.js';
import { lumaDcQuantizer, paintUntilJpeg } from './test-support/jpeg-probe.js';
import { RelayPeer } from './test-support/relay-peer.js';
import { XDrawClient } from './test-support/x-draw-client.js';
import { XevRecorder } from './test-support/xev-recorder.js';
import { Xvfb } from './test-support/xvfb.js';

let xvfb: Xvfb;
let xev: XevRecorder;
beforeAll(async () => {
  xvfb = await Xvfb.start({ screen: '1024x768x24' });
  await xvfb.exec('xrandr', ['--setmonitor', 'LEFT', '512/100x768/150+0+0', 'screen']);
  await xvfb.exec('xrandr', ['--setmonitor', 'RIGHT', '512/100x768/150+512+0', 'none']);
  xev = await XevRecorder.start(xvfb, '200x200+600+100');
});
afterAll(async () => {
  xev?.close();
  await xvfb?.close();
});

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(options: Partial<AgentOptions> = {}): Promise<{ peer: RelayPeer; agent: Agent }> {
  const peer = await RelayPeer.start();
  cleanups.push(() => peer.close());
  const agent = createAgent({
    server: peer.url,
    supportCode: '123456',
    display: xvfb.display,
    machineUid: 'uid-test',
    consentProvider: async () => ({ accepted: true, reason: 'ok' }),
    ...options,
  });
  cleanups.push(() => agent.close());
  return { peer, agent };
}

describe('Agent against a relay peer and Xvfb', () => {
  it('runs an attended session: hello, status, consent, presence, frames, input, release on leave', async () => {
    const { peer, agent } = await start();
    await peer.waitFor((p) => p.messages('displayList').length > 0 && p.messages('agentStatus').length > 0);
    const hello = peer.messages('agentHello')[0]!;
    expect(hello.credential).toEqual({ case: 'supportCode', value: '123456' });
    expect(hello.machineUid).toBe('uid-test');
    expect(hello.capabilities).toEqual(expect.arrayContaining(['desktop', 'multi-display', 'codec-zstd']));
    expect(peer.messages('agentStatus')[0]!.inventory?.machineUid).toBe('uid-test');
    expect(peer.messages('displayList')[0]!.displays.map((d) => d.id)).toEqual(['LEFT', 'RIGHT']);

    peer.send({
      payload: {
        case: 'consentRequest',
        value: { requestId: 'r1', technicianName: 'Tess', channels: [Channel.VIEW, Channel.CONTROL] },
      },
    });
    await peer.waitFor((p) => p.messages('consentResponse').length > 0);
    expect(peer.messages('consentResponse')[0]).toMatchObject({ requestId: 'r1', accepted: true });
    expect(peer.messages('videoFrame')).toHaveLength(0); // nobody watches yet

    peer.send({
      payload: {
        case: 'viewerPresence',
        value: { viewerId: 'v1', joined: true, channels: [Channel.VIEW, Channel.CONTROL] },
      },
    });
    await peer.waitFor((p) => p.messages('videoFrame').length > 0);
    const key = peer.messages('videoFrame')[0]!;
    expect(key).toMatchObject({ keyFrame: true, displayId: 'LEFT', displayWidth: 512, displayHeight: 768 });
    expect(peer.messages('displayList').some((d) => d.viewerId === 'v1')).toBe(true);
    expect(peer.messages('cursorShape').length).toBeGreaterThan(0);

    // Switch to the right monitor: a key frame of it alone.
    peer.send({ viewerId: 'v1', payload: { case: 'frameAck', value: { sequence: key.sequence } } }, 'v1');
    peer.send({ payload: { case: 'displaySelect', value: { displayId: 'RIGHT' } } }, 'v1');
    await peer.waitFor((p) => p.messages('videoFrame').some((f) => f.displayId === 'RIGHT' && f.keyFrame));

    // Input from the viewer reaches a real X client on the right monitor (xev at 600,100).
    xev.events.length = 0;
    peer.send(
      { payload: { case: 'pointerEvent', value: { displayId: 'RIGHT', x: 150, y: 150, buttons: 1 } } },
      'v1',
    );
    peer.send(
      { payload: { case: 'pointerEvent', value: { displayId: 'RIGHT', x: 150, y: 150, buttons: 0 } } },
      'v1',
    );
    peer.send({ payload: { case: 'keyEvent', value: { keysym: 0x41, down: true } } }, 'v1');
    peer.send({ payload: { case: 'keyEvent', value: { keysym: 0x41, down: false } } }, 'v1');
    peer.send({ payload: { case: 'keyEvent', value: { keysym: 0x7a, down: true } } }, 'v1'); // z, held
    await xev.waitFor((e) => e.some((x) => x.kind === 'KeyPress' && x.keysym === 0x7a));
    expect(xev.events.find((e) => e.kind === 'ButtonPress')).toMatchObject({
      button: 1,
      rootX: 662,
      rootY: 150,
    });
    expect(xev.events.some((e) => e.kind === 'KeyPress' && e.keysym === 0x41)).toBe(true);
    // Input from a viewer the relay never announced is ignored.
    peer.send({ payload: { case: 'keyEvent', value: { keysym: 0x71, down: true } } }, 'intruder');

    // The viewer leaves while holding z: the agent releases it.
    peer.send({ payload: { case: 'viewerPresence', value: { viewerId: 'v1', joined: false } } });
    await xev.waitFor((e) => e.some((x) => x.kind === 'KeyRelease' && x.keysym === 0x7a));
    expect(xev.events.some((e) => e.keysym === 0x71)).toBe(false);
    expect(agent.viewers).toEqual([]);
  });

  it('answers a refresh with a key frame addressed to that viewer', async () => {
    const { peer } = await start({ agentKey: 'cak_x', supportCode: undefined });
    await peer.waitFor((p) => p.messages('displayList').length > 0);
    peer.send({ payload: { case: 'viewerPresence', value: { viewerId: 'v1', joined: true } } });
    peer.send({ payload: { case: 'viewerPresence', value: { viewerId: 'v2', joined: true } } });
    await peer.waitFor((p) => p.messages('videoFrame').length >= 1);
    const before = peer.messages('videoFrame').length;
    peer.send({ payload: { case: 'refreshRequest', value: {} } }, 'v2');
    await peer.waitFor((p) => p.messages('videoFrame').length > before);
    expect(peer.messages('videoFrame').at(-1)).toMatchObject({ viewerId: 'v2', keyFrame: true });
  });

  it('declines on its own when the user does not answer in time', async () => {
    const { peer } = await start({
      consentProvider: () => new Promise(() => undefined),
      consentTimeoutMs: 1000,
    });
    await peer.waitFor((p) => p.messages('displayList').length > 0);
    peer.send({ payload: { case: 'consentRequest', value: { requestId: 'r2', technicianName: 'T' } } });
    await peer.waitFor((p) => p.messages('consentResponse').length > 0, 5000);
    expect(peer.messages('consentResponse')[0]).toMatchObject({
      accepted: false,
      reason: 'no answer within 1 s',
    });
  });

  it('sends frames for a change after the key frame and none while static', async () => {
    const { peer } = await start();
    const client = new XDrawClient(xvfb.display);
    try {
      await peer.waitFor((p) => p.messages('displayList').length > 0);
      peer.send({ payload: { case: 'viewerPresence', value: { viewerId: 'v1', joined: true } } });
      await peer.waitFor((p) => p.messages('videoFrame').length === 1);
      peer.send({ payload: { case: 'frameAck', value: { sequence: 1n } } }, 'v1');
      const win = client.createWindow(10, 10, 8, 8, 0x123456);
      await peer.waitFor((p) => p.messages('videoFrame').length >= 2);
      const rects = peer
        .messages('videoFrame')
        .slice(1)
        .flatMap((f) => f.rects);
      expect(rects.every((r) => r.x >= 10 && r.y >= 10 && r.x + r.width <= 18 && r.y + r.height <= 18)).toBe(
        true,
      );
      client.destroyWindow(win);
    } finally {
      client.close();
    }
  });

  it('encodes moving photographic regions at the jpegQuality it was given', async () => {
    const { peer } = await start({ jpegQuality: { max: 30 } });
    const client = new XDrawClient(xvfb.display);
    const win = client.createWindow(40, 300, 256, 192, 0);
    try {
      await peer.waitFor((p) => p.messages('displayList').length > 0);
      const rect = await paintUntilJpeg(peer, client, win, { width: 256, height: 192 });
      expect(rect).toBeDefined();
      expect(lumaDcQuantizer(rect!.payload)).toBe(27); // q30
    } finally {
      client.destroyWindow(win);
      client.close();
    }
  });

  it('stops a one-shot agent whose support code is refused', async () => {
    const peer = await RelayPeer.start({ authenticate: () => ({ accept: false, code: 4001 }) });
    cleanups.push(() => peer.close());
    const agent = createAgent({
      server: peer.url,
      supportCode: 'bad',
      display: xvfb.display,
      machineUid: 'u',
    });
    const exit = await agent.done;
    expect(exit.closeCode).toBe(4001);
    expect(exit.error?.code).toBe('GC_ERR_AGENT_UNAUTHORIZED');
    await agent.close();
  });

  it('releases sockets, X connections, shared memory and timers on close', async () => {
    const fds = readdirSync('/proc/self/fd').length;
    const shm = ownShmSegments();
    const handles = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').length;
    const { peer, agent } = await start();
    await peer.waitFor((p) => p.messages('displayList').length > 0);
    peer.send({ payload: { case: 'viewerPresence', value: { viewerId: 'v1', joined: true } } });
    await peer.waitFor((p) => p.messages('videoFrame').length > 0);
    // Two segments: one for small captures, one for those made off the event loop (the key frame).
    expect(ownShmSegments().length).toBe(shm.length + 2);
    await agent.close();
    expect(agent.state.kind).toBe('stopped');
    await peer.close();
    cleanups.length = 0;
    await new Promise((r) => setTimeout(r, 100));
    expect(readdirSync('/proc/self/fd').length).toBe(fds);
    expect(ownShmSegments()).toEqual(shm);
    expect(process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').length).toBeLessThanOrEqual(
      handles,
    );
  });

  it('fails clearly without an X display', async () => {
    expect(() =>
      createAgent({ server: 'http://127.0.0.1:9', supportCode: '1', display: ':999', machineUid: 'u' }),
    ).toThrow(expect.objectContaining({ code: 'GC_ERR_AGENT_NO_DISPLAY' }));
  });
});

/** SysV shared-memory segments this process created (other processes on the machine come and go). */
function ownShmSegments(): string[] {
  return readFileSync('/proc/sysvipc/shm', 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((cols) => cols[4] === String(process.pid))
    .map((cols) => cols[1] ?? '');
}
