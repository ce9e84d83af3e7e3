// <gc-viewer> connection states in real headless Chromium: every close reason of the protocol's
// table, close notices, consent, reconnects with fresh tokens, heartbeat timeout, bad input.
import { CLOSE_CODES, CloseReason, closeEntryForReason, SessionState_State } from '@guruconnect/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ViewerHarness } from './test-support/viewer-harness.js';
import type { RecordedEvent } from './test-support/viewer-test-page.js';

let h: ViewerHarness;
beforeAll(async () => {
  h = await ViewerHarness.start();
});
afterAll(async () => {
  await h?.close();
});

function status(id: string) {
  return h.page.evaluate((id) => window.gcTest.status(id), id);
}

function events(id: string, type?: string): Promise<RecordedEvent[]> {
  return h.page
    .evaluate((id) => window.gcTest.events(id), id)
    .then((all) => (type === undefined ? all : all.filter((e) => e.type === type)));
}

function until(id: string, state: string): Promise<unknown> {
  return h.page.waitForFunction(([id, state]) => window.gcTest.status(id).state === state, [
    id,
    state,
  ] as const);
}

/** What the status shows once a close has ended the session (no reconnect promised). */
function endedMessage(message: string): string {
  return message.replace(/\s*Reconnecting…$/, '');
}

