import { CloseReason } from '@guruconnect/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { createInProcessBus } from './in-process-bus.js';
import type { RelayBus } from './relay-bus.js';
import { connectAgent, connectViewer, type Harness, startHarness } from './test-support/relay-harness.js';

// Two relays sharing one bus behave as two nodes of a cluster for the control plane.
let nodes: Harness[] = [];
let bus: RelayBus | undefined;
afterEach(async () => {
  await Promise.all(nodes.map((n) => n.close()));
  await bus?.close();
  nodes = [];
});

async function twoNodes(): Promise<[Harness, Harness]> {
  bus = createInProcessBus();
  const a = await startHarness({ bus, nodeId: 'node-a' });
  const b = await startHarness({ bus, nodeId: 'node-b' });
  nodes = [a, b];
  return [a, b];
}

describe('relays on one bus', () => {
  it('replaces an agent on another node when the machine reconnects elsewhere (4008)', async () => {
    const [a, b] = await twoNodes();
    const onA = await connectAgent(a, a.agentKey('m1'));
    await connectAgent(b, b.agentKey('m1'));
    expect((await onA.closed).code).toBe(4008);
    expect(a.relay.isAgentOnline('m1')).toBe(false);
    expect(b.relay.isAgentOnline('m1')).toBe(true);
  });

  it('revokes an agent held by another node and locates agents across nodes', async () => {
    const [a, b] = await twoNodes();
    const onB = await connectAgent(b, b.agentKey('m1'));
    expect(await a.relay.locateAgent('m1')).toBe('node-b');
    expect(await a.relay.locateAgent('nobody', 50)).toBeUndefined();
    expect(a.relay.disconnectAgent('m1', CloseReason.KEY_REVOKED)).toBe(false);
    expect((await onB.closed).code).toBe(4009);
  });

  it('ends a session held by another node', async () => {
    const [a, b] = await twoNodes();
    await connectAgent(b, b.agentKey('m1'));
    const viewer = await connectViewer(b, b.viewerToken({ sessionId: 's1', machineId: 'm1' }), 's1');
    expect(a.relay.endSession('s1', CloseReason.SESSION_ENDED)).toBe(false);
    expect((await viewer.closed).code).toBe(4005);
  });

  it('does not close the bus it was given', async () => {
    const [a] = await twoNodes();
    await a.close();
    nodes = nodes.slice(1);
    expect(() => bus?.publish('x', new Uint8Array())).not.toThrow();
  });
});
