import { CloseReason, SessionMode, SessionState_State } from '@guruconnect/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  connectAgent,
  connectViewer,
  type Harness,
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

describe('routing', () => {
  it('gives two viewers byte-identical frames, forwarding the very buffer the agent sent', async () => {
    h = await startHarness();
    const sent = new Map<object, unknown[]>();
    // Record what the relay hands to each server-side socket (real ws, observed, not replaced).
    const original = WebSocket.prototype.send;
    WebSocket.prototype.send = function (this: WebSocket, data: unknown, ...rest: unknown[]) {
      if ((this as unknown as { _isServer: boolean })._isServer) {
        const list = sent.get(this) ?? [];
        list.push(data);
        sent.set(this, list);
      }
      return (original as (...args: unknown[]) => void).call(this, data, ...rest);
    } as typeof original;
    try {
      const agent = await connectAgent(h, h.agentKey('m1'));
      const v1 = await connectViewer(h, h.viewerToken({ sessionId: 's1', machineId: 'm1' }), 's1');
      const v2 = await connectViewer(h, h.viewerToken({ sessionId: 's1', machineId: 'm1' }), 's1');
      await agent.waitFor(
        (e) => e.payload.case === 'viewerPresence' && e.payload.value.joined,
        5000,
        agent.received.findIndex((e) => e.payload.case === 'viewerPresence') + 1,
      );
      const frames = [1, 2, 3].map((seq) => videoFrame(seq, 200_000, seq === 1));
      for (const frame of frames) agent.send(frame);
      for (const viewer of [v1, v2]) {
        await viewer.waitFor((e) => e.payload.case === 'videoFrame' && e.payload.value.sequence === 3n);
      }
      const pick = (c: TestClient) =>
        c.raw.filter((_, i) => c.received[i]?.payload.case === 'videoFrame').map((b) => Buffer.from(b));
      const a = pick(v1);
      const b = pick(v2);
      expect(a).toHaveLength(3);
      expect(b).toHaveLength(3);
      for (let i = 0; i < 3; i++) expect(a[i]?.equals(b[i] as Buffer)).toBe(true);
      // The same Buffer object went to both viewer sockets.
      const big = [...sent.values()].map((list) => list.filter((d) => (d as Buffer).byteLength > 100_000));
      const withFrames = big.filter((list) => list.length === 3);
      expect(withFrames).toHaveLength(2);
      for (let i = 0; i < 3; i++) expect(withFrames[0]?.[i]).toBe(withFrames[1]?.[i]);
    } finally {
      WebSocket.prototype.send = original;
    }
  });

  it('forwards a viewer’s input to the agent in order, stamped with that viewer’s id', async () => {
    h = await startHarness();
    const agent = await connectAgent(h, h.agentKey('m1'));
    const viewer = await connectViewer(h, h.viewerToken({ sessionId: 's1', machineId: 'm1' }), 's1');
    const hello = viewer.received.find((e) => e.payload.case === 'helloResult');
    const viewerId = hello?.payload.case === 'helloResult' ? hello.payload.value.viewerId : '';
    await agent.waitForKind('viewerPresence');
    for (let i = 0; i < 300; i++) {
      // The viewer tries to pass as someone else; the relay's stamp wins.
      viewer.send({
        viewerId: 'forged',
        payload: { case: 'keyEvent', value: { keysym: 0x61 + (i % 26), down: i % 2 === 0 } },
      });
    }
    await agent.waitFor(() => agent.received.filter((e) => e.payload.case === 'keyEvent').length === 300);
    const keys = agent.received.filter((e) => e.payload.case === 'keyEvent');
    keys.forEach((e, i) => {
      expect(e.viewerId).toBe(viewerId);
      expect(e.payload.case === 'keyEvent' && e.payload.value.keysym).toBe(0x61 + (i % 26));
    });
  });

  it('sends an agent message with a viewer_id to that viewer only', async () => {
    h = await startHarness();
    const agent = await connectAgent(h, h.agentKey('m1'));
    const v1 = await connectViewer(h, h.viewerToken({ sessionId: 's1', machineId: 'm1' }), 's1');
    const v2 = await connectViewer(h, h.viewerToken({ sessionId: 's1', machineId: 'm1' }), 's1');
    await agent.waitFor(() => agent.received.filter((e) => e.payload.case === 'viewerPresence').length === 2);
    const id1 = v1.received.find((e) => e.payload.case === 'helloResult');
    const viewerId = id1?.payload.case === 'helloResult' ? id1.payload.value.viewerId : '';
    agent.send({ viewerId, payload: { case: 'chat', value: { id: 'c1', text: 'only you' } } });
    agent.send({ payload: { case: 'chat', value: { id: 'c2', text: 'everyone' } } });
    await v2.waitFor((e) => e.payload.case === 'chat' && e.payload.value.id === 'c2');
    await v1.waitFor((e) => e.payload.case === 'chat' && e.payload.value.id === 'c2');
    expect(v1.received.some((e) => e.payload.case === 'chat' && e.payload.value.id === 'c1')).toBe(true);
    expect(v2.received.some((e) => e.payload.case === 'chat' && e.payload.value.id === 'c1')).toBe(false);
  });

  it('returns false for paths that are not its own', async () => {
    h = await startHarness();
    const client = new TestClient(`ws://127.0.0.1:${h.port}/elsewhere`);
    await expect(client.opened).rejects.toThrow();
  });
});

