import { describe, expect, it } from 'vitest';
import { CONTRACT_VERSION, isCompatibleVersion } from './contract-version.js';
import { EnvelopeSchema } from './gen/guruconnect/session/v1/session_pb.js';
import {
  AGENT_SENDS,
  BULK_PAYLOADS,
  CHANNEL_FOR_VIEWER_PAYLOAD,
  DROPPABLE_PAYLOADS,
  VIEWER_SENDS,
} from './message-roles.js';

const allCases = (EnvelopeSchema.oneofs[0]?.fields ?? []).map((f) => f.localName);
// Sent only by the relay itself, never accepted from a peer.
const relayOnly = ['helloResult', 'sessionState', 'consentRequest', 'viewerPresence'];

describe('per-role allowlist', () => {
  it('names only real payload kinds, and accounts for every kind', () => {
    for (const kind of [
      ...AGENT_SENDS,
      ...VIEWER_SENDS,
      ...BULK_PAYLOADS,
      ...CHANNEL_FOR_VIEWER_PAYLOAD.keys(),
    ]) {
      expect(allCases).toContain(kind);
    }
    for (const kind of allCases) {
      expect(
        AGENT_SENDS.has(kind as never) || VIEWER_SENDS.has(kind as never) || relayOnly.includes(kind),
      ).toBe(true);
    }
  });

  it('keeps each side off the other side’s messages', () => {
    for (const k of ['videoFrame', 'consentResponse', 'agentHello', 'agentStatus', 'displayList'] as const) {
      expect(VIEWER_SENDS.has(k)).toBe(false);
    }
    for (const k of ['pointerEvent', 'keyEvent', 'viewerHello', 'frameAck', 'terminalOpen'] as const) {
      expect(AGENT_SENDS.has(k)).toBe(false);
    }
    for (const k of relayOnly) {
      expect(AGENT_SENDS.has(k as never) || VIEWER_SENDS.has(k as never)).toBe(false);
    }
  });

  it('requires a channel grant for everything a viewer sends but hello, heartbeat and close', () => {
    const free = [...VIEWER_SENDS].filter((k) => !CHANNEL_FOR_VIEWER_PAYLOAD.has(k)).sort();
    expect(free).toEqual(['closeNotice', 'heartbeat', 'viewerHello']);
  });

  it('never marks input, terminal, chat, clipboard or file bytes as droppable', () => {
    expect([...DROPPABLE_PAYLOADS].sort()).toEqual(['cursorPosition', 'videoFrame']);
  });
});

describe('contract version', () => {
  it('accepts the same major and refuses others', () => {
    expect(isCompatibleVersion(CONTRACT_VERSION)).toBe(true);
    expect(isCompatibleVersion('1.4.2')).toBe(true);
    expect(isCompatibleVersion('')).toBe(true);
    expect(isCompatibleVersion('2.0.0')).toBe(false);
    expect(isCompatibleVersion('banana')).toBe(false);
  });
});
