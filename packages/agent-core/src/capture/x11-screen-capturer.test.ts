import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { XDrawClient } from '../test-support/x-draw-client.js';
import { Xvfb } from '../test-support/xvfb.js';
import type { PixelRect } from './screen-capturer.js';
import { X11ScreenCapturer } from './x11-screen-capturer.js';

let xvfb: Xvfb;
beforeAll(async () => {
  xvfb = await Xvfb.start({ screen: '1280x800x24' });
});
afterAll(async () => {
  await xvfb?.close();
});

function pixel(image: { data: Uint8Array; stride: number }, x: number, y: number): number[] {
  const o = y * image.stride + x * 4;
  return [image.data[o + 2] ?? -1, image.data[o + 1] ?? -1, image.data[o] ?? -1];
}

function pattern(width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      out[o] = (x * 7) & 255; // blue
      out[o + 1] = (y * 5) & 255; // green
      out[o + 2] = (x ^ y) & 255; // red
    }
  }
  return out;
}

/** This process's open sockets (X connections among them). */
function sockets(): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:');
    } catch {
      return false; // the fd closed while we looked
    }
  }).length;
}

function shmSegments(): Set<string> {
  const lines = readFileSync('/proc/sysvipc/shm', 'utf8').trim().split('\n').slice(1);
  // Only segments this process created: other processes on the machine come and go.
  const own = lines.map((l) => l.trim().split(/\s+/)).filter((c) => c[4] === String(process.pid));
  return new Set(own.map((c) => c[1] ?? ''));
}

