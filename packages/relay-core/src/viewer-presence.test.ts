import { Capability } from '@guruconnect/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connectAgent,
  connectViewer,
  type Harness,
  ORIGIN,
  startHarness,
} from './test-support/relay-harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('viewer presence', () => {
  it('tells the agent the capabilities a joining viewer announced, known flags only', async () => {
    h = await startHarness();
    const agent = await connectAgent(h, h.agentKey('m1'));
    await connectViewer(h, h.viewerToken({ sessionId: 's1', machineId: 'm1' }), 's1', ORIGIN, [
      Capability.CodecZstd,
      Capability.CodecCopy,
      'made-up-flag',
    ]);
    await connectViewer(h, h.viewerToken({ sessionId: 's1', machineId: 'm1' }), 's1');
    await agent.waitFor(() => agent.received.filter((e) => e.payload.case === 'viewerPresence').length === 2);
    const joined = agent.received.flatMap((e) =>
      e.payload.case === 'viewerPresence' && e.payload.value.joined ? [e.payload.value.capabilities] : [],
    );
    expect(joined).toEqual([[Capability.CodecZstd, Capability.CodecCopy], []]);
  });
});
