import { describe, expect, it } from 'vitest';
import { createLogger, redact } from './logger.js';

describe('logger', () => {
  it('writes one JSON object per line with level, message and child fields', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', write: (l) => lines.push(l), now: () => new Date(0) }).child({
      correlationId: 'c-1',
    });
    log.debug('hidden');
    log.info('hello', { path: '/healthz' });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toEqual({
      ts: '1970-01-01T00:00:00.000Z',
      level: 'info',
      msg: 'hello',
      correlationId: 'c-1',
      path: '/healthz',
    });
  });

  it('never writes a secret, by field name or by shape', () => {
    const lines: string[] = [];
    const log = createLogger({ write: (l) => lines.push(l) });
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlc2lnbmF0dXJl';
    log.info(`key cak_ABCDEFGH12345678abcdefgh in a message, token ${jwt}`, {
      password: 'hunter2hunter2',
      authorization: 'Bearer x',
      nested: { agentKey: 'cak_zzzzzzzzzzzzzzzz', keyId: 'key-123', code: '123456789' },
      url: `/embed/viewer?x=gik_ABCDEFGHIJKLMNOPQRSTUVWX`,
      err: new Error(`failed with gat_0123456789abcdef`),
    });
    const out = lines.join('');
    for (const secret of [
      'cak_ABCDEFGH',
      jwt,
      'hunter2',
      'Bearer x',
      'cak_zzzz',
      'gik_ABCD',
      'gat_0123',
      '123456789',
    ]) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain('key-123');
  });

  it('writes bigints as strings and survives fields it cannot serialise', () => {
    const lines: string[] = [];
    const log = createLogger({ write: (l) => lines.push(l) });
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    log.info('big', { ram: 17179869184n });
    log.info('cycle', { cycle });
    expect(JSON.parse(lines[0] as string).ram).toBe('17179869184');
    expect(JSON.parse(lines[1] as string).msg).toBe('cycle');
  });

  it('redacts inside arrays and leaves ordinary values alone', () => {
    expect(redact({ list: ['gek_abcdefghijklmnop', 'plain'], count: 3 })).toEqual({
      list: ['[redacted]', 'plain'],
      count: 3,
    });
  });
});