describe('consent gate', () => {
  it('lets no frame or input through before the agent accepts', async () => {
    h = await startHarness();
    const agent = await connectAgent(h, h.supportCode('m1', 's1'), true);
    const viewer = await connectViewer(
      h,
      h.viewerToken({ sessionId: 's1', machineId: 'm1', mode: SessionMode.ATTENDED, viewerName: 'Ada' }),
      's1',
    );
    const request = await agent.waitForKind('consentRequest');
    expect(request.payload.case === 'consentRequest' && request.payload.value.technicianName).toBe('Ada');
    await viewer.waitFor(
      (e) =>
        e.payload.case === 'sessionState' && e.payload.value.state === SessionState_State.AWAITING_CONSENT,
    );
    agent.send(videoFrame(1, 1000, true));
    viewer.send({ payload: { case: 'keyEvent', value: { keysym: 0x61, down: true } } });
    await sleep(150);
    expect(viewer.kinds()).not.toContain('videoFrame');
    expect(agent.kinds()).not.toContain('keyEvent');
    expect(agent.kinds()).not.toContain('viewerPresence');
    const requestId = request.payload.case === 'consentRequest' ? request.payload.value.requestId : '';
    agent.send({ payload: { case: 'consentResponse', value: { requestId, accepted: true } } });
    await agent.waitForKind('viewerPresence');
    await viewer.waitFor(
      (e) => e.payload.case === 'sessionState' && e.payload.value.state === SessionState_State.ACTIVE,
    );
    agent.send(videoFrame(2, 1000, true));
    viewer.send({ payload: { case: 'keyEvent', value: { keysym: 0x62, down: true } } });
    await viewer.waitForKind('videoFrame');
    const key = await agent.waitForKind('keyEvent');
    expect(key.payload.case === 'keyEvent' && key.payload.value.keysym).toBe(0x62);
    expect(h.events.filter((e) => e.type === 'consent')).toMatchObject([{ accepted: true }]);
    expect(h.events.filter((e) => e.type === 'session-started')).toHaveLength(1);
  });

  it('closes viewers with 4006 and ends the session when the agent declines', async () => {
    h = await startHarness();
    const agent = await connectAgent(h, h.supportCode('m1', 's1'), true);
    const viewer = await connectViewer(
      h,
      h.viewerToken({ sessionId: 's1', machineId: 'm1', mode: SessionMode.ATTENDED }),
      's1',
    );
    const request = await agent.waitForKind('consentRequest');
    const requestId = request.payload.case === 'consentRequest' ? request.payload.value.requestId : '';
    agent.send({ payload: { case: 'consentResponse', value: { requestId, accepted: false, reason: 'no' } } });
    expect((await viewer.closed).code).toBe(4006);
    expect((await agent.closed).code).toBe(4006); // a support-code agent exists for that session only
    expect(viewer.kinds()).toContain('closeNotice');
    expect(h.events.find((e) => e.type === 'session-ended')).toMatchObject({
      reason: CloseReason.CONSENT_DECLINED,
    });
    expect(h.relay.listSessions()).toEqual([]);
  });

  it('closes viewers with 4007 when nobody answers in time', async () => {
    h = await startHarness({ consentTimeoutMs: 100 });
    const agent = await connectAgent(h, h.agentKey('m1'));
    const viewer = await connectViewer(
      h,
      h.viewerToken({ sessionId: 's1', machineId: 'm1', mode: SessionMode.ATTENDED }),
      's1',
    );
    await agent.waitForKind('consentRequest');
    expect((await viewer.closed).code).toBe(4007);
    expect(agent.ws.readyState).toBe(WebSocket.OPEN); // a key agent stays for the next session
  });
});

