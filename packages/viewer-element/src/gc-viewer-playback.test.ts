// <gc-viewer mode="playback"> in real headless Chromium: fetches an asciicast v2 recording from
// the page's origin with its cookies, replays it with real timing, pause and speed, and refuses
// a bad file with a clear message.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ViewerHarness } from './test-support/viewer-harness.js';

let h: ViewerHarness;

beforeAll(async () => {
  h = await ViewerHarness.start();
});
afterAll(async () => {
  await h?.close();
});

function cast(header: object, events: unknown[][]): string {
  return `${[header, ...events].map((line) => JSON.stringify(line)).join('\n')}\n`;
}

const GOOD = cast({ version: 2, width: 60, height: 10, timestamp: 1_700_000_000, env: { TERM: 'xterm' } }, [
  [0.1, 'o', 'first \u001b[1mline\u001b[0m\r\n'],
  [0.15, 'i', 'ignored input'],
  [1.3, 'o', 'second line €\r\n'],
]);

async function create(id: string, src: string): Promise<void> {
  await h.page.evaluate(
    ({ id, src, server }) => window.gcTest.create({ id, server, session: '', mode: 'playback', src }),
    { id, src, server: h.origin },
  );
}

const text = (id: string) => h.page.evaluate((id) => window.gcTest.terminalText(id), id);

describe('<gc-viewer mode="playback">', () => {
  it('replays a recording with its timing, pauses, and plays faster', async () => {
    h.serve('/recordings/good.cast', { type: 'application/x-asciicast', body: GOOD });
    await h.page.context().addCookies([{ name: 'gc_session', value: 'cookie-value', url: h.origin }]);
    await create('p1', '/recordings/good.cast');
    await h.page.waitForFunction(() => window.gcTest.viewer('p1').playbackDuration > 0);
    expect(h.fileRequests.at(-1)).toEqual({
      path: '/recordings/good.cast',
      cookie: 'gc_session=cookie-value',
    });
    expect(await h.page.evaluate(() => window.gcTest.terminalSize('p1'))).toEqual({ cols: 60, rows: 10 });
    expect(await h.page.evaluate(() => window.gcTest.status('p1').hidden)).toBe(true);
    expect(await h.page.evaluate(() => window.gcTest.viewer('p1').playbackDuration)).toBeCloseTo(1.3);

    const started = Date.now();
    await h.page.evaluate(() => window.gcTest.viewer('p1').play());
    await h.page.waitForFunction(() => window.gcTest.terminalText('p1').includes('first line'));
    expect(Date.now() - started).toBeLessThan(900);
    expect(await text('p1')).not.toContain('second');
    expect(await text('p1')).not.toContain('ignored input');
    await h.page.waitForFunction(() => window.gcTest.terminalText('p1').includes('second line €'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(1150);
    const events = await h.page.evaluate(() => window.gcTest.events('p1'));
    expect(events.filter((e) => e.type === 'gc-playback-state').at(-1)).toMatchObject({
      playing: false,
      ended: true,
    });

    // Again at 4×, paused midway: the position stops while paused.
    await h.page.evaluate(() => {
      const viewer = window.gcTest.viewer('p1');
      viewer.playbackSpeed = 4;
      viewer.play();
    });
    await h.page.waitForFunction(() => window.gcTest.terminalText('p1').includes('first line'));
    expect(await text('p1')).not.toContain('second');
    await h.page.evaluate(() => window.gcTest.viewer('p1').pause());
    const paused = await h.page.evaluate(() => window.gcTest.viewer('p1').playbackPosition);
    await new Promise((r) => setTimeout(r, 400));
    expect(await h.page.evaluate(() => window.gcTest.viewer('p1').playbackPosition)).toBe(paused);
    expect(await text('p1')).not.toContain('second');
    const resumed = Date.now();
    await h.page.locator('#p1 >> [data-action=play]').click();
    await h.page.waitForFunction(() => window.gcTest.terminalText('p1').includes('second line'));
    // The rest (1.3 s − position) at 4× takes well under the 1× time.
    expect(Date.now() - resumed).toBeLessThan(((1.3 - paused) / 4) * 1000 + 400);
  });

  it('offers 1×, 2× and 4× in its toolbar', async () => {
    h.serve('/recordings/speed.cast', { body: GOOD });
    await create('p2', '/recordings/speed.cast');
    await h.page.waitForFunction(() => window.gcTest.viewer('p2').playbackDuration > 0);
    const options = await h.page.locator('#p2 >> [part=speed] option').allTextContents();
    expect(options).toEqual(['1×', '2×', '4×']);
    await h.page.locator('#p2 >> [part=speed]').selectOption('2');
    expect(await h.page.evaluate(() => window.gcTest.viewer('p2').playbackSpeed)).toBe(2);
  });

  for (const [name, body, message] of [
    ['a wrong version', cast({ version: 1, width: 80, height: 24 }, []), 'line 1: version must be 2, not 1'],
    ['no size', cast({ version: 2 }, []), 'line 1: width and height must be positive integers'],
    [
      'a bad event',
      cast({ version: 2, width: 80, height: 24 }, [
        [0.5, 'o', 'ok'],
        [0.2, 'o', 'x'],
      ]),
      'line 3: time goes backwards',
    ],
    ['not JSON', 'hello, I am a text file\n', 'line 1: the header is not JSON'],
  ] as const) {
    it(`refuses a file with ${name}`, async () => {
      const id = `bad-${name.replace(/\W/g, '')}`;
      h.serve(`/recordings/${id}.cast`, { body });
      await create(id, `/recordings/${id}.cast`);
      await h.page.waitForFunction((id) => window.gcTest.statusShown(id) === 'error', id);
      const status = await h.page.evaluate((id) => window.gcTest.status(id), id);
      expect(status.hidden).toBe(false);
      expect(status.text).toBe(`This recording cannot be played: not a valid asciicast v2 file: ${message}`);
      const events = await h.page.evaluate((id) => window.gcTest.events(id), id);
      expect(events.find((e) => e.type === 'gc-error')).toMatchObject({ code: 'GC_ERR_VIEWER_PLAYBACK' });
      expect(await h.page.evaluate((id) => window.gcTest.viewer(id).terminal, id)).toBeUndefined();
    });
  }

  it('says so when the recording cannot be fetched', async () => {
    h.serve('/recordings/gone.cast', { status: 404, body: 'not found' });
    await create('p404', '/recordings/gone.cast');
    await h.page.waitForFunction(() => window.gcTest.statusShown('p404') === 'error');
    expect((await h.page.evaluate(() => window.gcTest.status('p404'))).text).toBe(
      'This recording cannot be played: the recording could not be fetched (HTTP 404)',
    );
  });
});
