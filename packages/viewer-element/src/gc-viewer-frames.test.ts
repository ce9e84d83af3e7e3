// <gc-viewer> in real headless Chromium against an in-process test relay: the hello, frames
// painted pixel-exact, acknowledgements, cursor, heartbeats and the screenshot.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Capability, Channel, CONTRACT_VERSION, Codec, SessionState_State } from '@guruconnect/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bgraPattern,
  bgraSolid,
  copyRect,
  rect,
  ScreenModel,
  videoFrame,
} from './test-support/test-frames.js';
import type { TestViewerPeer } from './test-support/viewer-harness.js';
import { ViewerHarness } from './test-support/viewer-harness.js';

let h: ViewerHarness;
beforeAll(async () => {
  h = await ViewerHarness.start();
});
afterAll(async () => {
  await h?.close();
});

const DISPLAY = { id: 'd1', width: 320, height: 200 };

function joinViewer(id: string): Promise<TestViewerPeer> {
  return h.join({ id, scale: 'actual' });
}

async function canvasPixels(
  id: string,
  x: number,
  y: number,
  width: number,
  height: number,
): Promise<Buffer> {
  const b64 = await h.page.evaluate(([id, x, y, w, hh]) => window.gcTest.pixels(id, x, y, w, hh), [
    id,
    x,
    y,
    width,
    height,
  ] as const);
  return Buffer.from(b64, 'base64');
}

