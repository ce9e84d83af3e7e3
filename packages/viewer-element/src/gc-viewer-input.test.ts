// <gc-viewer> input in real headless Chromium: pointer coordinates in fit and actual scale,
// buttons and wheel, layout-aware keysyms, held keys released, view-only sending nothing.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Channel } from '@guruconnect/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bgraDesktop, rect, videoFrame } from './test-support/test-frames.js';
import type { TestViewerPeer } from './test-support/viewer-harness.js';
import { ViewerHarness } from './test-support/viewer-harness.js';

let h: ViewerHarness;
let desktop: Awaited<ReturnType<typeof rect>>;
const DISPLAY = { id: 'd1', width: 1600, height: 900 };
let nonce = 1n;

beforeAll(async () => {
  h = await ViewerHarness.start();
  desktop = await rect(0, 0, bgraDesktop(DISPLAY.width, DISPLAY.height), DISPLAY.width, DISPLAY.height);
});
afterAll(async () => {
  await h?.close();
});

/** A viewer in an 800×450 element showing a 1600×900 display (fit: half size). */
async function showDesktop(
  id: string,
  options: { viewOnly?: boolean; channels?: Channel[]; scale?: 'fit' | 'actual' } = {},
): Promise<TestViewerPeer> {
  const peer = await h.join({ id, width: 800, height: 450, ...options });
  peer.send(videoFrame(1, DISPLAY, [desktop], true));
  await peer.next('frameAck');
  await h.page.waitForFunction((id) => window.gcTest.canvasBox(id).width > 0, id);
  return peer;
}

async function box(id: string) {
  return h.page.evaluate((id) => window.gcTest.canvasBox(id), id);
}

/** Key events received since the last call (after a barrier, so nothing is still in flight). */
async function keys(peer: TestViewerPeer): Promise<[number, boolean][]> {
  await peer.barrier(nonce++);
  const out: [number, boolean][] = [];
  for (;;) {
    const next = await peer.next('keyEvent', 1).catch(() => undefined);
    if (next === undefined) return out;
    out.push([next.keysym, next.down]);
  }
}

async function pointers(peer: TestViewerPeer) {
  await peer.barrier(nonce++);
  const out: { x: number; y: number; buttons: number; wheelX: number; wheelY: number; displayId: string }[] =
    [];
  for (;;) {
    const next = await peer.next('pointerEvent', 1).catch(() => undefined);
    if (next === undefined) return out;
    const { x, y, buttons, wheelX, wheelY, displayId } = next;
    out.push({ x, y, buttons, wheelX, wheelY, displayId });
  }
}

