import { describe, expect, it } from 'vitest';
import type { RelayError } from './relay-error.js';
import { connectAgent, startHarness } from './test-support/relay-harness.js';

describe('a closing relay', () => {
  it('ignores endSession and disconnectAgent quietly once close() has begun', async () => {
    const errors: RelayError[] = [];
    const h = await startHarness({ onError: (e) => errors.push(e) });
    await connectAgent(h, h.agentKey('m1'));
    const closing = h.close();
    // A host's late callbacks (a session ended by its database, a key revoked) arrive now.
    expect(h.relay.endSession('s1')).toBe(false);
    expect(h.relay.disconnectAgent('m1')).toBe(false);
    await closing;
    expect(h.relay.endSession('s1')).toBe(false);
    expect(errors).toEqual([]);
  });
});