describe('<gc-viewer> session and frames', () => {
  it('says hello with its token, session, contract version and capabilities', async () => {
    await h.page.evaluate(
      (server) => window.gcTest.create({ id: 'hello', server, session: 'sess-9', token: 'tok-hello' }),
      h.origin,
    );
    const peer = await h.nextPeer();
    expect(peer.path).toBe('/v1/viewer');
    const hello = await peer.next('viewerHello');
    expect(hello.token).toBe('tok-hello');
    expect(hello.sessionId).toBe('sess-9');
    expect(hello.protocolVersion).toBe(CONTRACT_VERSION);
    expect(hello.capabilities).toEqual(
      expect.arrayContaining([
        Capability.CodecZstd,
        Capability.Cursor,
        Capability.MultiDisplay,
        Capability.Terminal,
      ]),
    );
    expect(await h.page.evaluate(() => window.gcTest.status('hello'))).toEqual({
      text: 'Connecting…',
      hidden: false,
      state: 'connecting',
    });
    peer.send({ payload: { case: 'helloResult', value: { viewerId: 'v-hello', channels: [Channel.VIEW] } } });
    peer.send({ payload: { case: 'sessionState', value: { state: SessionState_State.ACTIVE } } });
    await h.page.waitForFunction(() => window.gcTest.status('hello').state === 'connected');
    expect(await h.page.evaluate(() => window.gcTest.status('hello').hidden)).toBe(true);
    const events = await h.page.evaluate(() => window.gcTest.events('hello'));
    expect(events).toContainEqual({ type: 'gc-connected', control: false });
  });

  it('paints full and partial zstd and raw frames pixel-exact and acknowledges each after painting', async () => {
    const peer = await joinViewer('frames');
    const screen = new ScreenModel(DISPLAY.width, DISPLAY.height);

    const full = await rect(
      0,
      0,
      bgraPattern(DISPLAY.width, DISPLAY.height, 7),
      DISPLAY.width,
      DISPLAY.height,
    );
    const sentAt = performance.now();
    peer.send(videoFrame(1, DISPLAY, [full], true));
    screen.apply(full);
    const ack1 = await peer.next('frameAck');
    const roundTripUs = (performance.now() - sentAt) * 1000;
    expect(ack1.sequence).toBe(1n);
    expect(ack1.captureTimeUs).toBe(1_000_001n);
    // Decode + paint time, measured by the viewer: more than nothing, less than the round trip.
    expect(ack1.paintTimeUs).toBeGreaterThan(0);
    expect(ack1.paintTimeUs).toBeLessThan(roundTripUs);
    expect(await h.page.evaluate(() => window.gcTest.canvasSize('frames'))).toEqual({
      width: 320,
      height: 200,
    });
    expect((await canvasPixels('frames', 0, 0, 320, 200)).equals(screen.rgba)).toBe(true);

    // A partial update: zstd tiles, a raw rectangle (odd size, so its payload sits unaligned
    // in the message) and a one-pixel rectangle at the bottom-right corner.
    const partial = [
      await rect(64, 0, bgraPattern(64, 64, 11), 64, 64),
      await rect(5, 100, bgraSolid(37, 13, [10, 200, 30]), 37, 13),
      await rect(250, 150, bgraPattern(33, 17, 5), 33, 17, Codec.RAW_BGRA),
      await rect(319, 199, bgraPattern(1, 1, 3), 1, 1),
    ];
    peer.send(videoFrame(2, DISPLAY, partial, false));
    for (const r of partial) screen.apply(r);
    expect((await peer.next('frameAck')).sequence).toBe(2n);
    expect((await canvasPixels('frames', 0, 0, 320, 200)).equals(screen.rgba)).toBe(true);

    // Scrolling: overlapping copies up and down (each reads the canvas as it was before it),
    // then the newly exposed lines.
    const scroll = [
      copyRect(0, 10, 320, 150, 0, 40),
      copyRect(10, 60, 200, 100, 10, 40),
      await rect(0, 160, bgraPattern(320, 30, 21), 320, 30),
    ];
    peer.send(videoFrame(3, DISPLAY, scroll, false));
    for (const r of scroll) screen.apply(r);
    expect((await peer.next('frameAck')).sequence).toBe(3n);
    expect((await canvasPixels('frames', 0, 0, 320, 200)).equals(screen.rgba)).toBe(true);

    const events = await h.page.evaluate(() => window.gcTest.events('frames'));
    expect(events.filter((e) => e.type === 'gc-resize')).toEqual([
      { type: 'gc-resize', width: 320, height: 200 },
    ]);

    const artifacts = join(dirname(fileURLToPath(import.meta.url)), '..', 'test-artifacts');
    mkdirSync(artifacts, { recursive: true });
    await h.page
      .locator('#frames')
      .screenshot({ path: join(artifacts, 'gc-viewer-frame.png'), timeout: 10_000 });
  });

  it('paints source pixels with an undefined alpha byte as opaque', async () => {
    const peer = await joinViewer('alpha');
    const r = await rect(0, 0, bgraPattern(16, 8, 99, 0), 16, 8);
    peer.send(videoFrame(1, { id: 'd1', width: 16, height: 8 }, [r], true));
    const screen = new ScreenModel(16, 8);
    screen.apply(r);
    await peer.next('frameAck');
    expect((await canvasPixels('alpha', 0, 0, 16, 8)).equals(screen.rgba)).toBe(true);
  });

  it('asks for a refresh on an unknown codec or a corrupt rectangle, reports it, and still acknowledges', async () => {
    const peer = await joinViewer('bad');
    const unknown = { ...(await rect(0, 0, bgraSolid(8, 8, [1, 2, 3]), 8, 8)), codec: 99 as Codec };
    peer.send(videoFrame(1, { id: 'd1', width: 64, height: 64 }, [unknown], true));
    expect((await peer.next('refreshRequest')).reason).toContain('unknown codec');
    expect((await peer.next('frameAck')).sequence).toBe(1n);

    const corrupt = {
      ...(await rect(0, 0, bgraSolid(8, 8, [1, 2, 3]), 8, 8)),
      payload: new Uint8Array([1, 2, 3]),
    };
    peer.send(videoFrame(2, { id: 'd1', width: 64, height: 64 }, [corrupt], false));
    expect((await peer.next('refreshRequest')).reason).toContain('decode');
    expect((await peer.next('frameAck')).sequence).toBe(2n);

    const outside = await rect(60, 60, bgraSolid(8, 8, [1, 2, 3]), 8, 8);
    peer.send(videoFrame(3, { id: 'd1', width: 64, height: 64 }, [outside], false));
    await peer.next('refreshRequest');
    expect((await peer.next('frameAck')).sequence).toBe(3n);

    peer.send(videoFrame(4, { id: 'd1', width: 64, height: 64 }, [copyRect(0, 0, 32, 32, 40, 0)], false));
    await peer.next('refreshRequest');
    expect((await peer.next('frameAck')).sequence).toBe(4n);

    const codes = (await h.page.evaluate(() => window.gcTest.events('bad')))
      .filter((e) => e.type === 'gc-error')
      .map((e) => e.code);
    expect(codes).toEqual([
      'GC_ERR_VIEWER_UNKNOWN_CODEC',
      'GC_ERR_VIEWER_DECODE',
      'GC_ERR_VIEWER_DECODE',
      'GC_ERR_VIEWER_DECODE',
    ]);
  });

  it('answers heartbeats with the same nonce and forwards relay errors as gc-error', async () => {
    const peer = await joinViewer('beat');
    peer.send({ payload: { case: 'heartbeat', value: { nonce: 4242n, reply: false } } });
    const reply = await peer.next('heartbeat');
    expect(reply).toMatchObject({ nonce: 4242n, reply: true });
    peer.send({ payload: { case: 'error', value: { code: 'GC_ERR_RELAY_SOMETHING', message: 'boom' } } });
    await h.page.waitForFunction(() => window.gcTest.events('beat').some((e) => e.type === 'gc-error'));
    const events = await h.page.evaluate(() => window.gcTest.events('beat'));
    expect(events).toContainEqual({ type: 'gc-error', code: 'GC_ERR_RELAY_SOMETHING', message: 'boom' });
  });

  it('draws the remote cursor over the screen with its hotspot on the pointer position', async () => {
    const peer = await joinViewer('cursor');
    const r = await rect(0, 0, bgraSolid(320, 200, [40, 40, 40]), 320, 200);
    peer.send(videoFrame(1, DISPLAY, [r], true));
    await peer.next('frameAck');
    const rgba = new Uint8Array(8 * 12 * 4).fill(255);
    peer.send({
      payload: { case: 'cursorShape', value: { serial: 1n, width: 8, height: 12, hotX: 3, hotY: 2, rgba } },
    });
    peer.send({
      payload: { case: 'cursorPosition', value: { displayId: 'd1', x: 100, y: 50, visible: true } },
    });
    await h.page.waitForFunction(() => window.gcTest.cursorBox('cursor').display === 'block');
    const canvas = await h.page.evaluate(() => window.gcTest.canvasBox('cursor'));
    const cursor = await h.page.evaluate(() => window.gcTest.cursorBox('cursor'));
    expect(cursor.left - canvas.left).toBeCloseTo(97, 1);
    expect(cursor.top - canvas.top).toBeCloseTo(48, 1);
    expect(cursor.width).toBeCloseTo(8, 1);
    expect(cursor.height).toBeCloseTo(12, 1);
    peer.send({
      payload: { case: 'cursorPosition', value: { displayId: 'd1', x: 100, y: 50, visible: false } },
    });
    await h.page.waitForFunction(() => window.gcTest.cursorBox('cursor').display === 'none');
  });

  it('reports displays and sends display selection and refresh requests', async () => {
    const peer = await joinViewer('displays');
    peer.send({
      payload: {
        case: 'displayList',
        value: {
          activeDisplayId: 'd1',
          displays: [
            { id: 'd1', name: 'Left', width: 320, height: 200, primary: true },
            { id: 'd2', name: 'Right', x: 320, width: 640, height: 480 },
          ],
        },
      },
    });
    await h.page.waitForFunction(() =>
      window.gcTest.events('displays').some((e) => e.type === 'gc-displays-changed'),
    );
    expect(await h.page.evaluate(() => window.gcTest.viewer('displays').displays.map((d) => d.id))).toEqual([
      'd1',
      'd2',
    ]);
    await h.page.evaluate(() => window.gcTest.viewer('displays').selectDisplay('d2'));
    expect((await peer.next('displaySelect')).displayId).toBe('d2');
    await h.page.locator('#displays').locator('[data-action=refresh]').click();
    expect(await peer.next('refreshRequest')).toMatchObject({ displayId: 'd1' });
  });

  it('closes its socket and stops its heartbeat when removed from the page', async () => {
    const peer = await joinViewer('removed');
    await h.page.waitForFunction(() => window.gcTest.status('removed').state === 'connected');
    await h.page.evaluate(() => window.gcTest.remove('removed'));
    expect((await peer.closed).code).toBe(1000);
  });
});
