import { describe, expect, it } from 'vitest';
import { canonicalPath } from './canonical-path.js';

describe('canonicalPath', () => {
  it('keeps canonical paths and drops the query', () => {
    expect(canonicalPath('/')).toBe('/');
    expect(canonicalPath('/healthz')).toBe('/healthz');
    expect(canonicalPath('/v1/viewer?x=1')).toBe('/v1/viewer');
    expect(canonicalPath('/guruconnect.management.v1.AuthService/Login')).toBe(
      '/guruconnect.management.v1.AuthService/Login',
    );
  });

  it.each([
    '//healthz',
    '/healthz/',
    '/%68ealthz',
    '/assets/%2e%2e/x',
    '/metrics;x=1',
    '/a/../metrics',
    '/./metrics',
    '/a\\b',
    'healthz',
    '',
    '/caf\u00e9',
    '/x y',
  ])('refuses the variant %j', (raw) => {
    expect(canonicalPath(raw)).toBeUndefined();
  });
});