describe('X11ScreenCapturer', () => {
  it('returns exactly the pixels xsetroot and an X client drew, with SHM and XGetImage alike', async () => {
    await xvfb.exec('xsetroot', ['-solid', '#2060a0']);
    const client = new XDrawClient(xvfb.display);
    const shm = new X11ScreenCapturer({ display: xvfb.display });
    const plain = new X11ScreenCapturer({ display: xvfb.display, useShm: false });
    try {
      expect(shm.backend).toBe('x11-shm');
      expect(plain.backend).toBe('x11-getimage');
      const win = client.createWindow(100, 50, 64, 48, 0xff0000);
      const img = pattern(40, 30);
      client.putImage(win, 10, 10, 40, 30, img);
      const [display] = shm.displays();
      expect(display).toMatchObject({ x: 0, y: 0, width: 1280, height: 800 });
      const id = display!.id;
      const a = shm.capture(id);
      const aCopy = Buffer.from(a.data);
      expect(pixel(a, 5, 5)).toEqual([0x20, 0x60, 0xa0]);
      expect(pixel(a, 102, 52)).toEqual([0xff, 0, 0]);
      // The image drawn at (110, 60): compare every pixel.
      for (let y = 0; y < 30; y++) {
        for (let x = 0; x < 40; x++) {
          const o = (y * 40 + x) * 4;
          expect(pixel(a, 110 + x, 60 + y)).toEqual([img[o + 2], img[o + 1], img[o]]);
        }
      }
      const b = plain.capture(id);
      expect(b.width).toBe(1280);
      for (let y = 0; y < 800; y++) {
        const rowA = aCopy.subarray(y * a.stride, y * a.stride + 1280 * 4);
        const rowB = Buffer.from(b.data.subarray(y * b.stride, y * b.stride + 1280 * 4));
        if (!rowA.equals(rowB)) throw new Error(`row ${y} differs between SHM and XGetImage`);
      }
      // A sub-rectangle capture returns the same pixels as the full one.
      const sub = shm.capture(id, { x: 110, y: 60, width: 40, height: 30 });
      expect(sub.stride).toBe(160);
      expect(pixel(sub, 3, 4)).toEqual(pixel({ data: aCopy, stride: a.stride }, 113, 64));
      const subPlain = plain.capture(id, { x: 110, y: 60, width: 40, height: 30 });
      expect(pixel(subPlain, 39, 29)).toEqual(pixel({ data: aCopy, stride: a.stride }, 149, 89));
      client.destroyWindow(win);
    } finally {
      shm.close();
      plain.close();
      client.close();
    }
  });

  it('reports XDamage for a drawn corner without polling', async () => {
    const capturer = new X11ScreenCapturer({ display: xvfb.display });
    const client = new XDrawClient(xvfb.display);
    try {
      expect(capturer.damageEvents).toBe(true);
      const seen: PixelRect[] = [];
      capturer.onDamage((rects) => seen.push(...rects));
      const win = client.createWindow(1200, 740, 80, 60, 0x00ff00);
      client.fill(win, 0x0000ff, 70, 50, 10, 10);

      await waitFor(() => seen.some((r) => r.x === 1270 && r.y === 790 && r.width === 10 && r.height === 10));
      client.destroyWindow(win);
    } finally {
      capturer.close();
      client.close();
    }
  });

  it('polls instead when damage events are disabled', async () => {
    const capturer = new X11ScreenCapturer({ display: xvfb.display, useDamage: false, pollIntervalMs: 20 });
    try {
      expect(capturer.damageEvents).toBe(false);
      const seen: PixelRect[][] = [];
      capturer.onDamage((rects) => seen.push(rects));
      await waitFor(() => seen.length >= 2);
      expect(seen[0]).toEqual([{ x: 0, y: 0, width: 1280, height: 800 }]);
    } finally {
      capturer.close();
    }
  });

  it('reads the cursor image as RGBA and the pointer position', async () => {
    const capturer = new X11ScreenCapturer({ display: xvfb.display });
    try {
      await xvfb.exec('xdotool', ['mousemove', '321', '123']);
      expect(capturer.cursorPosition()).toEqual({ x: 321, y: 123 });
      const cursor = capturer.cursorImage();
      expect(cursor).toBeDefined();
      expect(cursor!.width).toBeGreaterThan(0);
      expect(cursor!.rgba.length).toBe(cursor!.width * cursor!.height * 4);
      // Xvfb's default root cursor is the black X with a white outline: opaque pixels exist.
      const alphas = new Set<number>();
      for (let i = 3; i < cursor!.rgba.length; i += 4) alphas.add(cursor!.rgba[i]!);
      expect(alphas.has(255)).toBe(true);
    } finally {
      capturer.close();
    }
  });

  it('releases the X connection, the SHM segment and the fd watcher on close', () => {
    const before = shmSegments();
    const fdsBefore = readdirSync('/proc/self/fd').length;
    const capturer = new X11ScreenCapturer({ display: xvfb.display });
    capturer.onDamage(() => undefined);
    const during = [...shmSegments()].filter((id) => !before.has(id));
    expect(during.length).toBe(1);
    expect(readdirSync('/proc/self/fd').length).toBeGreaterThan(fdsBefore);
    capturer.close();
    expect(readdirSync('/proc/self/fd').length).toBe(fdsBefore);
    expect([...shmSegments()].filter((id) => !before.has(id))).toEqual([]);
    expect(() => capturer.capture('screen')).toThrow(/closed/);
    capturer.close();
  });

  it('captures and reads the pointer off the event loop, through connections of their own, released on close', async () => {
    await xvfb.exec('xsetroot', ['-solid', '#103050']);
    const client = new XDrawClient(xvfb.display);
    const before = shmSegments();
    const capturer = new X11ScreenCapturer({ display: xvfb.display });
    let open = 0;
    try {
      const win = client.createWindow(200, 100, 40, 30, 0x00ff00);
      const id = capturer.displays()[0]!.id;
      const rect = { x: 190, y: 90, width: 400, height: 300 };
      const asyncImage = await capturer.captureAsync(id, rect);
      const copy = Buffer.from(asyncImage.data);
      const syncImage = capturer.capture(id, rect);
      expect(copy.equals(Buffer.from(syncImage.data))).toBe(true);
      expect(pixel(asyncImage, 15, 15)).toEqual([0, 0xff, 0]);
      expect(pixel(asyncImage, 5, 5)).toEqual([0x10, 0x30, 0x50]);
      // Its own segment, beside the synchronous one.
      expect([...shmSegments()].filter((s) => !before.has(s))).toHaveLength(2);
      await expect(capturer.captureAsync(id, { x: 1200, y: 0, width: 100, height: 10 })).rejects.toThrow(
        /outside/,
      );

      await xvfb.exec('xdotool', ['mousemove', '77', '66']);
      expect(await capturer.cursorPositionAsync()).toEqual({ x: 77, y: 66 });
      // One probe at a time: a second call while one is in flight answers undefined.
      const [a, b] = await Promise.all([capturer.cursorPositionAsync(), capturer.cursorPositionAsync()]);
      expect([a, b]).toEqual([{ x: 77, y: 66 }, undefined]);
      client.destroyWindow(win);
    } finally {
      client.close();
      open = sockets();
      capturer.close();
    }
    // Three X connections (main, capture, probe) were open; all are closed.
    await waitFor(() => sockets() === open - 3);
    expect([...shmSegments()].filter((s) => !before.has(s))).toEqual([]);
    await expect(capturer.captureAsync('screen', { x: 0, y: 0, width: 1, height: 1 })).rejects.toThrow(
      /closed/,
    );
  });

  it('refuses an unknown display and a rectangle outside the display', () => {
    const capturer = new X11ScreenCapturer({ display: xvfb.display });
    try {
      expect(() => capturer.capture('nope')).toThrow(
        expect.objectContaining({ code: 'GC_ERR_AGENT_UNKNOWN_DISPLAY' }),
      );
      const id = capturer.displays()[0]!.id;
      expect(() => capturer.capture(id, { x: 1200, y: 0, width: 100, height: 10 })).toThrow(/outside/);
    } finally {
      capturer.close();
    }
  });

  it('fails clearly when no X display is reachable', () => {
    expect(() => new X11ScreenCapturer({ display: ':987' })).toThrow(
      expect.objectContaining({
        code: 'GC_ERR_AGENT_NO_DISPLAY',
        message: expect.stringMatching(/terminal-only/),
      }),
    );
  });
});

async function waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
