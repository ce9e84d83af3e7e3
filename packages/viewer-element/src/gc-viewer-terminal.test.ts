// <gc-viewer mode="terminal"> in real headless Chromium against the test relay: output decoded
// and acknowledged, keys out as TerminalData, element resizes as TerminalResize, hostile output
// (1 MB line, invalid UTF-8, OSC 52, OSC 8) handled, exit and refusal shown.
import { Channel } from '@guruconnect/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestViewerPeer } from './test-support/viewer-harness.js';
import { ViewerHarness } from './test-support/viewer-harness.js';

let h: ViewerHarness;
const pageErrors: string[] = [];
let nonce = 1_000n;

beforeAll(async () => {
  h = await ViewerHarness.start();
  h.page.on('pageerror', (error) => pageErrors.push(String(error)));
  await h.browser
    .contexts()[0]!
    .grantPermissions(['clipboard-read', 'clipboard-write'], { origin: h.origin });
});
afterAll(async () => {
  await h?.close();
});

const enc = new TextEncoder();

function output(peer: TestViewerPeer, data: Uint8Array | string, channelId = 1): void {
  peer.send({
    payload: {
      case: 'terminalData',
      value: { channelId, data: typeof data === 'string' ? enc.encode(data) : data },
    },
  });
}

async function waitForText(id: string, pattern: RegExp): Promise<void> {
  await h.page.waitForFunction(({ id, source }) => new RegExp(source).test(window.gcTest.terminalText(id)), {
    id,
    source: pattern.source,
  });
}

/** Waits until the viewer has acknowledged `total` bytes of channel 1. */
async function acked(peer: TestViewerPeer, total: number): Promise<void> {
  for (;;) {
    const ack = await peer.next('terminalAck');
    expect(ack.channelId).toBe(1);
    if (ack.bytesConsumed === BigInt(total)) return;
    expect(ack.bytesConsumed).toBeLessThan(BigInt(total));
  }
}

async function openTerminal(id: string, width = 800, height = 450): Promise<TestViewerPeer> {
  const peer = await h.join({ id, width, height, mode: 'terminal', channels: [Channel.TERMINAL] });
  return peer;
}

