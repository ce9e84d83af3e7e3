import { createEnvelope, decodeEnvelope, encodeEnvelope } from '@guruconnect/protocol';
import { describe, expect, it } from 'vitest';
import { encodeViewerStamp, STAMP_RESERVE_BYTES, stampFrame } from './viewer-stamp.js';

describe('viewer stamp', () => {
  it('overrides whatever viewer_id the frame carried, leaving the payload intact', () => {
    const original = encodeEnvelope(
      createEnvelope({
        viewerId: 'forged-id',
        payload: { case: 'keyEvent', value: { keysym: 0xff0d, down: true } },
      }),
    );
    const stamped = stampFrame(original, encodeViewerStamp('v-abc'));
    const envelope = decodeEnvelope(stamped);
    expect(envelope.viewerId).toBe('v-abc');
    expect(envelope.payload).toMatchObject({ case: 'keyEvent', value: { keysym: 0xff0d, down: true } });
    expect(stamped.byteLength - original.byteLength).toBeLessThanOrEqual(STAMP_RESERVE_BYTES);
  });

  it('refuses an id it cannot stamp within the reserve', () => {
    expect(() => encodeViewerStamp('x'.repeat(STAMP_RESERVE_BYTES))).toThrow(RangeError);
  });
});
