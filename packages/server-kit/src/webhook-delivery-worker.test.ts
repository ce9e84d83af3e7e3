import { createHook } from 'node:async_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from './clock.js';
import { openDatabase } from './db/open-database.js';
import type { Caller } from './kit-context.js';
import type { LogRecord } from './logger.js';
import { createServerKit } from './server-kit.js';
import { DRIVERS, type Driver } from './test-support/test-databases.js';
import { createTestKit, type TestKit } from './test-support/test-kit.js';
import { deliveryStates, integrationOf, runClock, settledStates } from './test-support/webhook-fixtures.js';
import { type ReceivedWebhook, sleep, WebhookReceiver, waitUntil } from './test-support/webhook-receiver.js';
import type { WebhookEventBody } from './webhook-events.js';
import { verifyWebhookSignature } from './webhook-signature.js';

const logs: LogRecord[] = [];
const capture = {
  info: (r: LogRecord) => logs.push(r),
  warn: (r: LogRecord) => logs.push(r),
  error: (r: LogRecord) => logs.push(r),
};

function expectSigned(received: ReceivedWebhook[], secret: string, now: Date): void {
  for (const r of received) {
    const body = JSON.parse(r.body) as WebhookEventBody;
    expect(body.id).toBe(r.id);
    expect(r.contentType).toBe('application/json');
    expect(r.signature).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(
      verifyWebhookSignature({ secret, timestamp: r.timestamp, body: r.body, signature: r.signature, now }),
    ).toBe(true);
  }
}