describe('<gc-viewer mode="terminal">', () => {
  it('opens a terminal fitted to the element, renders UTF-8 output and acknowledges it', async () => {
    const peer = await openTerminal('t1');
    const open = await peer.next('terminalOpen');
    expect(open).toMatchObject({ channelId: 1, term: 'xterm-256color' });
    const size = await h.page.evaluate(() => window.gcTest.terminalSize('t1'));
    expect(size).toEqual({ cols: open.cols, rows: open.rows });
    expect(open.cols).toBeGreaterThan(60);
    expect(open.rows).toBeGreaterThan(15);
    const events = await h.page.evaluate(() => window.gcTest.events('t1'));
    expect(events.map((e) => e.type)).toContain('gc-connected');
    expect(await h.page.evaluate(() => window.gcTest.status('t1'))).toMatchObject({
      hidden: true,
      state: 'connected',
    });

    // "€" split across two messages still decodes.
    const euro = enc.encode('price: €5\r\n');
    output(peer, euro.subarray(0, 9));
    output(peer, euro.subarray(9));
    await waitForText('t1', /price: €5/);
    await acked(peer, euro.length);
  });

  it('sends typed keys and pastes as TerminalData', async () => {
    const peer = await openTerminal('t2');
    await peer.next('terminalOpen');
    await h.page.evaluate(() => window.gcTest.focusTerminal('t2'));
    await h.page.keyboard.type('ls é');
    await h.page.keyboard.press('Enter');
    await h.page.keyboard.press('Control+C');
    await peer.barrier(nonce++);
    const typed = peer
      .all('terminalData')
      .map((d) => new TextDecoder().decode(d.data))
      .join('');
    expect(typed).toBe('ls é\r\x03');

    // Paste: the clipboard's text goes in as one bracketed-or-plain paste, on the user's gesture.
    await h.page.evaluate(() => navigator.clipboard.writeText('pasted text'));
    await h.page.keyboard.press('Control+Shift+V');
    // Reading the clipboard is asynchronous in the page: wait for the paste to arrive.
    const sent = () =>
      peer
        .all('terminalData')
        .map((d) => new TextDecoder().decode(d.data))
        .join('');
    await expect.poll(sent, { timeout: 10_000 }).toMatch(/pasted text$/);
  });

  it('propagates a resize of the element as TerminalResize', async () => {
    const peer = await openTerminal('t3', 600, 300);
    const open = await peer.next('terminalOpen');
    await h.page.evaluate(() => window.gcTest.resize('t3', 1000, 600));
    const resize = await peer.next('terminalResize');
    expect(resize.channelId).toBe(1);
    expect(resize.cols).toBeGreaterThan(open.cols);
    expect(resize.rows).toBeGreaterThan(open.rows);
    const size = await h.page.evaluate(() => window.gcTest.terminalSize('t3'));
    expect(size).toEqual({ cols: resize.cols, rows: resize.rows });
  });

  it('survives a 1 MB single line and invalid UTF-8, and keeps acknowledging', async () => {
    const peer = await openTerminal('t4');
    await peer.next('terminalOpen');
    const errorsBefore = pageErrors.length;
    const line = enc.encode(`${'x'.repeat(1_048_576)}\r\n`);
    let sent = 0;
    for (let at = 0; at < line.length; at += 65_536) {
      output(peer, line.subarray(at, at + 65_536));
      sent += Math.min(65_536, line.length - at);
    }
    const bad = Uint8Array.from([0x61, 0xff, 0xfe, 0xc3, 0x28, 0x62, 0x0d, 0x0a]); // a, invalid, b
    output(peer, bad);
    sent += bad.length;
    await acked(peer, sent);
    await waitForText('t4', /a\uFFFD+\(b/);
    expect(pageErrors.slice(errorsBefore)).toEqual([]);
    // Still responsive.
    output(peer, 'after\r\n');
    await waitForText('t4', /after/);
  });

  it('never lets OSC 52 write the clipboard, and opens OSC 8 links only on a confirmed click', async () => {
    const peer = await openTerminal('t5');
    await peer.next('terminalOpen');
    await h.page.evaluate(() => navigator.clipboard.writeText('mine'));
    output(peer, `\x1b]52;c;${Buffer.from('rm -rf ~').toString('base64')}\x07after-osc52\r\n`);
    await waitForText('t5', /after-osc52/);
    expect(await h.page.evaluate(() => navigator.clipboard.readText())).toBe('mine');

    // A hyperlink at the top left: nothing happens without a click; the click asks first, and
    // only a confirmed one opens a new tab (without an opener).
    const target = `${h.origin}/linked-page`;
    output(peer, `\x1b[2J\x1b[H\x1b]8;;${target}\x07LINKTEXT\x1b]8;;\x07\r\n`);
    await waitForText('t5', /LINKTEXT/);
    const box = await h.page.evaluate(() => window.gcTest.terminalBox('t5'));
    const dialogs: string[] = [];
    let accept = false;
    h.page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void (accept ? dialog.accept() : dialog.dismiss());
    });
    const popups: string[] = [];
    h.page.context().on('page', (popup) => popups.push(popup.url()));
    const x = box.left + box.cellWidth * 3;
    const y = box.top + box.cellHeight / 2;
    await h.page.mouse.move(x, y);
    await h.page.mouse.move(x + 1, y);
    await new Promise((r) => setTimeout(r, 300));
    expect(dialogs).toEqual([]); // hovering does nothing
    await h.page.mouse.click(x + 1, y);
    await new Promise((r) => setTimeout(r, 300));
    expect(dialogs).toHaveLength(1);
    expect(dialogs[0]).toContain(target);
    expect(popups).toEqual([]);

    accept = true;
    const popup = h.page.context().waitForEvent('page');
    await h.page.mouse.click(x + 2, y);
    const opened = await popup;
    await opened.waitForLoadState();
    expect(dialogs).toHaveLength(2);
    expect(opened.url()).toBe(target);
    expect(await opened.evaluate(() => window.opener)).toBeNull();
    await opened.close();
  });

  it('shows the shell exiting and ends the session with its reason', async () => {
    const peer = await openTerminal('t6');
    await peer.next('terminalOpen');
    peer.send({
      payload: {
        case: 'terminalExit',
        value: { channelId: 1, exitCode: 0, signal: 0, reason: 'the shell exited (code 0)' },
      },
    });
    await h.page.waitForFunction(() => window.gcTest.status('t6').state === 'ended');
    expect(await h.page.evaluate(() => window.gcTest.status('t6'))).toMatchObject({
      text: 'The shell exited (code 0).',
      hidden: false,
    });
    const events = await h.page.evaluate(() => window.gcTest.events('t6'));
    expect(events.find((e) => e.type === 'gc-terminal-exit')).toMatchObject({
      channelId: 1,
      exitCode: 0,
      reason: 'the shell exited (code 0)',
    });
    await waitForText('t6', /\[the shell exited \(code 0\)\]/);
  });

  it('closes the socket and disposes the terminal when removed from the page', async () => {
    const peer = await openTerminal('t8');
    await peer.next('terminalOpen');
    const disposed = await h.page.evaluate(() => {
      const el = window.gcTest.viewer('t8');
      const rows = el.shadowRoot!.querySelectorAll('.xterm').length;
      el.remove();
      return { rows, terminal: el.terminal, left: el.shadowRoot!.querySelectorAll('.xterm').length };
    });
    expect(disposed).toEqual({ rows: 1, terminal: undefined, left: 0 });
    expect((await peer.closed).code).toBe(1000);
  });

  it('refuses to open a terminal the token does not grant', async () => {
    const peer = await h.join({ id: 't7', mode: 'terminal', channels: [Channel.VIEW] });
    await h.page.waitForFunction(() => window.gcTest.status('t7').state === 'ended');
    expect((await h.page.evaluate(() => window.gcTest.status('t7'))).text).toBe(
      'This session does not allow a terminal.',
    );
    const events = await h.page.evaluate(() => window.gcTest.events('t7'));
    expect(events.find((e) => e.type === 'gc-error')).toMatchObject({ code: 'GC_ERR_VIEWER_TERMINAL' });
    expect(peer.all('terminalOpen')).toEqual([]);
  });

  it('opens a terminal pane beside the screen in desktop mode when the token grants it', async () => {
    const peer = await h.join({ id: 'd1', channels: [Channel.VIEW, Channel.CONTROL, Channel.TERMINAL] });
    const button = h.page.locator('#d1 >> [data-action=terminal]');
    await button.click();
    const open = await peer.next('terminalOpen');
    expect(open.channelId).toBe(1);
    output(peer, 'pane ok\r\n');
    await waitForText('d1', /pane ok/);
    const plain = await h.join({ id: 'd2', channels: [Channel.VIEW, Channel.CONTROL] });
    await h.page.waitForFunction(() => window.gcTest.status('d2').state === 'connected');
    expect(await h.page.locator('#d2 >> [data-action=terminal]').count()).toBe(0);
    expect(plain.all('terminalOpen')).toEqual([]);
  });
});