describe('<gc-viewer> close reasons and connection states', () => {
  it('shows the message of every close reason in the table and fires gc-disconnected with its code', async () => {
    for (const entry of CLOSE_CODES) {
      const id = `close-${entry.code}`;
      const peer = await h.join({ id });
      await until(id, 'connected');
      peer.socket.close(entry.code);
      await until(id, 'ended');
      expect(await status(id)).toEqual({ text: endedMessage(entry.message), hidden: false, state: 'ended' });
      expect(await events(id, 'gc-disconnected')).toEqual([
        {
          type: 'gc-disconnected',
          code: entry.code,
          reason: entry.name,
          message: endedMessage(entry.message),
          willRetry: false,
        },
      ]);
    }
  });

  it('prefers the reason of a close notice over a rewritten close code', async () => {
    const peer = await h.join({ id: 'notice' });
    await until('notice', 'connected');
    peer.send({
      payload: { case: 'closeNotice', value: { reason: CloseReason.SESSION_ENDED, message: 'bye' } },
    });
    peer.socket.close(1000);
    await until('notice', 'ended');
    expect((await status('notice')).text).toBe('The session has ended.');
    expect((await events('notice', 'gc-disconnected'))[0]).toMatchObject({
      code: 4005,
      reason: 'session_ended',
    });
  });

  it('walks the consent states: pending, granted; and pending, declined', async () => {
    const peer = await h.join({ id: 'consent-yes', active: false });
    peer.send({ payload: { case: 'sessionState', value: { state: SessionState_State.AWAITING_CONSENT } } });
    await until('consent-yes', 'awaiting-consent');
    expect((await status('consent-yes')).text).toBe('Waiting for the user to accept the connection…');
    peer.send({ payload: { case: 'sessionState', value: { state: SessionState_State.ACTIVE } } });
    await until('consent-yes', 'connected');
    expect((await events('consent-yes')).map((e) => e.type)).toEqual([
      'gc-consent-pending',
      'gc-consent-granted',
      'gc-connected',
    ]);

    const declined = await h.join({ id: 'consent-no', active: false });
    declined.send({
      payload: { case: 'sessionState', value: { state: SessionState_State.AWAITING_CONSENT } },
    });
    await until('consent-no', 'awaiting-consent');
    declined.socket.close(4006);
    await until('consent-no', 'ended');
    expect((await status('consent-no')).text).toBe('The user declined the connection.');
    expect((await events('consent-no')).map((e) => e.type)).toEqual([
      'gc-consent-pending',
      'gc-consent-declined',
      'gc-disconnected',
    ]);
    expect((await events('consent-no', 'gc-consent-declined'))[0]).toMatchObject({ code: 4006 });
  });

  it('says when it waits for the remote machine, and when the machine drops mid-session', async () => {
    const peer = await h.join({ id: 'agent', active: false });
    peer.send({ payload: { case: 'sessionState', value: { state: SessionState_State.WAITING_FOR_AGENT } } });
    await h.page.waitForFunction(() =>
      window.gcTest.status('agent').text.startsWith('Waiting for the remote'),
    );
    expect(await status('agent')).toMatchObject({ state: 'connecting', hidden: false });
    peer.send({ payload: { case: 'sessionState', value: { state: SessionState_State.ACTIVE } } });
    await until('agent', 'connected');
    peer.send({ payload: { case: 'sessionState', value: { state: SessionState_State.AGENT_LOST } } });
    await h.page.waitForFunction(() => !window.gcTest.status('agent').hidden);
    expect((await status('agent')).text).toBe(
      'The remote machine went offline. Waiting for it to come back…',
    );
  });

  it('reconnects with a fresh token from tokenProvider when the close reason allows it', async () => {
    const first = await h.join({ id: 'retry', tokenPrefix: 'fresh' });
    await until('retry', 'connected');
    first.socket.close(1001);
    await until('retry', 'reconnecting');
    expect((await status('retry')).text).toBe(closeEntryForReason(CloseReason.SERVER_SHUTDOWN).message);
    expect((await events('retry', 'gc-disconnected'))[0]).toMatchObject({ code: 1001, willRetry: true });

    const second = await h.nextPeer();
    expect((await second.next('viewerHello')).token).toBe('fresh-1');
    second.send({ payload: { case: 'helloResult', value: { viewerId: 'v2', channels: [] } } });
    second.send({ payload: { case: 'sessionState', value: { state: SessionState_State.ACTIVE } } });
    await until('retry', 'connected');

    // A reason that does not allow retrying ends it, provider or not.
    second.socket.close(4005);
    await until('retry', 'ended');
    expect((await status('retry')).text).toBe('The session has ended.');
  });

  it('gives up after maxReconnectAttempts failed reconnects', async () => {
    const first = await h.join({ id: 'giveup', tokenPrefix: 'again', maxReconnectAttempts: 2 });
    await until('giveup', 'connected');
    first.socket.close(1011);
    for (const token of ['again-1', 'again-2']) {
      const peer = await h.nextPeer();
      expect((await peer.next('viewerHello')).token).toBe(token);
      peer.socket.close(1011);
    }
    await until('giveup', 'ended');
    expect((await status('giveup')).text).toBe('The server hit an internal error.');
    expect((await events('giveup', 'gc-disconnected')).map((e) => e.willRetry)).toEqual([true, true, false]);
  });

  it('closes with 4010 when the relay stops answering heartbeats', async () => {
    await h.page.evaluate(
      (server) => window.gcTest.create({ id: 'silent', server, session: 's', token: 'tok-silent' }),
      h.origin,
    );
    const peer = await h.nextPeer();
    await peer.next('viewerHello');
    peer.send({ payload: { case: 'helloResult', value: { channels: [], heartbeatIntervalMs: 100 } } });
    peer.send({ payload: { case: 'sessionState', value: { state: SessionState_State.ACTIVE } } });
    expect((await peer.next('heartbeat')).reply).toBe(false);
    expect((await peer.closed).code).toBe(4010);
    await until('silent', 'ended');
    expect((await status('silent')).text).toBe('The connection stopped responding.');
  });

  it('reports a server it cannot reach, a missing configuration and invalid bytes', async () => {
    await h.page.evaluate(() =>
      window.gcTest.create({ id: 'nowhere', server: 'http://127.0.0.1:9', session: 's', token: 't' }),
    );
    await until('nowhere', 'ended');
    expect(await status('nowhere')).toMatchObject({ text: 'Could not reach the server.' });
    expect((await events('nowhere', 'gc-disconnected'))[0]).toMatchObject({
      code: 1006,
      reason: 'unreachable',
    });

    await h.page.evaluate(() =>
      window.gcTest.create({ id: 'unset', server: 'ftp://x', session: 's', token: 't' }),
    );
    await until('unset', 'ended');
    expect((await events('unset', 'gc-error'))[0]).toMatchObject({ code: 'GC_ERR_VIEWER_CONFIG' });

    const peer = await h.join({ id: 'garbage' });
    await until('garbage', 'connected');
    peer.socket.send(Buffer.from([0xff, 0xff, 0xff]));
    await until('garbage', 'ended');
    expect((await events('garbage', 'gc-error'))[0]).toMatchObject({ code: 'GC_ERR_VIEWER_PROTOCOL' });
    expect((await status('garbage')).text).toBe('The peer sent a malformed message.');
    expect((await peer.closed).code).toBe(1000);
  });

  it('refuses screen messages before the hello result', async () => {
    await h.page.evaluate(
      (server) => window.gcTest.create({ id: 'early', server, session: 's', token: 'tok-early' }),
      h.origin,
    );
    const peer = await h.nextPeer();
    await peer.next('viewerHello');
    peer.send({ payload: { case: 'sessionState', value: { state: SessionState_State.ACTIVE } } });
    await until('early', 'ended');
    expect((await events('early', 'gc-error'))[0]).toMatchObject({ code: 'GC_ERR_VIEWER_PROTOCOL' });
    expect(await events('early', 'gc-connected')).toEqual([]);
  });

  it('will not reuse a spent single-use token', async () => {
    const peer = await h.join({ id: 'spent' });
    await until('spent', 'connected');
    peer.socket.close(1000);
    await until('spent', 'ended');
    const sockets = h.peers.length;
    await h.page.evaluate(() => window.gcTest.viewer('spent').connect());
    await h.page.waitForFunction(() => window.gcTest.events('spent').some((e) => e.type === 'gc-error'));
    expect((await events('spent', 'gc-error'))[0]).toMatchObject({ code: 'GC_ERR_VIEWER_CONFIG' });
    expect(h.peers.length).toBe(sockets);
  });
});
