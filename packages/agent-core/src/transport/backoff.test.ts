import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';
import { CONNECTION_TRANSITIONS, ConnectionStateMachine } from './connection-state.js';

describe('Backoff', () => {
  it('grows the ceiling exponentially to the cap and scales it by the random draw', () => {
    const b = new Backoff({ random: () => 0.5 });
    expect([0, 1, 2, 3, 4, 5, 6].map((a) => b.ceiling(a))).toEqual([
      1000, 2000, 4000, 8000, 16000, 30000, 30000,
    ]);
    expect([b.next(), b.next(), b.next()]).toEqual([500, 1000, 2000]);
    b.reset();
    expect(b.next()).toBe(500);
  });

  it('shows full jitter with the real random source: uniform over [0, ceiling)', () => {
    const b = new Backoff();
    const samples: number[] = [];
    for (let i = 0; i < 2000; i++) {
      b.reset();
      for (let a = 0; a < 3; a++) b.next();
      samples.push(b.next()); // attempt 3: ceiling 8000
    }
    const mean = samples.reduce((s, x) => s + x, 0) / samples.length;
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...samples)).toBeLessThan(8000);
    expect(mean).toBeGreaterThan(3600); // uniform mean 4000, σ/√n ≈ 52
    expect(mean).toBeLessThan(4400);
    // Spread over the whole window: every eighth of it is hit.
    const buckets = new Set(samples.map((x) => Math.floor(x / 1000)));
    expect(buckets.size).toBe(8);
    expect(new Set(samples).size).toBeGreaterThan(1500);
  });
});

describe('ConnectionStateMachine', () => {
  it('allows the table and throws on an impossible move', () => {
    const m = new ConnectionStateMachine();
    m.transition({ kind: 'connecting', attempt: 0, url: 'ws://x' });
    expect(() => m.transition({ kind: 'connected', sessionId: '', machineId: '' })).toThrow(
      expect.objectContaining({ code: 'GC_ERR_AGENT_ILLEGAL_TRANSITION' }),
    );
    m.transition({ kind: 'handshaking', url: 'ws://x' });
    m.transition({ kind: 'connected', sessionId: '', machineId: '' });
    m.transition({ kind: 'stopped', error: undefined, closeCode: undefined });
    expect(CONNECTION_TRANSITIONS.stopped).toEqual([]);
    expect(() => m.transition({ kind: 'connecting', attempt: 1, url: 'ws://x' })).toThrow(
      /stopped to connecting/,
    );
  });
});
