import { describe, expect, it } from 'vitest';
import { BufferPool } from './buffer-pool.js';

describe('BufferPool', () => {
  it('hands a released buffer out again for a request of its size class, and nothing else', () => {
    const pool = new BufferPool();
    const a = pool.acquire(100_000);
    expect(a.byteLength).toBe(100_000);
    expect(a.buffer.byteLength).toBe(128 * 1024);
    const b = pool.acquire(100_000);
    expect(b.buffer).not.toBe(a.buffer);
    pool.release(a);
    // Same class (65 537 … 131 072 bytes): the released one comes back.
    expect(pool.acquire(70_000).buffer).toBe(a.buffer);
    // Another class: a fresh one.
    expect(pool.acquire(10).buffer.byteLength).toBe(64 * 1024);
  });

  it('ignores views it did not hand out, a second release, and keeps at most maxFreePerClass', () => {
    const pool = new BufferPool({ maxFreePerClass: 1 });
    pool.release(Buffer.alloc(10));
    const a = pool.acquire(10);
    const b = pool.acquire(10);
    pool.release(a);
    pool.release(a);
    pool.release(b); // over the limit: dropped
    expect(pool.acquire(10).buffer).toBe(a.buffer);
    expect(pool.acquire(10).buffer).not.toBe(b.buffer);
  });
});