describe('lifecycle', () => {
  it('closes a peer that stops answering heartbeats with 4010', async () => {
    h = await startHarness({ heartbeatIntervalMs: 40, missedHeartbeats: 3 });
    const agent = await connectAgent(h, h.agentKey('m1'));
    agent.autoHeartbeat = false;
    const viewer = await connectViewer(h, h.viewerToken({ sessionId: 's1', machineId: 'm1' }), 's1');
    expect((await agent.closed).code).toBe(4010);
    expect(viewer.ws.readyState).toBe(WebSocket.OPEN); // it answers, so it stays
    await until(() => h?.events.some((e) => e.type === 'agent-disconnected') === true);
    expect(h.events.find((e) => e.type === 'agent-disconnected')).toMatchObject({
      reason: CloseReason.HEARTBEAT_TIMEOUT,
    });
  });

  it('replaces an older agent socket of the same machine with 4008 and rebinds the session', async () => {
    h = await startHarness();
    const key = h.agentKey('m1');
    const first = await connectAgent(h, key);
    const viewer = await connectViewer(h, h.viewerToken({ sessionId: 's1', machineId: 'm1' }), 's1');
    await first.waitForKind('viewerPresence');
    const second = await connectAgent(h, key);
    expect((await first.closed).code).toBe(4008);
    await second.waitForKind('viewerPresence');
    second.send(videoFrame(1, 100, true));
    await viewer.waitForKind('videoFrame');
  });

  it('disconnectAgent closes the agent with 4009 and ends its session', async () => {
    h = await startHarness();
    const agent = await connectAgent(h, h.agentKey('m1'));
    const viewer = await connectViewer(h, h.viewerToken({ sessionId: 's1', machineId: 'm1' }), 's1');
    await agent.waitForKind('viewerPresence');
    expect(h.relay.isAgentOnline('m1')).toBe(true);
    expect(h.relay.disconnectAgent('m1')).toBe(true);
    expect((await agent.closed).code).toBe(4009);
    expect((await viewer.closed).code).toBe(4009);
    expect(h.relay.isAgentOnline('m1')).toBe(false);
  });

  it('lets a second session of a busy machine wait until the first ends', async () => {
    h = await startHarness();
    const agent = await connectAgent(h, h.agentKey('m1'));
    const v1 = await connectViewer(h, h.viewerToken({ sessionId: 's1', machineId: 'm1' }), 's1');
    const v2 = await connectViewer(h, h.viewerToken({ sessionId: 's2', machineId: 'm1' }), 's2');
    await agent.waitForKind('viewerPresence');
    const states = () => Object.fromEntries(h?.relay.listSessions().map((s) => [s.sessionId, s.state]) ?? []);
    expect(states()).toEqual({ s1: SessionState_State.ACTIVE, s2: SessionState_State.WAITING_FOR_AGENT });
    await v1.close();
    await v2.waitFor(
      (e) => e.payload.case === 'sessionState' && e.payload.value.state === SessionState_State.ACTIVE,
    );
    expect(states()).toEqual({ s2: SessionState_State.ACTIVE });
  });

  it('puts the session in AGENT_LOST when the agent drops and ends it with 4014 after the grace', async () => {
    h = await startHarness({ agentGraceMs: 100 });
    const agent = await connectAgent(h, h.agentKey('m1'));
    const viewer = await connectViewer(h, h.viewerToken({ sessionId: 's1', machineId: 'm1' }), 's1');
    await agent.waitForKind('viewerPresence');
    agent.ws.terminate();
    await viewer.waitFor(
      (e) => e.payload.case === 'sessionState' && e.payload.value.state === SessionState_State.AGENT_LOST,
    );
    expect((await viewer.closed).code).toBe(4014);
  });

  it('lists sessions and counts for metrics', async () => {
    h = await startHarness();
    const agent = await connectAgent(h, h.agentKey('m1'));
    await connectViewer(
      h,
      h.viewerToken({ sessionId: 's1', machineId: 'm1', userId: 'u1', viewerName: 'Ada' }),
      's1',
    );
    await agent.waitForKind('viewerPresence');
    agent.send(videoFrame(1, 5000, true));
    await sleep(50);
    const [session] = h.relay.listSessions();
    expect(session).toMatchObject({
      sessionId: 's1',
      machineId: 'm1',
      state: SessionState_State.ACTIVE,
      mode: SessionMode.UNATTENDED,
      viewers: [{ userId: 'u1', viewerName: 'Ada' }],
    });
    expect(session?.agentConnectedAt).toBeInstanceOf(Date);
    expect(h.relay.stats()).toMatchObject({ sessions: 1, viewers: 1, agents: 1, framesForwarded: 1 });
    expect(h.relay.stats().bytesRelayed).toBeGreaterThan(5000);
  });

  it('delivers typed events to relay.on listeners and survives a throwing one', async () => {
    const errors: unknown[] = [];
    h = await startHarness({ onError: (e) => errors.push(e) });
    const joined: string[] = [];
    const off = h.relay.on('viewer-joined', (event) => joined.push(event.viewerName));
    h.relay.on('session-started', () => {
      throw new Error('listener bug');
    });
    const agent = await connectAgent(h, h.agentKey('m1'));
    await connectViewer(h, h.viewerToken({ sessionId: 's1', machineId: 'm1', viewerName: 'Ada' }), 's1');
    await agent.waitForKind('viewerPresence'); // the session went on after the listener threw
    off();
    await connectViewer(h, h.viewerToken({ sessionId: 's1', machineId: 'm1', viewerName: 'Bob' }), 's1');
    expect(joined).toEqual(['Ada']);
    expect(errors).toMatchObject([{ code: 'GC_ERR_RELAY_LISTENER_FAILED' }]);
  });

  it('close() closes every socket with 1001 and leaves no timer or socket behind', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    h = await startHarness({ helloTimeoutMs: 60_000, consentTimeoutMs: 60_000 });
    const agent = await connectAgent(h, h.supportCode('m1', 's1'), true);
    const viewer = await connectViewer(
      h,
      h.viewerToken({ sessionId: 's1', machineId: 'm1', mode: SessionMode.ATTENDED }),
      's1',
    );
    await agent.waitForKind('consentRequest'); // a consent timer runs
    const pending = new TestClient(`ws://127.0.0.1:${h.port}/v1/agent`); // a hello timer runs
    await pending.opened;
    const during = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    expect(during).toBeGreaterThan(before);
    const relay = h.relay;
    const closing = relay.close();
    expect(relay.close()).toBe(closing);
    await closing;
    for (const client of [agent, viewer, pending]) {
      const { code } = await client.closed;
      expect(code).toBe(1001);
    }
    expect(viewer.kinds()).toContain('closeNotice');
    expect(relay.stats()).toMatchObject({ sockets: 0, sessions: 0, agents: 0, viewers: 0 });
    await h.close();
    h = undefined;
    await sleep(20);
    const after = process.getActiveResourcesInfo();
    expect(after.filter((r) => r === 'Timeout').length).toBeLessThanOrEqual(before);
    expect(after.filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap')).toEqual([]);
  });
});
