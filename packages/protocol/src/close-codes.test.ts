import { describe, expect, it } from 'vitest';
import { CLOSE_CODES, closeEntryForCode, closeEntryForReason } from './close-codes.js';
import { CloseReason } from './gen/guruconnect/session/v1/session_pb.js';

describe('close-code table', () => {
  const reasons = Object.values(CloseReason).filter((v): v is CloseReason => typeof v === 'number');

  it('has exactly one row for every close reason in the proto', () => {
    const named = reasons.filter((r) => r !== CloseReason.UNSPECIFIED);
    expect(CLOSE_CODES.map((e) => e.reason).sort()).toEqual([...named].sort());
  });

  it('gives every row a distinct code in a valid range and a message', () => {
    const codes = CLOSE_CODES.map((e) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const e of CLOSE_CODES) {
      expect(
        e.code === 1000 || (e.code >= 1001 && e.code <= 1014) || (e.code >= 4000 && e.code <= 4999),
      ).toBe(true);
      expect(e.message.length).toBeGreaterThan(10);
      expect(closeEntryForCode(e.code)).toBe(e);
      expect(closeEntryForReason(e.reason)).toBe(e);
    }
  });

  it('keeps the codes the relay documents: 1008 for policy, 1013 for a slow viewer, 1001 for shutdown', () => {
    expect(closeEntryForReason(CloseReason.POLICY_VIOLATION).code).toBe(1008);
    expect(closeEntryForReason(CloseReason.VIEWER_TOO_SLOW).code).toBe(1013);
    expect(closeEntryForReason(CloseReason.SERVER_SHUTDOWN).code).toBe(1001);
    expect(closeEntryForCode(1006)).toBeUndefined();
    expect(closeEntryForReason(CloseReason.UNSPECIFIED).code).toBe(1011);
  });
});

describe('docs/protocol.md', () => {
  it('lists every row of the close-code table as it is', async () => {
    const { readFile } = await import('node:fs/promises');
    const doc = (await readFile(new URL('../../../docs/protocol.md', import.meta.url), 'utf8')).replace(
      / +/g,
      ' ',
    );
    for (const e of CLOSE_CODES) {
      expect(doc).toContain(`| ${e.code} | \`${e.name}\` | ${e.message} | ${e.retry ? 'yes' : 'no'} |`);
    }
  });
});
