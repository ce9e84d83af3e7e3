// 50 MB of shell output to a slow viewer: nothing lost, the agent's memory bounded, the
// producing program throttled to the pace of the viewer's acknowledgements.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Channel } from '@guruconnect/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgent } from '../agent.js';
import { RelayPeer } from '../test-support/relay-peer.js';
import { TerminalViewer } from '../test-support/terminal-viewer.js';
import { terminalMembers } from './process-tree.js';

// A collector to call, so that live memory can be told from garbage.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const SIZE = 50_000_000;
const WINDOW = 262_144; // the default window
const READ = 65_536; // one PTY read may land past the window before the pause takes effect
let dir: string;
let file: string;
let expected: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gc-terminal-flow-'));
  file = join(dir, 'payload.hex');
  // Lower-case hex: no byte the terminal would translate, and no upper-case E (the end marker).
  const data = Buffer.from(randomBytes(SIZE / 2).toString('hex'), 'latin1');
  writeFileSync(file, data);
  expected = createHash('sha256').update(data).digest('hex');
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('terminal flow control', () => {
  it('delivers 50 MB to a slow acker intact, paused rather than buffered', { timeout: 180_000 }, async () => {
    const peer = await RelayPeer.start({ record: (e) => e.payload.case !== 'terminalData' });
    const agent = createAgent({
      server: peer.url,
      agentKey: 'cak_test',
      machineUid: 'uid-flow',
      terminalOnly: true,
      allowRootShell: true,
    });
    try {
      await peer.waitFor((p) => p.messages('agentStatus').length > 0);
      peer.send({
        payload: {
          case: 'viewerPresence',
          value: { viewerId: 'v1', joined: true, channels: [Channel.TERMINAL] },
        },
      });

      // The viewer: hashes what lies between the markers and acknowledges 20 ms after receipt
      // (or not at all while `stalled`).
      const hash = createHash('sha256');
      let phase: 'before' | 'data' | 'after' = 'before';
      let pre = '';
      let payloadBytes = 0;
      let acked = 0;
      let worstUnacked = 0;
      let stalled = false;
      const term: TerminalViewer = new TerminalViewer(peer, {
        autoAck: false,
        keepText: false,
        onData: (chunk) => {
          worstUnacked = Math.max(worstUnacked, term.received - acked);
          consume(Buffer.from(chunk));
          const upTo = term.received;
          setTimeout(() => {
            if (stalled || upTo <= acked) return;
            acked = upTo;
            term.ack(upTo);
          }, 20);
        },
      });
      const consume = (chunk: Buffer): void => {
        if (phase === 'before') {
          pre += chunk.toString('latin1');
          const at = pre.indexOf('BEGIN\n');
          if (at < 0) return;
          phase = 'data';
          chunk = Buffer.from(pre.slice(at + 6), 'latin1');
        }
        if (phase === 'data') {
          const end = chunk.indexOf(0x45); // 'E' of END
          const data = end < 0 ? chunk : chunk.subarray(0, end);
          hash.update(data);
          payloadBytes += data.length;
          if (end >= 0) phase = 'after';
        }
      };

      term.open(120, 40);
      term.type('echo PID:$$:\r');
      // Raw output (no \n → \r\n), no echo; the markers are typed as octal escapes so that the
      // echo of the command line cannot be mistaken for them.
      // Live memory (after a full GC: heap, Buffers and other external memory) is what an
      // unbounded buffer would grow; RSS also counts garbage not yet collected.
      const live = (): number => {
        gc();
        const m = process.memoryUsage();
        return m.heapUsed + m.external + m.arrayBuffers;
      };
      const liveBefore = live();
      let livePeak = liveBefore;
      const rssBefore = process.memoryUsage().rss;
      let rssPeak = rssBefore;
      const sampler = setInterval(() => {
        rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
        livePeak = Math.max(livePeak, live());
      }, 250);
      const started = Date.now();
      term.type(`stty raw -echo -opost; printf '\\102EGIN\\n'; cat ${file}; printf '\\105ND'; stty sane\r`);

      // Midway, stop acknowledging: the output stops, the producer blocks, nothing is lost.
      await waitUntil(() => payloadBytes > 10_000_000, 60_000);
      stalled = true;
      await sleep(300);
      const atStall = term.received;
      await sleep(1000);
      expect(term.received).toBe(atStall);
      expect(term.received - acked).toBeLessThanOrEqual(WINDOW + READ);
      const pid = agent.terminals[0]!.pid;
      const cat = terminalMembers(pid).find((m) => m.pid !== pid && m.state !== 'Z');
      expect(cat?.state).toBe('S'); // blocked writing into the full PTY
      stalled = false;
      acked = term.received;
      term.ack(acked);

      await waitUntil(() => phase === 'after', 120_000);
      const elapsed = Date.now() - started;
      clearInterval(sampler);
      expect(payloadBytes).toBe(SIZE);
      expect(hash.digest('hex')).toBe(expected);
      // Never more than the window (plus one PTY read) unacknowledged.
      expect(worstUnacked).toBeLessThanOrEqual(WINDOW + READ);
      // Throttled: each 20 ms acknowledgement round trip releases at most a window and a read.
      const rounds = Math.floor(SIZE / (WINDOW + READ)) - 1;
      expect(elapsed).toBeGreaterThanOrEqual(rounds * 20 + 1000);
      // Memory bounded: far less than the 50 MB that went through.
      const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
      console.log(
        `terminal flow: ${SIZE} bytes in ${elapsed} ms, worst unacked ${worstUnacked}, ` +
          `live growth ${mib(livePeak - liveBefore)}, rss growth ${mib(rssPeak - rssBefore)}`,
      );
      expect(livePeak - liveBefore).toBeLessThan(16 * 1024 * 1024);
      expect(rssPeak - rssBefore).toBeLessThan(64 * 1024 * 1024);
    } finally {
      await agent.close();
      await peer.close();
    }
  });
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitUntil(predicate: () => boolean, timeoutMs: number): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await sleep(20);
  }
}
