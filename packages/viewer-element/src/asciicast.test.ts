import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { parseAsciicast } from './asciicast.js';
import { AsciicastPlayer } from './asciicast-player.js';
import { XTERM_CSS_TEXT } from './xterm-styles.js';

const lines = (...values: unknown[]) => values.map((v) => JSON.stringify(v)).join('\n');

describe('parseAsciicast', () => {
  it('reads the header and the events, skipping blank lines', () => {
    const cast = parseAsciicast(
      `${lines({ version: 2, width: 80, height: 24, idle_time_limit: 2, title: 't' }, [0, 'o', 'a'], [0.5, 'r', '100x30'])}\n\n`,
    );
    expect(cast.header).toEqual({ version: 2, width: 80, height: 24, idleTimeLimit: 2, title: 't' });
    expect(cast.events).toEqual([
      { time: 0, code: 'o', data: 'a' },
      { time: 0.5, code: 'r', data: '100x30' },
    ]);
  });

  it.each([
    ['', 'line 1: the header line is missing'],
    ['[2, 80, 24]', 'line 1: the header is not an object'],
    [lines({ version: 2, width: 0, height: 24 }), 'line 1: width and height must be positive integers'],
    [lines({ version: 2, width: 80, height: 24 }, [0, 'o']), 'line 2: an event must be [time, code, data]'],
    [lines({ version: 2, width: 80, height: 24 }, [-1, 'o', 'x']), 'line 2: time must be a number ≥ 0'],
    [lines({ version: 2, width: 80, height: 24 }, [0, 'out', 'x']), 'line 2: code must be one letter'],
    [lines({ version: 2, width: 80, height: 24 }, [0, 'o', 5]), 'line 2: data must be a string'],
    [lines({ version: 2, width: 80, height: 24 }, [0, 'r', 'big']), 'line 2: a resize must be "COLSxROWS"'],
  ])('refuses %j', (text, message) => {
    expect(() => parseAsciicast(text)).toThrow(
      expect.objectContaining({
        code: 'GC_ERR_VIEWER_PLAYBACK',
        message: `not a valid asciicast v2 file: ${message}`,
      }),
    );
  });
});

describe('AsciicastPlayer', () => {
  it('plays output in order with real timing, shortening idle gaps to the limit', async () => {
    const cast = parseAsciicast(
      lines(
        { version: 2, width: 10, height: 5, idle_time_limit: 0.2 },
        [0, 'o', 'a'],
        [5, 'o', 'b'],
        [5.1, 'r', '20x6'],
      ),
    );
    const out: string[] = [];
    const sizes: string[] = [];
    const player = new AsciicastPlayer({
      cast,
      output: (d) => out.push(d),
      resize: (c, r) => sizes.push(`${c}x${r}`),
      reset: () => out.push('<reset>'),
    });
    expect(player.duration).toBeCloseTo(0.3);
    const started = performance.now();
    player.play();
    while (!player.ended) await new Promise((r) => setTimeout(r, 10));
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(2000);
    expect(out).toEqual(['a', 'b']);
    expect(sizes).toEqual(['10x5', '20x6']);
    expect(player.playing).toBe(false);
    player.play(); // from the start again
    expect(out.slice(2)).toEqual(['<reset>', 'a']);
    player.dispose();
  });
});

describe('xterm styles', () => {
  it('are the installed @xterm/xterm stylesheet (regenerate with scripts/generate-xterm-styles.mjs)', () => {
    const require = createRequire(import.meta.url);
    const css = readFileSync(require.resolve('@xterm/xterm/css/xterm.css'), 'utf8');
    expect(XTERM_CSS_TEXT).toBe(css);
  });
});
