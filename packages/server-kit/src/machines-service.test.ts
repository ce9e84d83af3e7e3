import { create } from '@bufbuild/protobuf';
import { AgentStatusSchema, CloseReason, SessionMode, SessionState_State } from '@guruconnect/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSearchQuery } from './machine-search.js';
import { createServerKit } from './server-kit.js';
import { DRIVERS } from './test-support/test-databases.js';
import { createTestKit, type TestKit } from './test-support/test-kit.js';

describe('parseSearchQuery', () => {
  it('splits terms, keeps quoted phrases, scopes known fields only', () => {
    expect(parseSearchQuery('os:debian  tag:"front desk" acme foo:bar HOST:pc')).toEqual([
      { field: 'os', value: 'debian' },
      { field: 'tag', value: 'front desk' },
      { field: undefined, value: 'acme' },
      { field: undefined, value: 'foo:bar' },
      { field: 'host', value: 'pc' },
    ]);
    expect(parseSearchQuery('   ')).toEqual([]);
  });
});

describe.each(DRIVERS)('machines and sessions on %s', (driver) => {
  let k: TestKit;
  const ids: Record<string, string> = {};
  const at = () => k.clock.now();
  beforeAll(async () => {
    k = await createTestKit(driver);
    const enrollment = await k.kit.keys.createEnrollmentKey(k.admin, { company: 'Acme', site: 'Berlin' });
    for (const [uid, host] of [
      ['u1', 'reception-pc'],
      ['u2', 'build-server'],
      ['u3', 'lab_100%'],
    ] as const) {
      ids[host] = (
        await k.kit.enrollment.enroll({ enrollmentKey: enrollment.secret, machineUid: uid, hostname: host })
      ).machineId;
    }
    await k.kit.machines.update(k.admin, ids['build-server']!, {
      tags: ['Linux', 'CI'],
      company: 'Initech',
      site: 'Austin',
    });
  });
  afterAll(async () => {
    await k.dispose();
  });

  it('records online state and inventory from relay events', async () => {
    const hooks = k.kit.relayHooks();
    const machineId = ids['reception-pc']!;
    hooks.onEvent({
      type: 'agent-connected',
      machineId,
      machineName: 'reception-pc',
      remoteAddress: '10.0.0.5',
      correlationId: 'c',
      at: at(),
    });
    hooks.onEvent({
      type: 'agent-status',
      machineId,
      status: create(AgentStatusSchema, {
        inventory: {
          osName: 'Debian GNU/Linux',
          osVersion: '12',
          loggedOnUser: 'alice',
          cpuCores: 8,
          ramBytes: 17179869184n,
          interfaces: [{ name: 'eth0', addresses: ['10.0.0.5', 'fe80::1'] }],
        },
      }),
      at: at(),
    });
    await k.kit.drainEvents();
    const machine = await k.kit.machines.get(k.admin, machineId);
    expect(machine).toMatchObject({
      online: true,
      inventory: {
        osName: 'Debian GNU/Linux',
        loggedOnUser: 'alice',
        cpuCores: 8,
        ramBytes: 17179869184,
        ipAddresses: ['10.0.0.5', 'fe80::1'],
      },
    });
  });

  it('search: multi-term AND, field scoping, LIKE wildcards taken literally', async () => {
    const names = async (query: string) =>
      (await k.kit.machines.search(k.admin, query)).machines.map((m) => m.hostname).sort();
    expect(await names('')).toEqual(['build-server', 'lab_100%', 'reception-pc']);
    expect(await names('acme')).toEqual(['lab_100%', 'reception-pc']);
    expect(await names('os:debian user:ali')).toEqual(['reception-pc']);
    expect(await names('ip:10.0.0')).toEqual(['reception-pc']);
    expect(await names('tag:ci')).toEqual(['build-server']);
    expect(await names('tag:c')).toEqual([]);
    expect(await names('company:initech site:austin')).toEqual(['build-server']);
    expect(await names('host:server acme')).toEqual([]);
    expect(await names('100%')).toEqual(['lab_100%']);
    expect(await names('_')).toEqual(['lab_100%']);
    expect(await names("'; drop table machines; --")).toEqual([]);
    const page = await k.kit.machines.search(k.admin, '', { pageSize: 2 });
    expect(page.machines).toHaveLength(2);
    expect(page.machines[0]?.online).toBe(true);
    const rest = await k.kit.machines.search(k.admin, '', { pageSize: 2, pageToken: page.nextPageToken! });
    expect(rest.machines).toHaveLength(1);
    expect(rest.nextPageToken).toBeUndefined();
  });

  it('a session pre-created for an offline machine waits, binds on connect, runs and ends', async () => {
    const machineId = ids['build-server']!;
    const session = await k.kit.sessions.start(k.admin, { machineId });
    expect(session.state).toBe('waiting_for_agent');
    const hooks = k.kit.relayHooks();
    hooks.onEvent({
      type: 'agent-connected',
      machineId,
      machineName: 'build-server',
      remoteAddress: '10.0.0.6',
      correlationId: 'c2',
      at: at(),
    });
    await k.kit.drainEvents();
    expect((await k.kit.sessions.get(k.admin, session.sessionId)).state).toBe('ready');
    hooks.onEvent({
      type: 'session-started',
      sessionId: session.sessionId,
      machineId,
      mode: SessionMode.UNATTENDED,
      at: at(),
    });
    await k.kit.drainEvents();
    const active = await k.kit.sessions.get(k.admin, session.sessionId);
    expect(active.state).toBe('active');
    expect(active.startedAt).toBeInstanceOf(Date);
    hooks.onEvent({
      type: 'session-ended',
      sessionId: session.sessionId,
      machineId,
      reason: CloseReason.NORMAL,
      at: at(),
    });
    // An impossible move after the end is refused (logged), the record stays ended.
    hooks.onEvent({
      type: 'session-state',
      sessionId: session.sessionId,
      machineId,
      state: SessionState_State.ACTIVE,
      at: at(),
    });
    await k.kit.drainEvents();
    expect(await k.kit.sessions.get(k.admin, session.sessionId)).toMatchObject({
      state: 'ended',
      endReason: 'normal',
    });
    const events = await k.kit.audit.list(k.admin, { sessionId: session.sessionId });
    expect(events.events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['session.created', 'session.started', 'session.ended']),
    );
  });

  it('reaps stale sessions and reconciles ghosts after a restart', async () => {
    const stale = await k.kit.sessions.start(k.admin, { machineId: ids['lab_100%']! });
    const ghost = await k.kit.sessions.start(k.admin, { machineId: ids['reception-pc']! });
    expect(ghost.state).toBe('ready');
    k.kit.relayHooks().onEvent({
      type: 'session-started',
      sessionId: ghost.sessionId,
      machineId: ids['reception-pc']!,
      mode: SessionMode.UNATTENDED,
      at: at(),
    });
    await k.kit.drainEvents();
    k.clock.advance(13 * 3600 * 1000);
    expect(await k.kit.sessions.reapStale()).toBe(1);
    expect((await k.kit.sessions.get(k.admin, stale.sessionId)).state).toBe('ended');
    expect((await k.kit.sessions.get(k.admin, ghost.sessionId)).state).toBe('active');
    const pending = await k.kit.sessions.start(k.admin, { machineId: ids['lab_100%']! });

    // "Restart": a second kit on the same database reconciles at start.
    const restarted = await createServerKit({ database: k.t.database, clock: k.clock, reapIntervalMs: 0 });
    try {
      expect(await restarted.sessions.get(k.admin, ghost.sessionId)).toMatchObject({
        state: 'ended',
        endReason: 'server restart',
      });
      expect((await restarted.sessions.get(k.admin, pending.sessionId)).state).toBe('waiting_for_agent');
      expect((await restarted.machines.search(k.admin, '')).machines.every((m) => !m.online)).toBe(true);
      expect(
        (await restarted.sessions.list(k.admin, { liveOnly: true })).sessions.map((s) => s.sessionId),
      ).toEqual([pending.sessionId]);
    } finally {
      await restarted.close();
    }
  });

  it('bulk removal of sessions and machines; removing a machine revokes its key', async () => {
    const ended: string[] = [];
    k.kit.sessions.onSessionEnded((e) => ended.push(e.sessionId));
    const revoked: string[] = [];
    k.kit.keys.onAgentKeyRevoked((e) => revoked.push(e.machineId));
    const a = await k.kit.sessions.start(k.admin, { machineId: ids['lab_100%']! });
    const b = await k.kit.sessions.start(k.admin, { machineId: ids['lab_100%']! });
    expect(await k.kit.sessions.remove(k.admin, [a.sessionId, b.sessionId, 'nonsense'])).toBe(2);
    expect(ended).toEqual(expect.arrayContaining([a.sessionId, b.sessionId]));
    expect(await k.kit.machines.remove(k.admin, [ids['lab_100%']!, ids['build-server']!])).toBe(2);
    expect(revoked.sort()).toEqual([ids['build-server']!, ids['lab_100%']!].sort());
    expect((await k.kit.machines.search(k.admin, '')).total).toBe(1);
  });
});
