import { Channel, CloseReason, SessionMode, SessionState_State } from '@guruconnect/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from './kit-context.js';
import { ServerKitErrorCode } from './server-kit-error.js';
import { DRIVERS } from './test-support/test-databases.js';
import { createTestKit, type TestKit } from './test-support/test-kit.js';
import { MAX_WEBHOOKS_PER_INTEGRATION } from './webhooks-service.js';

interface DeliveryRow {
  id: string;
  webhook_id: string;
  sequence: string;
  event_type: string;
  session_id: string | null;
  payload: Record<string, unknown>;
  failed_at: Date | null;
  last_error: string | null;
}

describe.each(DRIVERS)('webhooks service on %s', (driver) => {
  let k: TestKit;
  let a: Caller;
  let b: Caller;

  async function integration(): Promise<Caller> {
    const created = await k.kit.keys.createIntegrationKey(k.admin, { name: 'rmm' });
    return { principal: await k.kit.auth.authenticate(created.secret) };
  }
  const deliveries = (webhookId: string) =>
    k.t.database.query<DeliveryRow>(
      'select id, webhook_id, sequence::text as sequence, event_type, session_id, payload, failed_at, last_error from webhook_deliveries where webhook_id = $1 order by sequence',
      [webhookId],
    );

  beforeAll(async () => {
    k = await createTestKit(driver);
    a = await integration();
    b = await integration();
  });
  afterAll(async () => {
    await k.dispose();
  });

  it('registers for integrations only; each integration sees and deletes only its own', async () => {
    const { webhook, signingSecret } = await k.kit.webhooks.register(a, {
      url: 'https://rmm.example/hooks?x=1',
      eventTypes: ['session.started', 'session.ended', 'session.started'],
    });
    expect(signingSecret).toMatch(/^gwh_[0-9A-Za-z]{33}$/);
    expect(webhook).toMatchObject({
      url: 'https://rmm.example/hooks?x=1',
      eventTypes: ['session.started', 'session.ended'],
    });
    expect(JSON.stringify(webhook)).not.toContain(signingSecret);

    const listedA = await k.kit.webhooks.list(a);
    expect(listedA.map((w) => w.webhookId)).toEqual([webhook.webhookId]);
    expect(JSON.stringify(listedA)).not.toContain('gwh_');
    expect(await k.kit.webhooks.list(b)).toEqual([]);
    await expect(k.kit.webhooks.delete(b, webhook.webhookId)).rejects.toMatchObject({
      code: ServerKitErrorCode.NotFound,
    });
    await expect(
      k.kit.webhooks.register(k.admin, { url: 'https://console.example/hooks' }),
    ).rejects.toMatchObject({ code: ServerKitErrorCode.PermissionDenied });
    await expect(k.kit.webhooks.list(k.admin)).rejects.toMatchObject({
      code: ServerKitErrorCode.PermissionDenied,
    });
    await expect(k.kit.webhooks.delete(k.admin, webhook.webhookId)).rejects.toMatchObject({
      code: ServerKitErrorCode.PermissionDenied,
    });

    // Still A's, still live; then A deletes it and it is gone (a second delete is NotFound).
    expect(await k.kit.webhooks.list(a)).toHaveLength(1);
    await k.kit.webhooks.delete(a, webhook.webhookId);
    expect(await k.kit.webhooks.list(a)).toEqual([]);
    await expect(k.kit.webhooks.delete(a, webhook.webhookId)).rejects.toMatchObject({
      code: ServerKitErrorCode.NotFound,
    });
    const [stored] = await k.t.database.query<{ secret: string; deleted_at: Date | null }>(
      'select secret, deleted_at from webhooks where id = $1',
      [webhook.webhookId],
    );
    expect(stored).toMatchObject({ secret: '' });
    expect(stored?.deleted_at).not.toBeNull();

    // The audit trail names the webhook and the receiver's origin, never the secret or the query.
    const audit = await k.kit.audit.query({ target: `webhook:${webhook.webhookId}` });
    expect(audit.events.map((e) => e.type).sort()).toEqual(['webhook.deleted', 'webhook.registered']);
    expect(JSON.stringify(audit.events)).not.toContain(signingSecret);
    expect(JSON.stringify(audit.events)).not.toContain('x=1');
  });

  it('validates the URL and event types, and allows at most 20 webhooks per integration', async () => {
    const c = await integration();
    for (const url of [
      'ftp://rmm.example/hooks',
      'javascript:alert(1)',
      'not a url',
      '',
      `https://rmm.example/${'a'.repeat(2048)}`,
      'https://user:pass@rmm.example/hooks',
    ]) {
      await expect(k.kit.webhooks.register(c, { url }), url).rejects.toMatchObject({
        code: ServerKitErrorCode.InvalidArgument,
      });
    }
    await expect(
      k.kit.webhooks.register(c, { url: 'https://rmm.example/h', eventTypes: ['session.exploded'] }),
    ).rejects.toMatchObject({ code: ServerKitErrorCode.InvalidArgument });
    const longest = `http://rmm.example/${'a'.repeat(2048 - 'http://rmm.example/'.length)}`;
    expect(longest).toHaveLength(2048);
    await k.kit.webhooks.register(c, { url: longest });
    const more = Array.from({ length: MAX_WEBHOOKS_PER_INTEGRATION - 1 }, (_, i) =>
      k.kit.webhooks.register(c, { url: `https://rmm.example/h/${i}` }),
    );
    await Promise.all(more);
    await expect(k.kit.webhooks.register(c, { url: 'https://rmm.example/21' })).rejects.toMatchObject({
      code: ServerKitErrorCode.FailedPrecondition,
    });
    // Another integration has its own budget; deleting one frees a slot.
    await k.kit.webhooks.register(b, { url: 'https://b.example/hooks' });
    const [first] = await k.kit.webhooks.list(c);
    await k.kit.webhooks.delete(c, first!.webhookId);
    await k.kit.webhooks.register(c, { url: 'https://rmm.example/21' });
    expect(await k.kit.webhooks.list(c)).toHaveLength(MAX_WEBHOOKS_PER_INTEGRATION);
  });

  it('emit enqueues one delivery per subscribed webhook of that integration, sequenced', async () => {
    const d = await integration();
    const e = await integration();
    const all = await k.kit.webhooks.register(d, { url: 'https://d.example/all' });
    const ended = await k.kit.webhooks.register(d, {
      url: 'https://d.example/ended',
      eventTypes: ['session.ended'],
    });
    const other = await k.kit.webhooks.register(e, { url: 'https://e.example/all' });
    const integrationId = d.principal.kind === 'integration' ? d.principal.integrationId : '';
    const first = await k.kit.webhooks.emit({
      integrationId,
      type: 'file_transfer.completed',
      sessionId: '00000000-0000-4000-8000-000000000001',
      data: { transferId: 't1', fileName: 'a.txt', sizeBytes: 3, direction: 'upload' },
    });
    expect(first).toHaveLength(1);
    const second = await k.kit.webhooks.emit({ integrationId, type: 'session.ended', data: { n: 2 } });
    expect(second).toHaveLength(2);
    const rows = await deliveries(all.webhook.webhookId);
    expect(rows.map((r) => [r.event_type, r.sequence])).toEqual([
      ['file_transfer.completed', '1'],
      ['session.ended', '2'],
    ]);
    expect(rows[0]).toMatchObject({
      id: first[0],
      session_id: '00000000-0000-4000-8000-000000000001',
      payload: { transferId: 't1', fileName: 'a.txt', sizeBytes: 3, direction: 'upload' },
    });
    expect((await deliveries(ended.webhook.webhookId)).map((r) => r.sequence)).toEqual(['1']);
    expect(await deliveries(other.webhook.webhookId)).toEqual([]);
    await expect(
      k.kit.webhooks.emit({ integrationId, type: 'nope' as 'session.ended', data: {} }),
    ).rejects.toMatchObject({ code: ServerKitErrorCode.InvalidArgument });
    await expect(
      k.kit.webhooks.emit({ integrationId, type: 'session.ended', data: { big: 'x'.repeat(70_000) } }),
    ).rejects.toMatchObject({ code: ServerKitErrorCode.InvalidArgument });

    // Deleting a webhook cancels what it had not delivered.
    await k.kit.webhooks.delete(d, all.webhook.webhookId);
    for (const row of await deliveries(all.webhook.webhookId)) {
      expect(row.failed_at).not.toBeNull();
      expect(row.last_error).toBe('webhook deleted');
    }
    expect(await k.kit.webhooks.emit({ integrationId, type: 'session.started', data: {} })).toEqual([]);
  });

  it('relay events of an integration-owned session become webhooks in relay order', async () => {
    const rmm = await integration();
    const { webhook } = await k.kit.webhooks.register(rmm, { url: 'https://rmm.example/relay' });
    const device = await k.kit.enrollment.provisionAgentKey(rmm, { deviceId: 'dev-42' });
    const session = await k.kit.sessions.start(rmm, { machineId: device.machineId, mode: 'attended' });
    const at = () => new Date();
    const onEvent = k.kit.relayHooks().onEvent;
    const machineId = device.machineId;
    const sessionId = session.sessionId;
    onEvent({
      type: 'agent-connected',
      machineId,
      machineName: 'h',
      remoteAddress: '192.0.2.9',
      correlationId: 'c1',
      at: at(),
    });
    onEvent({
      type: 'viewer-joined',
      sessionId,
      viewerId: 'v1',
      viewerName: 'Tech',
      channels: [Channel.VIEW, Channel.CONTROL],
      correlationId: 'c2',
      at: at(),
    });
    onEvent({
      type: 'session-state',
      sessionId,
      machineId,
      state: SessionState_State.AWAITING_CONSENT,
      at: at(),
    });
    onEvent({ type: 'consent', sessionId, machineId, accepted: true, reason: 'ok', at: at() });
    onEvent({ type: 'session-state', sessionId, machineId, state: SessionState_State.ACTIVE, at: at() });
    onEvent({ type: 'session-started', sessionId, machineId, mode: SessionMode.ATTENDED, at: at() });
    onEvent({ type: 'viewer-left', sessionId, viewerId: 'v1', reason: CloseReason.NORMAL, at: at() });
    onEvent({ type: 'session-ended', sessionId, machineId, reason: CloseReason.NORMAL, at: at() });
    onEvent({
      type: 'agent-disconnected',
      machineId,
      reason: CloseReason.NORMAL,
      correlationId: 'c3',
      at: at(),
    });
    await k.kit.drainEvents();
    const rows = await deliveries(webhook.webhookId);
    expect(rows.map((r) => r.event_type)).toEqual([
      'agent.connected',
      'viewer.joined',
      'consent.granted',
      'session.started',
      'viewer.left',
      'session.ended',
      'agent.disconnected',
    ]);
    expect(rows.map((r) => Number(r.sequence))).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const ref = { sessionId, machineId, deviceId: 'dev-42' };
    expect(rows[0]).toMatchObject({ session_id: null, payload: { machineId, deviceId: 'dev-42' } });
    expect(rows[1]?.payload).toEqual({
      ...ref,
      viewerId: 'v1',
      viewerName: 'Tech',
      channels: ['view', 'control'],
    });
    expect(rows[2]?.payload).toEqual({ ...ref, reason: 'ok' });
    expect(rows[3]).toMatchObject({ session_id: sessionId, payload: { ...ref, mode: 'attended' } });
    expect(rows[5]?.payload).toEqual({ ...ref, reason: 'normal' });
    expect(rows[6]?.payload).toEqual({ machineId, deviceId: 'dev-42', reason: 'normal' });

    // A session the integration ends through the API is reported too — once, even when the relay
    // then reports the end as well.
    const second = await k.kit.sessions.start(rmm, { machineId });
    await k.kit.sessions.end(rmm, second.sessionId, 'done');
    onEvent({
      type: 'session-ended',
      sessionId: second.sessionId,
      machineId,
      reason: CloseReason.NORMAL,
      at: at(),
    });
    await k.kit.drainEvents();
    const ends = (await deliveries(webhook.webhookId)).filter((r) => r.session_id === second.sessionId);
    expect(ends.map((r) => r.event_type)).toEqual(['session.ended']);
    expect(String(ends[0]?.payload.reason)).toContain('done');
  });

  it('console sessions on machines no integration owns produce no webhooks', async () => {
    const enrollment = await k.kit.keys.createEnrollmentKey(k.admin, {});
    const enrolled = await k.kit.enrollment.enroll({
      enrollmentKey: enrollment.secret,
      machineUid: 'console-uid',
      hostname: 'console-box',
    });
    const before = await k.t.database.query<{ n: number }>(
      'select count(*)::int as n from webhook_deliveries',
    );
    const session = await k.kit.sessions.start(k.admin, { machineId: enrolled.machineId });
    const onEvent = k.kit.relayHooks().onEvent;
    onEvent({
      type: 'session-started',
      sessionId: session.sessionId,
      machineId: enrolled.machineId,
      mode: SessionMode.UNATTENDED,
      at: new Date(),
    });
    await k.kit.drainEvents();
    await k.kit.sessions.end(k.admin, session.sessionId);
    const after = await k.t.database.query<{ n: number }>(
      'select count(*)::int as n from webhook_deliveries',
    );
    expect(after[0]?.n).toBe(before[0]?.n);
  });
});
