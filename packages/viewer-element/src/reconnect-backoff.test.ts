import { describe, expect, it } from 'vitest';
import { reconnectDelay } from './reconnect-backoff.js';

describe('reconnectDelay', () => {
  it('doubles from the base, caps at the maximum and jitters within the upper half', () => {
    expect(reconnectDelay(1, {}, () => 0)).toBe(250);
    expect(reconnectDelay(1, {}, () => 1)).toBe(500);
    expect(reconnectDelay(3, {}, () => 1)).toBe(2000);
    expect(reconnectDelay(30, {}, () => 1)).toBe(15_000);
    expect(reconnectDelay(30, {}, () => 0)).toBe(7500);
    expect(reconnectDelay(2, { baseDelayMs: 100, maxDelayMs: 150 }, () => 1)).toBe(150);
    for (let i = 0; i < 100; i++) {
      const d = reconnectDelay(4);
      expect(d).toBeGreaterThanOrEqual(2000);
      expect(d).toBeLessThanOrEqual(4000);
    }
  });
});
