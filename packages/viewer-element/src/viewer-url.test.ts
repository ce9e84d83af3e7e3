import { describe, expect, it } from 'vitest';
import { viewerUrl } from './viewer-url.js';

describe('viewerUrl', () => {
  it('turns a server base URL into its /v1/viewer WebSocket URL', () => {
    expect(viewerUrl('http://127.0.0.1:8080')).toBe('ws://127.0.0.1:8080/v1/viewer');
    expect(viewerUrl('https://support.example.com/')).toBe('wss://support.example.com/v1/viewer');
    expect(viewerUrl('https://example.com/gc/?x=1#y')).toBe('wss://example.com/gc/v1/viewer');
    expect(viewerUrl('wss://relay.example.com')).toBe('wss://relay.example.com/v1/viewer');
  });

  it('refuses what is not an http(s) or ws(s) URL', () => {
    expect(() => viewerUrl('ftp://example.com')).toThrow(
      expect.objectContaining({ code: 'GC_ERR_VIEWER_CONFIG' }),
    );
    expect(() => viewerUrl('not a url')).toThrow(expect.objectContaining({ code: 'GC_ERR_VIEWER_CONFIG' }));
  });
});