describe('<gc-viewer> input', () => {
  it('maps clicks, buttons and wheel from the fitted canvas to display pixels', async () => {
    const peer = await showDesktop('fit');
    const b = await box('fit');
    expect(b.width).toBeCloseTo(800, 0);
    expect(b.height).toBeCloseTo(450, 0);

    await h.page.mouse.click(b.left + 100, b.top + 50);
    const click = await pointers(peer);
    expect(click.at(-2)).toEqual({ x: 200, y: 100, buttons: 1, wheelX: 0, wheelY: 0, displayId: 'd1' });
    expect(click.at(-1)).toEqual({ x: 200, y: 100, buttons: 0, wheelX: 0, wheelY: 0, displayId: 'd1' });

    await h.page.mouse.click(b.left + 400, b.top + 225, { button: 'right' });
    expect((await pointers(peer)).map((p) => [p.x, p.y, p.buttons]).slice(-2)).toEqual([
      [800, 450, 4],
      [800, 450, 0],
    ]);
    await h.page.mouse.click(b.left + 799, b.top + 449, { button: 'middle' });
    expect((await pointers(peer)).map((p) => [p.x, p.y, p.buttons]).slice(-2)).toEqual([
      [1598, 898, 2],
      [1598, 898, 0],
    ]);

    await h.page.mouse.move(b.left + 10, b.top + 20);
    await h.page.mouse.wheel(0, 120);
    await h.page.mouse.wheel(0, -120);
    await h.page.mouse.wheel(120, 0);
    const wheel = (await pointers(peer)).filter((p) => p.wheelX !== 0 || p.wheelY !== 0);
    expect(wheel.map((p) => [p.x, p.y, p.wheelX, p.wheelY])).toEqual([
      [20, 40, 0, 1],
      [20, 40, 0, -1],
      [20, 40, 1, 0],
    ]);

    const artifacts = join(dirname(fileURLToPath(import.meta.url)), '..', 'test-artifacts');
    mkdirSync(artifacts, { recursive: true });
    await h.page.locator('#fit').screenshot({ path: join(artifacts, 'gc-viewer-fit.png'), timeout: 10_000 });
  });

  it('maps 1:1 in actual scale', async () => {
    const peer = await showDesktop('actual', { scale: 'actual' });
    const b = await box('actual');
    expect(b.width).toBeCloseTo(1600, 0);
    await h.page.mouse.click(b.left + 100, b.top + 50);
    expect((await pointers(peer)).map((p) => [p.x, p.y, p.buttons]).slice(-2)).toEqual([
      [100, 50, 1],
      [100, 50, 0],
    ]);
  });

  it('sends the character typed, shifted or not, and named keys by table', async () => {
    const peer = await showDesktop('keys');
    await h.page.evaluate(() => window.gcTest.focus('keys'));
    await h.page.keyboard.press('KeyA');
    await h.page.keyboard.down('Shift');
    await h.page.keyboard.press('KeyA');
    await h.page.keyboard.press('Digit1');
    await h.page.keyboard.up('Shift');
    expect(await keys(peer)).toEqual([
      [0x61, true],
      [0x61, false],
      [0xffe1, true],
      [0x41, true],
      [0x41, false],
      [0x21, true],
      [0x21, false],
      [0xffe1, false],
    ]);

    for (const key of [
      'Enter',
      'Backspace',
      'Tab',
      'Escape',
      'ArrowLeft',
      'F5',
      'F12',
      'Home',
      'PageDown',
      'Delete',
    ]) {
      await h.page.keyboard.press(key);
    }
    await h.page.keyboard.press('ControlRight');
    await h.page.keyboard.press('AltLeft');
    const named = (await keys(peer)).filter(([, down]) => down).map(([k]) => k);
    expect(named).toEqual([
      0xff0d, 0xff08, 0xff09, 0xff1b, 0xff51, 0xffc2, 0xffc9, 0xff50, 0xff56, 0xffff, 0xffe4, 0xffe9,
    ]);
  });

  it('is layout-aware: é, ß, € and Cyrillic are sent as the typed character', async () => {
    const peer = await showDesktop('layout');
    const typed: [string, string][] = [
      ['é', 'Digit2'], // French AZERTY
      ['ß', 'Minus'], // German
      ['€', 'KeyE'], // AltGr+E
      ['ж', 'Semicolon'], // Russian
    ];
    for (const [key, code] of typed) {
      const prevented = await h.page.evaluate(
        ([key, code]) => window.gcTest.key('layout', 'keydown', key, code),
        [key, code] as const,
      );
      expect(prevented).toBe(true);
      await h.page.evaluate(([key, code]) => window.gcTest.key('layout', 'keyup', key, code), [
        key,
        code,
      ] as const);
    }
    expect(await keys(peer)).toEqual([
      [0xe9, true],
      [0xe9, false],
      [0xdf, true],
      [0xdf, false],
      [0x010020ac, true],
      [0x010020ac, false],
      [0x01000436, true],
      [0x01000436, false],
    ]);
  });

  it('releases every held key, most recent first, on blur and on disconnect', async () => {
    const peer = await showDesktop('held');
    await h.page.evaluate(() => window.gcTest.focus('held'));
    await h.page.keyboard.down('Control');
    await h.page.keyboard.down('Shift');
    await h.page.keyboard.down('KeyX');
    await h.page.evaluate(() => window.gcTest.blur('held'));
    expect(await keys(peer)).toEqual([
      [0xffe3, true],
      [0xffe1, true],
      [0x58, true],
      [0x58, false],
      [0xffe1, false],
      [0xffe3, false],
    ]);
    // The physical releases after blur send nothing: those keys are no longer held.
    await h.page.keyboard.up('KeyX');
    await h.page.keyboard.up('Shift');
    await h.page.keyboard.up('Control');
    expect(await keys(peer)).toEqual([]);

    await h.page.evaluate(() => window.gcTest.focus('held'));
    await h.page.keyboard.down('AltLeft');
    await h.page.evaluate(() => window.gcTest.viewer('held').disconnect());
    expect((await peer.closed).code).toBe(1000);
    await h.page.keyboard.up('AltLeft');
    expect(
      peer
        .all('keyEvent')
        .slice(-2)
        .map((k) => [k.keysym, k.down]),
    ).toEqual([
      [0xffe9, true],
      [0xffe9, false],
    ]);
  });

  it('sends Ctrl+Alt+Del from the toolbar, pressed in order and released in reverse', async () => {
    const peer = await showDesktop('cad');
    await h.page.locator('#cad').locator('[data-action=ctrl-alt-del]').click();
    expect(await keys(peer)).toEqual([
      [0xffe3, true],
      [0xffe9, true],
      [0xffff, true],
      [0xffff, false],
      [0xffe9, false],
      [0xffe3, false],
    ]);
  });

  const silent: [id: string, name: string, options: { viewOnly?: boolean; channels?: Channel[] }][] = [
    ['viewonly', 'the view-only attribute', { viewOnly: true }],
    ['nocontrol', 'a token without the control channel', { channels: [Channel.VIEW] }],
  ];
  for (const [id, name, options] of silent) {
    it(`sends no input at all with ${name}`, async () => {
      const peer = await showDesktop(id, options);
      const b = await box(id);
      await h.page.mouse.click(b.left + 100, b.top + 50);
      await h.page.mouse.click(b.left + 100, b.top + 50, { button: 'right' });
      await h.page.mouse.wheel(0, 120);
      await h.page.evaluate((id) => window.gcTest.focus(id), id);
      await h.page.keyboard.press('KeyA');
      await h.page.keyboard.down('Control');
      await h.page.evaluate((id) => window.gcTest.blur(id), id);
      await h.page.keyboard.up('Control');
      const sent = await h.page.evaluate(
        (id) => window.gcTest.viewer(id).sendKeys([0xffe3, 0xffe9, 0xffff]),
        id,
      );
      expect(sent).toBe(false);
      expect(await h.page.locator(`#${id}`).locator('[data-action=ctrl-alt-del]').count()).toBe(0);
      await peer.barrier(nonce++);
      expect(peer.all('pointerEvent')).toEqual([]);
      expect(peer.all('keyEvent')).toEqual([]);
      // It still acknowledges frames and may ask for refreshes: view-only is about input only.
      expect(peer.all('frameAck')).toHaveLength(1);
    });
  }
});