describe.each(DRIVERS)('webhook delivery on %s', (driver: Driver) => {
  let k: TestKit;
  let rmm: { caller: Caller; integrationId: string };
  const receivers: WebhookReceiver[] = [];

  async function receiver(): Promise<WebhookReceiver> {
    const r = new WebhookReceiver();
    receivers.push(r);
    await r.start();
    return r;
  }

  beforeAll(async () => {
    k = await createTestKit(driver, { webhookPollIntervalMs: 50, logger: capture });
    rmm = await integrationOf(k);
  });
  afterAll(async () => {
    await k.dispose();
    await Promise.all(receivers.map((r) => r.close()));
  });

  it('POSTs the event signed with the webhook secret; receivers can verify it', async () => {
    const r = await receiver();
    const { webhook, signingSecret } = await k.kit.webhooks.register(rmm.caller, { url: r.url });
    const [id] = await k.kit.webhooks.emit({
      integrationId: rmm.integrationId,
      type: 'consent.granted',
      sessionId: '00000000-0000-4000-8000-0000000000aa',
      data: { reason: 'ok' },
    });
    await waitUntil(() => r.delivered.length === 1, 5000, 'the delivery');
    const got = r.received[0]!;
    expect(got.path).toBe('/hooks');
    expect(got.id).toBe(id);
    expect(Number(got.timestamp)).toBe(Math.floor(k.clock.now().getTime() / 1000));
    expect(JSON.parse(got.body)).toEqual({
      id,
      type: 'consent.granted',
      occurredAt: expect.any(String),
      sessionId: '00000000-0000-4000-8000-0000000000aa',
      data: { reason: 'ok' },
    });
    expectSigned([got], signingSecret, k.clock.now());
    const now = k.clock.now();
    const base = { timestamp: got.timestamp, body: got.body, signature: got.signature, now };
    const other = await k.kit.webhooks.register(rmm.caller, { url: `${r.url}/other` });
    expect(verifyWebhookSignature({ ...base, secret: other.signingSecret })).toBe(false);
    expect(
      verifyWebhookSignature({ ...base, secret: signingSecret, body: got.body.replace('ok', 'no') }),
    ).toBe(false);
    expect(
      verifyWebhookSignature({ ...base, secret: signingSecret, timestamp: Number(got.timestamp) + 1 }),
    ).toBe(false);
    expect(verifyWebhookSignature({ ...base, secret: signingSecret, signature: 'v1=00' })).toBe(false);
    expect(verifyWebhookSignature({ ...base, secret: signingSecret, signature: 'garbage' })).toBe(false);
    expect(
      verifyWebhookSignature({ ...base, secret: signingSecret, signature: `v0=1,${got.signature}` }),
    ).toBe(true);
    expect(
      verifyWebhookSignature({ ...base, secret: signingSecret, body: new TextEncoder().encode(got.body) }),
    ).toBe(true);
    // Replay protection: outside the tolerance the same valid signature is refused.
    const later = new Date(now.getTime() + 301_000);
    expect(verifyWebhookSignature({ ...base, secret: signingSecret, now: later })).toBe(false);
    expect(verifyWebhookSignature({ ...base, secret: signingSecret, now: later, toleranceSeconds: 0 })).toBe(
      true,
    );
    const [state] = await settledStates(k, [id!]);
    expect(state).toMatchObject({ attempts: 1, failed_at: null });
    expect(state?.delivered_at).not.toBeNull();
    await k.kit.webhooks.delete(rmm.caller, webhook.webhookId);
    await k.kit.webhooks.delete(rmm.caller, other.webhook.webhookId);
  });

  it('survives the receiver being down for 30 s (kit clock): delivered once, in order, signed', async () => {
    const r = await receiver();
    r.status = 503;
    const { webhook, signingSecret } = await k.kit.webhooks.register(rmm.caller, { url: r.url });
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      ids.push(
        ...(await k.kit.webhooks.emit({
          integrationId: rmm.integrationId,
          type: 'session.started',
          sessionId: `00000000-0000-4000-8000-00000000000${n}`,
          data: { n },
        })),
      );
    }
    expect(ids).toHaveLength(3);
    await waitUntil(() => r.received.length >= 1, 5000, 'the first attempt');
    await runClock(k, 30_000);
    const outage = [...r.received];
    // Strict order: while the first is failing, the second and third are never sent.
    expect(outage.length).toBeGreaterThanOrEqual(4);
    expect(new Set(outage.map((x) => x.id))).toEqual(new Set([ids[0]]));
    expect(outage.every((x) => x.status === 503)).toBe(true);

    r.status = 200;
    await runClock(k, 120_000, () => r.delivered.length === 3);
    expect(r.delivered.map((x) => x.id)).toEqual(ids);
    expect(r.received.slice(outage.length).map((x) => x.id)).toEqual(ids); // nothing sent twice
    expect(r.delivered.map((x) => (JSON.parse(x.body) as WebhookEventBody).data)).toEqual([
      { n: 1 },
      { n: 2 },
      { n: 3 },
    ]);
    const downSeconds = Number(r.delivered[0]!.timestamp) - Number(outage[0]!.timestamp);
    expect(downSeconds).toBeGreaterThanOrEqual(30);
    expectSigned(r.received, signingSecret, k.clock.now());
    const states = await settledStates(k, ids);
    expect(states.map((s) => s.attempts)).toEqual([outage.length + 1, 1, 1]);
    expect(states.every((s) => s.delivered_at !== null && s.failed_at === null)).toBe(true);
    expect(states[0]?.last_error).toBe('HTTP 503');
    // The failures were logged, without the secret or any signature.
    const logged = JSON.stringify(logs);
    expect(logged).toContain('webhook delivery failed');
    expect(logged).not.toContain(signingSecret);
    for (const x of r.received) expect(logged).not.toContain(x.signature.slice(3));
    await k.kit.webhooks.delete(rmm.caller, webhook.webhookId);
  });

  it('deleting a webhook stops its deliveries', async () => {
    const r = await receiver();
    r.status = 503;
    const { webhook } = await k.kit.webhooks.register(rmm.caller, { url: r.url });
    const ids = [
      ...(await k.kit.webhooks.emit({ integrationId: rmm.integrationId, type: 'viewer.joined', data: {} })),
      ...(await k.kit.webhooks.emit({ integrationId: rmm.integrationId, type: 'viewer.left', data: {} })),
    ];
    await waitUntil(() => r.received.length >= 1, 5000, 'the first attempt');
    await k.kit.webhooks.delete(rmm.caller, webhook.webhookId);
    const seen = r.received.length;
    r.status = 200;
    await runClock(k, 90_000);
    expect(r.received).toHaveLength(seen);
    const states = await deliveryStates(k, ids);
    expect(states.map((s) => [s.delivered_at, s.last_error])).toEqual([
      [null, 'webhook deleted'],
      [null, 'webhook deleted'],
    ]);
  });

  it('gives up after the max age and moves on to the next delivery', async () => {
    const r = await receiver();
    r.status = 500;
    const { webhook } = await k.kit.webhooks.register(rmm.caller, { url: r.url });
    const [doomed] = await k.kit.webhooks.emit({
      integrationId: rmm.integrationId,
      type: 'agent.connected',
      data: {},
    });
    await waitUntil(() => r.received.length >= 1, 5000, 'the first attempt');
    k.clock.advance(86_400_000);
    await runClock(k, 120_000, () => r.received.length >= 2);
    const [state] = await settledStates(k, [doomed!]);
    expect(state?.failed_at).not.toBeNull();
    expect(state).toMatchObject({ delivered_at: null, last_error: 'HTTP 500' });
    r.status = 200;
    const [next] = await k.kit.webhooks.emit({
      integrationId: rmm.integrationId,
      type: 'agent.disconnected',
      data: {},
    });
    await waitUntil(() => r.delivered.length === 1, 5000, 'the next delivery');
    expect(r.delivered[0]?.id).toBe(next);
    expect(JSON.stringify(logs)).toContain('webhook delivery given up');
    // The receiver has it; wait until the worker has also recorded it, before moving the clock
    // (otherwise delivered_at is stamped after the jump and is not yet past the retention).
    const [recorded] = await settledStates(k, [next!]);
    expect(recorded?.delivered_at).not.toBeNull();
    // Settled deliveries are pruned after the 7-day retention.
    k.clock.advance(8 * 86_400_000);
    let left = await deliveryStates(k, [doomed!, next!]);
    // The worker prunes on its next round; allow a loaded machine 15 s to get there.
    for (let i = 0; i < 750 && left.length > 0; i++) {
      await sleep(20);
      left = await deliveryStates(k, [doomed!, next!]);
    }
    expect(left).toEqual([]);
    await k.kit.webhooks.delete(rmm.caller, webhook.webhookId);
  });

  it('two kit instances on one database never both send a delivery', async () => {
    const r = await receiver();
    r.delayMs = 30;
    const secondDb = driver === 'pglite' ? k.t.database : await openDatabase({ databaseUrl: k.t.location });
    const second = await createServerKit({
      database: secondDb,
      clock: k.clock,
      reconcileOnStart: false,
      reapIntervalMs: 0,
      webhookPollIntervalMs: 50,
    });
    try {
      const hooks = [
        await k.kit.webhooks.register(rmm.caller, { url: `${r.url}/a` }),
        await k.kit.webhooks.register(rmm.caller, { url: `${r.url}/b` }),
      ];
      const ids: string[] = [];
      for (let n = 0; n < 15; n++) {
        const kit = n % 2 === 0 ? k.kit : second;
        ids.push(
          ...(await kit.webhooks.emit({
            integrationId: rmm.integrationId,
            type: 'session.ended',
            data: { n },
          })),
        );
      }
      await waitUntil(() => r.received.length >= 30, 20_000, '30 deliveries');
      await sleep(300);
      expect(r.received).toHaveLength(30);
      expect(new Set(r.received.map((x) => x.id)).size).toBe(30);
      for (const path of ['/hooks/a', '/hooks/b']) {
        const order = r.received
          .filter((x) => x.path === path)
          .map((x) => (JSON.parse(x.body) as WebhookEventBody).data.n);
        expect(order, path).toEqual([...Array(15).keys()]);
      }
      const states = await settledStates(k, ids);
      expect(states.every((s) => s.attempts === 1 && s.delivered_at !== null)).toBe(true);
      for (const h of hooks) await k.kit.webhooks.delete(rmm.caller, h.webhook.webhookId);
    } finally {
      await second.close();
      if (secondDb !== k.t.database) await secondDb.close();
    }
  });
});

