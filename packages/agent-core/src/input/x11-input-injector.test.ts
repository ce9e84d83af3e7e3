import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XevRecorder } from '../test-support/xev-recorder.js';
import { Xvfb } from '../test-support/xvfb.js';
import { ViewerInput } from './viewer-input.js';
import { X11InputInjector } from './x11-input-injector.js';

let xvfb: Xvfb;
let xev: XevRecorder;
beforeAll(async () => {
  xvfb = await Xvfb.start({ screen: '1280x800x24' });
  xev = await XevRecorder.start(xvfb, '300x200+100+100');
});
afterAll(async () => {
  xev?.close();
  await xvfb?.close();
});

const display = { id: 'right', name: 'right', x: 50, y: 60, width: 600, height: 400, primary: false };

describe('X11InputInjector', () => {
  it('clicks at the injected coordinates of the right display and scrolls with buttons 4/5', async () => {
    const injector = new X11InputInjector({ display: xvfb.display });
    const input = new ViewerInput({ injector });
    try {
      xev.events.length = 0;
      input.pointer('v1', display, { x: 150, y: 120, buttons: 1, wheelX: 0, wheelY: 0 });
      input.pointer('v1', display, { x: 150, y: 120, buttons: 0, wheelX: 0, wheelY: 0 });
      input.pointer('v1', display, { x: 160, y: 130, buttons: 4, wheelX: 0, wheelY: 2 });
      input.pointer('v1', display, { x: 160, y: 130, buttons: 0, wheelX: 0, wheelY: -1 });
      await xev.waitFor((e) => e.filter((x) => x.kind === 'ButtonPress').length >= 5);
      const presses = xev.events.filter((e) => e.kind === 'ButtonPress');
      expect(presses[0]).toMatchObject({ button: 1, rootX: 200, rootY: 180 });
      expect(presses.slice(1).map((p) => p.button)).toEqual([3, 5, 5, 4]);
      expect(presses[1]).toMatchObject({ rootX: 210, rootY: 190 });
    } finally {
      injector.close();
    }
  });

  it('types plain, shifted and remapped non-ASCII keysyms that reach the X client', async () => {
    const injector = new X11InputInjector({ display: xvfb.display });
    const input = new ViewerInput({ injector });
    try {
      input.pointer('v1', display, { x: 200, y: 150, buttons: 0, wheelX: 0, wheelY: 0 });
      xev.events.length = 0;
      // a, A (Shift added), ! (Shift added), é (not in Xvfb's keymap: a spare keycode is remapped), € (U+20AC keysym)
      const keysyms = [0x61, 0x41, 0x21, 0xe9, 0x20ac];
      for (const k of keysyms) {
        input.key('v1', k, true);
        input.key('v1', k, false);
      }
      const typed = (): number[] =>
        xev.events.filter((e) => e.kind === 'KeyPress' && e.keysym !== 0xffe1).map((e) => e.keysym!);
      await xev.waitFor(() => typed().length >= keysyms.length);
      expect(typed()).toEqual(keysyms);
      // Shift was added around A and ! only.
      const shifts = xev.events.filter((e) => e.kind === 'KeyPress' && e.keysym === 0xffe1).length;
      expect(shifts).toBe(2);
      expect(injector.heldKeysyms()).toEqual([]);
    } finally {
      injector.close();
    }
  });

  it('releases what a viewer holds when it leaves, but not what another viewer still holds', async () => {
    const injector = new X11InputInjector({ display: xvfb.display });
    const input = new ViewerInput({ injector });
    try {
      input.pointer('v1', display, { x: 200, y: 150, buttons: 0, wheelX: 0, wheelY: 0 });
      xev.events.length = 0;
      input.key('v1', 0x62, true); // b
      input.key('v2', 0x62, true);
      input.key('v1', 0x63, true); // c
      input.pointer('v1', display, { x: 200, y: 150, buttons: 2, wheelX: 0, wheelY: 0 });
      expect(input.heldBy('v1').sort()).toEqual([0x62, 0x63]);
      input.release('v1');
      expect(injector.heldKeysyms()).toEqual([0x62]);
      await xev.waitFor((e) => e.some((x) => x.kind === 'KeyRelease' && x.keysym === 0x63));
      await xev.waitFor((e) => e.some((x) => x.kind === 'ButtonRelease' && x.button === 2));
      expect(xev.events.some((x) => x.kind === 'KeyRelease' && x.keysym === 0x62)).toBe(false);
      input.release('v2');
      await xev.waitFor((e) => e.some((x) => x.kind === 'KeyRelease' && x.keysym === 0x62));
      expect(injector.heldKeysyms()).toEqual([]);
    } finally {
      injector.close();
    }
  });

  it('restores remapped keycodes on close', async () => {
    const injector = new X11InputInjector({ display: xvfb.display });
    injector.key(0xe9, true);
    injector.key(0xe9, false);
    await injector.idle();
    expect(await xvfb.exec('xmodmap', ['-pke'])).toMatch(/eacute/);
    injector.close();
    expect(await xvfb.exec('xmodmap', ['-pke'])).not.toMatch(/eacute/);
    expect(() => injector.key(0x61, true)).toThrow(/closed/);
  });
});
