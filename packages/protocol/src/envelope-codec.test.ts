import { equals, toBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEnvelope, decodeEnvelope, encodeEnvelope } from './envelope-codec.js';
import { EnvelopeSchema } from './gen/guruconnect/session/v1/session_pb.js';
import { ProtocolError, ProtocolErrorCode } from './protocol-error.js';
import { fillMessage } from './test-support/fill-message.js';

const payloadFields = EnvelopeSchema.oneofs[0]?.fields ?? [];

// The message kinds the foundation issue names; the envelope must carry each of them.
const required = [
  'agentHello',
  'viewerHello',
  'helloResult',
  'error',
  'sessionState',
  'consentRequest',
  'consentResponse',
  'displayList',
  'displaySelect',
  'videoFrame',
  'frameAck',
  'cursorShape',
  'cursorPosition',
  'pointerEvent',
  'keyEvent',
  'clipboard',
  'terminalOpen',
  'terminalData',
  'terminalResize',
  'terminalExit',
  'fileOffer',
  'fileChunk',
  'fileAck',
  'fileComplete',
  'fileCancel',
  'chat',
  'heartbeat',
  'agentStatus',
  'closeNotice',
];

describe('envelope round trip', () => {
  it('carries every message kind the protocol promises', () => {
    const names = payloadFields.map((f) => f.localName);
    for (const name of required) expect(names).toContain(name);
  });

  it.each(payloadFields.map((f) => [f.localName, f] as const))(
    '%s survives encode → decode with every field set',
    (_, field) => {
      if (field.fieldKind !== 'message') throw new Error('payload fields are messages');
      const value = fillMessage(field.message, 3);
      const envelope = createEnvelope({
        viewerId: 'v-1',
        payload: { case: field.localName, value } as never,
      });
      const bytes = encodeEnvelope(envelope, { maxControlBytes: 1 << 20 });
      const decoded = decodeEnvelope(bytes, { maxControlBytes: 1 << 20 });
      expect(decoded.payload.case).toBe(field.localName);
      expect(equals(EnvelopeSchema, decoded, envelope)).toBe(true);
      // Every field of the payload made it onto the wire: re-encoding gives identical bytes.
      expect(toBinary(EnvelopeSchema, decoded)).toEqual(bytes);
    },
  );

  it('decodes bytes fields as views of the input, not copies', () => {
    const payload = new Uint8Array(1024).fill(9);
    const bytes = encodeEnvelope({
      payload: { case: 'videoFrame', value: { sequence: 1n, rects: [{ width: 16, height: 16, payload }] } },
    });
    const decoded = decodeEnvelope(bytes);
    if (decoded.payload.case !== 'videoFrame') throw new Error('wrong case');
    const rect = decoded.payload.value.rects[0];
    expect(rect?.payload.buffer).toBe(bytes.buffer);
  });
});

describe('envelope limits', () => {
  it('refuses a frame over the frame limit before decoding it', () => {
    const err = catchError(() => decodeEnvelope(new Uint8Array(101), { maxFrameBytes: 100 }));
    expect(err).toBeInstanceOf(ProtocolError);
    expect(err.code).toBe(ProtocolErrorCode.TooLarge);
    expect(err.limit).toBe(100);
  });

  it('holds control messages to the control limit but lets bulk messages use the frame limit', () => {
    const chat = encodeEnvelope({ payload: { case: 'chat', value: { text: 'x'.repeat(2000) } } });
    expect(catchError(() => decodeEnvelope(chat, { maxControlBytes: 1000 })).code).toBe(
      ProtocolErrorCode.TooLarge,
    );
    const data = encodeEnvelope({ payload: { case: 'terminalData', value: { data: new Uint8Array(2000) } } });
    expect(decodeEnvelope(data, { maxControlBytes: 1000 }).payload.case).toBe('terminalData');
  });

  it('refuses to encode what the peer would refuse', () => {
    const err = catchError(() =>
      encodeEnvelope({ payload: { case: 'chat', value: { text: 'y'.repeat(70_000) } } }),
    );
    expect(err.code).toBe(ProtocolErrorCode.TooLarge);
    expect(catchError(() => encodeEnvelope({})).code).toBe(ProtocolErrorCode.EmptyPayload);
  });

  it('reports an envelope without a payload and malformed bytes with their own codes', () => {
    expect(catchError(() => decodeEnvelope(new Uint8Array(0))).code).toBe(ProtocolErrorCode.EmptyPayload);
    // Field 10 (agent_hello), length-delimited, claiming 100 bytes that are not there.
    expect(catchError(() => decodeEnvelope(new Uint8Array([0x52, 100, 1]))).code).toBe(
      ProtocolErrorCode.Malformed,
    );
  });
});

describe('envelope decoder under hostile input', () => {
  it('either decodes or throws ProtocolError for 10,000 random byte strings', () => {
    let decoded = 0;
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 512 }), (bytes) => {
        try {
          decodeEnvelope(bytes);
          decoded++;
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
        }
      }),
      { numRuns: 10_000 },
    );
    // Random bytes mostly fail; the property is that nothing else escapes.
    expect(decoded).toBeLessThan(10_000);
  });

  it('survives mutated valid frames (truncation, bit flips)', () => {
    const valid = encodeEnvelope(
      createEnvelope({
        payload: {
          case: 'videoFrame',
          value: fillMessage(
            EnvelopeSchema.oneofs[0]!.fields.find((f) => f.localName === 'videoFrame')!.message!,
            2,
          ) as never,
        },
      }),
    );
    fc.assert(
      fc.property(fc.nat(valid.length), fc.nat(valid.length * 8), (cut, bit) => {
        const mutated = valid.slice(0, cut);
        if (mutated.length > 0) mutated[bit % mutated.length]! ^= 1 << (bit % 8);
        try {
          decodeEnvelope(mutated);
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err;
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('turns deeply nested unknown groups into a typed error, not a stack overflow', () => {
    const nested = new Uint8Array(200_000).fill(0x0b); // field 1, wire type 3 (start group), repeated
    const err = catchError(() => decodeEnvelope(nested));
    expect(err).toBeInstanceOf(ProtocolError);
  });
});

function catchError(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProtocolError) return err;
    throw err;
  }
  throw new Error('expected a ProtocolError');
}