describe.each(DRIVERS)('the webhook worker on %s', (driver: Driver) => {
  it('stops in kit.close(): the attempt in flight is aborted, no timer is left, nothing more is sent', async () => {
    const live = new Map<number, string>();
    const limit = Error.stackTraceLimit;
    const hook = createHook({
      init(asyncId, type) {
        if (type !== 'Timeout') return;
        Error.stackTraceLimit = 30;
        const stack = new Error('timer').stack ?? '';
        Error.stackTraceLimit = limit;
        if (/webhook-(delivery-worker|sender)\.ts/.test(stack)) live.set(asyncId, stack);
      },
      destroy(asyncId) {
        live.delete(asyncId);
      },
    }).enable();
    const k = await createTestKit(driver, { webhookPollIntervalMs: 50 });
    const r = new WebhookReceiver();
    try {
      await r.start();
      r.delayMs = 3000;
      const rmm = await integrationOf(k);
      await k.kit.webhooks.register(rmm.caller, { url: r.url });
      const [id] = await k.kit.webhooks.emit({
        integrationId: rmm.integrationId,
        type: 'session.started',
        data: {},
      });
      await sleep(300);
      expect(live.size).toBeGreaterThan(0);
      const started = Date.now();
      await k.kit.close();
      expect(Date.now() - started).toBeLessThan(2000);
      await sleep(50);
      expect([...live.values()]).toEqual([]);
      const [state] = await deliveryStates(k, [id!]);
      expect(state).toMatchObject({ delivered_at: null, last_error: 'interrupted by shutdown' });
      r.delayMs = 0;
      const before = r.received.length;
      await k.kit.webhooks.emit({ integrationId: rmm.integrationId, type: 'session.ended', data: {} });
      await sleep(500);
      // The aborted request may still land at the receiver (at-least-once); nothing new is sent.
      expect(r.received.length - before).toBeLessThanOrEqual(1);
      expect(r.received.filter((x) => x.id !== id)).toEqual([]);
    } finally {
      hook.disable();
      await r.close();
      await k.dispose();
    }
  });
});

