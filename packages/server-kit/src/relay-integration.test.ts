import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Channel, CloseReason } from '@guruconnect/protocol';
import { createRelay, type Relay } from '@guruconnect/relay-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVERS } from './test-support/test-databases.js';
import { createTestKit, type TestKit } from './test-support/test-kit.js';
import { WebhookReceiver, waitUntil } from './test-support/webhook-receiver.js';
import { WsPeer } from './test-support/ws-peer.js';
import type { WebhookEventBody } from './webhook-events.js';
import { verifyWebhookSignature } from './webhook-signature.js';

const ORIGIN = 'http://console.test';

describe.each(DRIVERS)('server-kit behind a real relay on %s', (driver) => {
  let k: TestKit;
  let relay: Relay;
  let server: Server;
  let port: number;
  const peers: WsPeer[] = [];

  beforeAll(async () => {
    k = await createTestKit(driver, { webhookPollIntervalMs: 50 });
    relay = createRelay({ ...k.kit.relayHooks(), allowedOrigins: [ORIGIN], onError: () => undefined });
    k.kit.keys.onAgentKeyRevoked((event) => relay.disconnectAgent(event.machineId, CloseReason.KEY_REVOKED));
    server = createServer((_req, res) => res.writeHead(404).end());
    server.on('upgrade', (req, socket, head) => {
      if (!relay.handleUpgrade(req, socket, head)) socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await Promise.all(peers.map((p) => p.close()));
    await relay.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await k.dispose();
  });

  async function connectAgent(agentKey: string, machineUid: string): Promise<WsPeer> {
    const agent = new WsPeer(`ws://127.0.0.1:${port}/v1/agent`);
    peers.push(agent);
    await agent.opened;
    agent.send({
      payload: {
        case: 'agentHello',
        value: {
          credential: { case: 'agentKey', value: agentKey },
          machineUid,
          hostname: 'relay-test',
          agentVersion: 'test',
          protocolVersion: '1.0.0',
          capabilities: ['desktop'],
        },
      },
    });
    return agent;
  }

  it('an enrolled agent connects; a viewer joins once with a minted token; replay is refused', async () => {
    const enrollment = await k.kit.keys.createEnrollmentKey(k.admin, {});
    const enrolled = await k.kit.enrollment.enroll({
      enrollmentKey: enrollment.secret,
      machineUid: 'relay-uid-1',
      hostname: 'relay-test',
    });
    const agent = await connectAgent(enrolled.agentKey, 'relay-uid-1');
    const hello = await agent.waitFor('helloResult');
    expect(hello.payload.case).toBe('helloResult');
    const session = await k.kit.sessions.start(k.admin, { machineId: enrolled.machineId });
    const { token } = await k.kit.viewerTokens.mint(k.admin, {
      sessionId: session.sessionId,
      channels: [Channel.VIEW],
    });
    const viewer = new WsPeer(`ws://127.0.0.1:${port}/v1/viewer`, { origin: ORIGIN });
    peers.push(viewer);
    await viewer.opened;
    viewer.send({
      payload: {
        case: 'viewerHello',
        value: { token, sessionId: session.sessionId, protocolVersion: '1.0.0' },
      },
    });
    await viewer.waitFor('helloResult');
    const replay = new WsPeer(`ws://127.0.0.1:${port}/v1/viewer`, { origin: ORIGIN });
    peers.push(replay);
    await replay.opened;
    replay.send({
      payload: {
        case: 'viewerHello',
        value: { token, sessionId: session.sessionId, protocolVersion: '1.0.0' },
      },
    });
    expect((await replay.closed).code).toBe(4011);
    await k.kit.drainEvents();
    expect((await k.kit.machines.get(k.admin, enrolled.machineId)).online).toBe(true);
    await viewer.close();
    await agent.close();
  });

  it('a wrong machine_uid is refused with 4001', async () => {
    const enrollment = await k.kit.keys.createEnrollmentKey(k.admin, {});
    const enrolled = await k.kit.enrollment.enroll({
      enrollmentKey: enrollment.secret,
      machineUid: 'relay-uid-2',
      hostname: 'h',
    });
    const impostor = await connectAgent(enrolled.agentKey, 'someone-else');
    expect((await impostor.closed).code).toBe(4001);
  });

  it('revoking an agent key closes its live socket within 5 s (4009)', async () => {
    const enrollment = await k.kit.keys.createEnrollmentKey(k.admin, {});
    const enrolled = await k.kit.enrollment.enroll({
      enrollmentKey: enrollment.secret,
      machineUid: 'relay-uid-3',
      hostname: 'h3',
    });
    const agent = await connectAgent(enrolled.agentKey, 'relay-uid-3');
    await agent.waitFor('helloResult');
    const started = Date.now();
    await k.kit.keys.revoke(k.admin, enrolled.keyId);
    const closed = await Promise.race([
      agent.closed,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error('socket still open after 5 s')), 5000),
      ),
    ]);
    expect(closed.code).toBe(4009);
    expect(closed.at - started).toBeLessThan(5000);
    // And it cannot come back with the revoked key.
    const retry = await connectAgent(enrolled.agentKey, 'relay-uid-3');
    expect((await retry.closed).code).toBe(4009);
  });
  it('an integration-owned session through the relay reaches the integration webhook, in order, signed', async () => {
    const receiver = new WebhookReceiver();
    await receiver.start();
    try {
      const created = await k.kit.keys.createIntegrationKey(k.admin, { name: 'rmm' });
      const rmm = { principal: await k.kit.auth.authenticate(created.secret) };
      const { signingSecret } = await k.kit.webhooks.register(rmm, { url: receiver.url });
      const device = await k.kit.enrollment.provisionAgentKey(rmm, { deviceId: 'rmm-device-7' });
      const agent = await connectAgent(device.agentKey, 'relay-uid-webhook');
      await agent.waitFor('helloResult');
      const session = await k.kit.sessions.start(rmm, { machineId: device.machineId });
      const { token } = await k.kit.viewerTokens.mint(rmm, {
        sessionId: session.sessionId,
        channels: [Channel.VIEW],
      });
      const viewer = new WsPeer(`ws://127.0.0.1:${port}/v1/viewer`, { origin: ORIGIN });
      peers.push(viewer);
      await viewer.opened;
      viewer.send({
        payload: {
          case: 'viewerHello',
          value: { token, sessionId: session.sessionId, protocolVersion: '1.0.0' },
        },
      });
      await viewer.waitFor('helloResult');
      await waitUntil(
        () => receiver.delivered.some((r) => r.body.includes('"session.started"')),
        10_000,
        'session.started',
      );
      // The last viewer leaving ends an unattended session.
      await viewer.close();
      await waitUntil(
        () => receiver.delivered.some((r) => r.body.includes('"session.ended"')),
        10_000,
        'session.ended',
      );
      await agent.close();
      await waitUntil(() => receiver.delivered.length === 6, 10_000, 'agent.disconnected');
      const bodies = receiver.delivered.map((r) => JSON.parse(r.body) as WebhookEventBody);
      expect(bodies.map((b) => b.type)).toEqual([
        'agent.connected',
        'viewer.joined',
        'session.started',
        'viewer.left',
        'session.ended',
        'agent.disconnected',
      ]);
      expect(new Set(bodies.map((b) => b.id)).size).toBe(6);
      expect(bodies[2]).toMatchObject({
        sessionId: session.sessionId,
        data: {
          sessionId: session.sessionId,
          machineId: device.machineId,
          deviceId: 'rmm-device-7',
          mode: 'unattended',
        },
      });
      for (const r of receiver.delivered) {
        expect(
          verifyWebhookSignature({
            secret: signingSecret,
            timestamp: r.timestamp,
            body: r.body,
            signature: r.signature,
            now: k.clock.now(),
          }),
        ).toBe(true);
      }
    } finally {
      await receiver.close();
    }
  });
});
