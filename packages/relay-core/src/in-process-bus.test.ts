import { describe, expect, it } from 'vitest';
import { createInProcessBus } from './in-process-bus.js';
import { relaySubjects, subjectToken } from './relay-bus.js';

describe('createInProcessBus', () => {
  it('delivers asynchronously, in order, handing over the same bytes', async () => {
    const bus = createInProcessBus();
    const got: Uint8Array[] = [];
    const sub = bus.subscribe('a', (m) => got.push(m.data));
    const one = new Uint8Array([1]);
    bus.publish('a', one);
    bus.publish('a', new Uint8Array([2]));
    bus.publish('b', new Uint8Array([3]));
    expect(got).toEqual([]);
    await Promise.resolve();
    await Promise.resolve();
    expect(got.map((d) => d[0])).toEqual([1, 2]);
    expect(got[0]).toBe(one);
    sub.unsubscribe();
    bus.publish('a', one);
    await Promise.resolve();
    expect(got).toHaveLength(2);
    await bus.close();
  });

  it('answers requests with the first responder and rejects with no responders or no answer', async () => {
    const bus = createInProcessBus();
    await expect(bus.request('nobody', new Uint8Array(), { timeoutMs: 50 })).rejects.toMatchObject({
      code: 'GC_ERR_RELAY_BUS_TIMEOUT',
    });
    bus.subscribe('q', (m) => m.respond?.(new Uint8Array([42])));
    bus.subscribe('q', (m) => m.respond?.(new Uint8Array([7])));
    const answer = await bus.request('q', new Uint8Array(), { timeoutMs: 1000 });
    expect(answer.data[0]).toBe(42);
    bus.subscribe('silent', () => undefined);
    await expect(bus.request('silent', new Uint8Array(), { timeoutMs: 20 })).rejects.toMatchObject({
      code: 'GC_ERR_RELAY_BUS_TIMEOUT',
    });
    await bus.close();
    expect(() => bus.publish('a', new Uint8Array())).toThrow(/closed/);
  });

  it('reports a throwing subscriber instead of losing it', async () => {
    const errors: unknown[] = [];
    const bus = createInProcessBus({ onError: (e) => errors.push(e) });
    bus.subscribe('a', () => {
      throw new Error('boom');
    });
    bus.publish('a', new Uint8Array());
    await Promise.resolve();
    expect(errors).toMatchObject([{ code: 'GC_ERR_RELAY_BUS_FAILED' }]);
  });

  it('builds NATS-safe subjects from any id', () => {
    expect(relaySubjects.machineControl('m-1')).toBe('gc.relay.machine.m-1.control');
    const token = subjectToken('a.b *>c');
    expect(token).toMatch(/^~[A-Za-z0-9_-]+$/);
    expect(relaySubjects.sessionToViewers('a.b')).not.toContain('a.b');
  });
});