describe('webhook delivery survives a real 30 s outage (PostgreSQL, wall clock)', () => {
  it('connects refused for 30 s, then every event once, in order, signed', { timeout: 90_000 }, async () => {
    const k = await createTestKit('postgres', {
      clock: systemClock,
      webhookPollIntervalMs: 100,
      // Shorter cap than the 60 s default so the test ends seconds after the receiver returns.
      webhookRetryMaxMs: 4000,
    });
    const r = new WebhookReceiver();
    try {
      await r.start();
      const url = r.url;
      await r.stop();
      const rmm = await integrationOf(k);
      const { signingSecret } = await k.kit.webhooks.register(rmm.caller, { url });
      const downAt = Date.now();
      const ids: string[] = [];
      for (const n of [1, 2, 3]) {
        ids.push(
          ...(await k.kit.webhooks.emit({
            integrationId: rmm.integrationId,
            type: 'session.ended',
            data: { n },
          })),
        );
        await sleep(1000);
      }
      await sleep(30_000 - (Date.now() - downAt));
      const [during] = await deliveryStates(k, [ids[0]!]);
      expect(during?.attempts).toBeGreaterThanOrEqual(5);
      expect(during?.last_error).toMatch(/ECONNREFUSED/);
      await r.start();
      expect(r.url).toBe(url);
      await waitUntil(() => r.delivered.length === 3, 15_000, 'three deliveries after the outage');
      await sleep(500);
      expect(r.received.map((x) => x.id)).toEqual(ids);
      expectSigned(r.received, signingSecret, new Date());
      const states = await settledStates(k, ids);
      expect(states.map((s) => s.attempts.toString())).toEqual([expect.any(String), '1', '1']);
      expect(states.every((s) => s.delivered_at !== null)).toBe(true);
    } finally {
      await r.close();
      await k.dispose();
    }
  });
});
