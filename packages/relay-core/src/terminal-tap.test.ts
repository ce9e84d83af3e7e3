import { Channel } from '@guruconnect/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { TerminalTap } from './hooks.js';
import {
  connectAgent,
  connectViewer,
  type Harness,
  startHarness,
  until,
} from './test-support/relay-harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('terminal tap (for recording)', () => {
  it('copies terminal open, resize, output and exit of active sessions, with the owning viewer', async () => {
    const taps: TerminalTap[] = [];
    h = await startHarness({
      onTerminal: (tap) =>
        taps.push(tap.kind === 'output' ? { ...tap, data: Uint8Array.from(tap.data) } : tap),
    });
    const agent = await connectAgent(h, h.agentKey('m1'));
    const viewer = await connectViewer(
      h,
      h.viewerToken({ sessionId: 's1', machineId: 'm1', channels: [Channel.VIEW, Channel.TERMINAL] }),
      's1',
    );
    await agent.waitFor((e) => e.payload.case === 'viewerPresence');
    viewer.send({
      payload: { case: 'terminalOpen', value: { channelId: 1, cols: 80, rows: 24, term: 'xterm-256color' } },
    });
    viewer.send({ payload: { case: 'terminalResize', value: { channelId: 1, cols: 100, rows: 30 } } });
    const open = await agent.waitFor((e) => e.payload.case === 'terminalOpen');
    const viewerId = open.viewerId;
    const bytes = new TextEncoder().encode('héllo\r\n');
    agent.send({ viewerId, payload: { case: 'terminalData', value: { channelId: 1, data: bytes } } });
    agent.send({ viewerId, payload: { case: 'terminalExit', value: { channelId: 1, exitCode: 0 } } });
    await viewer.waitFor((e) => e.payload.case === 'terminalExit');
    await until(() => taps.length === 4);
    expect(taps.map((t) => t.kind)).toEqual(['open', 'resize', 'output', 'exit']);
    for (const t of taps)
      expect(t).toMatchObject({ sessionId: 's1', machineId: 'm1', viewerId, channelId: 1 });
    expect(taps[0]).toMatchObject({ cols: 80, rows: 24, term: 'xterm-256color' });
    expect(taps[1]).toMatchObject({ cols: 100, rows: 30 });
    expect(taps[2]?.kind === 'output' && Buffer.from(taps[2].data).equals(Buffer.from(bytes))).toBe(true);
  });

  it('keeps relaying when the tap throws', async () => {
    const errors: unknown[] = [];
    h = await startHarness({
      onTerminal: () => {
        throw new Error('disk full');
      },
      onError: (e) => errors.push(e),
    });
    const agent = await connectAgent(h, h.agentKey('m1'));
    const viewer = await connectViewer(
      h,
      h.viewerToken({ sessionId: 's1', machineId: 'm1', channels: [Channel.TERMINAL] }),
      's1',
    );
    await agent.waitFor((e) => e.payload.case === 'viewerPresence');
    viewer.send({ payload: { case: 'terminalOpen', value: { channelId: 7, cols: 80, rows: 24 } } });
    await agent.waitFor((e) => e.payload.case === 'terminalOpen');
    expect(errors).toHaveLength(1);
  });
});
