// The relay refusing what it must: wrong Origins, bad credentials, hooks that fail, messages
// of the wrong role or channel, and input floods.
import { Channel } from '@guruconnect/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connectAgent,
  connectViewer,
  type Harness,
  ORIGIN,
  sleep,
  startHarness,
  TestClient,
  until,
  videoFrame,
} from './test-support/relay-harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('refusals', () => {
  it('refuses a wrong Origin with HTTP 403 before any hook runs', async () => {
    h = await startHarness();
    const viewer = new TestClient(`ws://127.0.0.1:${h.port}/v1/viewer`, { origin: 'https://evil.test' });
    await expect(viewer.opened).rejects.toMatchObject({ cause: 403 });
    const noOrigin = new TestClient(`ws://127.0.0.1:${h.port}/v1/viewer`);
    await expect(noOrigin.opened).rejects.toMatchObject({ cause: 403 });
    const agent = new TestClient(`ws://127.0.0.1:${h.port}/v1/agent`, { origin: 'https://evil.test' });
    await expect(agent.opened).rejects.toMatchObject({ cause: 403 });
    expect(h.hookCalls).toEqual({ agent: 0, viewer: 0 });
    expect(h.events.filter((e) => e.type === 'violation' && e.code === 'forbidden_origin')).toHaveLength(3);
    // An agent without Origin and a viewer with an allowed one get through.
    const ok = new TestClient(`ws://127.0.0.1:${h.port}/v1/agent`);
    await ok.opened;
    const okViewer = new TestClient(`ws://127.0.0.1:${h.port}/v1/viewer`, { origin: ORIGIN });
    await okViewer.opened;
  });

  it('closes an unauthenticated socket with 4002 after the hello deadline', async () => {
    h = await startHarness({ helloTimeoutMs: 100 });
    const started = Date.now();
    const silent = new TestClient(`ws://127.0.0.1:${h.port}/v1/agent`);
    const silentViewer = new TestClient(`ws://127.0.0.1:${h.port}/v1/viewer`, { origin: ORIGIN });
    expect((await silent.closed).code).toBe(4002);
    expect((await silentViewer.closed).code).toBe(4002);
    expect(Date.now() - started).toBeLessThan(3000);
    await until(() => h?.relay.stats().sockets === 0);
  });

  it('closes with the hook’s reason when credentials are refused', async () => {
    h = await startHarness();
    const agent = new TestClient(`ws://127.0.0.1:${h.port}/v1/agent`);
    await agent.opened;
    agent.send({
      payload: { case: 'agentHello', value: { credential: { case: 'agentKey', value: 'nope' } } },
    });
    expect((await agent.closed).code).toBe(4001);
    expect(agent.kinds()).toEqual(['error', 'closeNotice']);
  });

  it('closes with 1011 when a hook throws or rejects, and nothing else breaks', async () => {
    const errors: unknown[] = [];
    h = await startHarness({
      authenticateAgent: () => {
        throw new Error('db down');
      },
      authorizeViewer: () => Promise.reject(new Error('db down')),
      onError: (e) => errors.push(e),
    });
    const agent = new TestClient(`ws://127.0.0.1:${h.port}/v1/agent`);
    await agent.opened;
    agent.send({ payload: { case: 'agentHello', value: {} } });
    const viewer = new TestClient(`ws://127.0.0.1:${h.port}/v1/viewer`, { origin: ORIGIN });
    await viewer.opened;
    viewer.send({ payload: { case: 'viewerHello', value: { token: 't', sessionId: 's' } } });
    expect((await agent.closed).code).toBe(1011);
    expect((await viewer.closed).code).toBe(1011);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatchObject({ code: 'GC_ERR_RELAY_HOOK_FAILED' });
  });

  it('refuses a token for another session', async () => {
    h = await startHarness();
    const token = h.viewerToken({ sessionId: 'A', machineId: 'm1' });
    const viewer = new TestClient(`ws://127.0.0.1:${h.port}/v1/viewer`, { origin: ORIGIN });
    await viewer.opened;
    viewer.send({ payload: { case: 'viewerHello', value: { token, sessionId: 'B' } } });
    expect((await viewer.closed).code).toBe(4001);
  });

  it('closes 4012 for an unsupported protocol version without calling the hook', async () => {
    h = await startHarness();
    const agent = new TestClient(`ws://127.0.0.1:${h.port}/v1/agent`);
    await agent.opened;
    agent.send({ payload: { case: 'agentHello', value: { protocolVersion: '2.0.0' } } });
    expect((await agent.closed).code).toBe(4012);
    expect(h.hookCalls.agent).toBe(0);
  });
});

describe('policy', () => {
  it('closes a viewer with 1008 for a message of the agent’s role or an ungranted channel', async () => {
    h = await startHarness();
    await connectAgent(h, h.agentKey('m1'));
    const v1 = await connectViewer(h, h.viewerToken({ sessionId: 's1', machineId: 'm1' }), 's1');
    v1.send(videoFrame(1, 10));
    expect((await v1.closed).code).toBe(1008);
    const v2 = await connectViewer(
      h,
      h.viewerToken({ sessionId: 's1', machineId: 'm1', channels: [Channel.VIEW] }),
      's1',
    );
    v2.send({ payload: { case: 'keyEvent', value: { keysym: 1, down: true } } });
    expect((await v2.closed).code).toBe(1008);
    const violations = h.events.filter((e) => e.type === 'violation');
    expect(violations.map((v) => v.type === 'violation' && v.code)).toEqual([
      'wrong_role',
      'channel_not_granted',
    ]);
    expect(violations[0]).toMatchObject({ role: 'viewer', sessionId: 's1' });
  });

  it('closes an agent with 1008 for a viewer message and 1002 for a text frame', async () => {
    h = await startHarness();
    const a1 = await connectAgent(h, h.agentKey('m1'));
    a1.send({ payload: { case: 'keyEvent', value: { keysym: 1, down: true } } });
    expect((await a1.closed).code).toBe(1008);
    const a2 = await connectAgent(h, h.agentKey('m2'));
    a2.sendRaw('hello', false);
    expect((await a2.closed).code).toBe(1002);
  });

  it('closes a viewer sending input faster than the limit with 4013', async () => {
    h = await startHarness({ inputRatePerSecond: 50 });
    const agent = await connectAgent(h, h.agentKey('m1'));
    const viewer = await connectViewer(h, h.viewerToken({ sessionId: 's1', machineId: 'm1' }), 's1');
    await agent.waitForKind('viewerPresence');
    for (let i = 0; i < 200; i++) {
      viewer.send({ payload: { case: 'pointerEvent', value: { x: i, y: i } } });
    }
    expect((await viewer.closed).code).toBe(4013);
    // Everything admitted before the limit reached the agent, in order.
    await sleep(50);
    const xs = agent.received.flatMap((e) => (e.payload.case === 'pointerEvent' ? [e.payload.value.x] : []));
    expect(xs.length).toBeGreaterThanOrEqual(50);
    expect(xs).toEqual(xs.map((_, i) => i));
    expect(h.events.some((e) => e.type === 'violation' && e.code === 'rate_limited')).toBe(true);
  });
});
