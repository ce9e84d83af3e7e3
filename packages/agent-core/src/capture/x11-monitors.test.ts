import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XDrawClient } from '../test-support/x-draw-client.js';
import { Xvfb } from '../test-support/xvfb.js';
import { X11ScreenCapturer } from './x11-screen-capturer.js';

let xvfb: Xvfb;
beforeAll(async () => {
  xvfb = await Xvfb.start({ screen: '1600x600x24' });
  // Two monitors side by side on one wide screen, as a dual-head desktop has.
  await xvfb.exec('xrandr', ['--setmonitor', 'LEFT', '800/200x600/150+0+0', 'screen']);
  await xvfb.exec('xrandr', ['--setmonitor', 'RIGHT', '800/200x600/150+800+0', 'none']);
});
afterAll(async () => {
  await xvfb?.close();
});

function allPixels(image: { data: Uint8Array; stride: number; width: number; height: number }): Set<string> {
  const seen = new Set<string>();
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const o = y * image.stride + x * 4;
      seen.add(`${image.data[o + 2]},${image.data[o + 1]},${image.data[o]}`);
    }
  }
  return seen;
}

describe('X11ScreenCapturer with two RandR monitors', () => {
  it('lists each monitor as a display and captures each alone', () => {
    const client = new XDrawClient(xvfb.display);
    const capturer = new X11ScreenCapturer({ display: xvfb.display });
    try {
      client.createWindow(0, 0, 800, 600, 0xff0000);
      client.createWindow(800, 0, 800, 600, 0x00ff00);
      const displays = capturer.displays();
      expect(displays.map((d) => [d.id, d.x, d.y, d.width, d.height])).toEqual([
        ['LEFT', 0, 0, 800, 600],
        ['RIGHT', 800, 0, 800, 600],
      ]);
      expect(displays.filter((d) => d.primary)).toHaveLength(1);
      const left = capturer.capture('LEFT');
      expect(left.width).toBe(800);
      expect(allPixels(left)).toEqual(new Set(['255,0,0']));
      const right = capturer.capture('RIGHT');
      expect(right.width).toBe(800);
      expect(allPixels(right)).toEqual(new Set(['0,255,0']));
      // A rectangle is relative to its display.
      const corner = capturer.capture('RIGHT', { x: 0, y: 0, width: 2, height: 2 });
      expect(allPixels(corner)).toEqual(new Set(['0,255,0']));
    } finally {
      capturer.close();
      client.close();
    }
  });
});
