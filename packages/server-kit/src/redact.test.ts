import { describe, expect, it } from 'vitest';
import { REDACTED, redact } from './redact.js';
import { generateSecret, hashSecret, SecretPrefix } from './secret-codec.js';

describe('redact', () => {
  it('removes secret fields and secret-shaped values at any depth, keeps the rest', () => {
    const key = generateSecret(SecretPrefix.AgentKey);
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    const out = redact({
      msg: `agent ${key} refused`,
      password: 'hunter2',
      nested: { list: [jwt, hashSecret('x'), '$argon2id$v=19$m=19456,p=1,t=2$abc$def'], machineId: 'm-1' },
      err: new Error(`bad key ${key}`),
    });
    expect(out).toEqual({
      msg: `agent ${REDACTED} refused`,
      password: REDACTED,
      nested: { list: [REDACTED, REDACTED, REDACTED], machineId: 'm-1' },
      err: { name: 'Error', message: `bad key ${REDACTED}` },
    });
  });

  it('secrets are 192-bit base62 with their prefix, distinct every time', () => {
    const a = generateSecret(SecretPrefix.ApiToken);
    const b = generateSecret(SecretPrefix.ApiToken);
    expect(a).toMatch(/^gat_[0-9A-Za-z]{33}$/);
    expect(a).not.toBe(b);
  });
});
