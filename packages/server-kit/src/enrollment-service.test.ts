import { create } from '@bufbuild/protobuf';
import { AgentHelloSchema, CloseReason, SessionMode } from '@guruconnect/protocol';
import type { ConnectionContext } from '@guruconnect/relay-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentKeyRevokedEvent } from './keys-service.js';
import { ServerKitErrorCode } from './server-kit-error.js';
import { DRIVERS } from './test-support/test-databases.js';
import { callerOf, createTestKit, type TestKit } from './test-support/test-kit.js';

const ctx: ConnectionContext = {
  remoteAddress: '10.9.0.1',
  origin: undefined,
  userAgent: undefined,
  correlationId: 'e-1',
};
const hello = (agentKey: string, machineUid: string) =>
  create(AgentHelloSchema, {
    credential: { case: 'agentKey', value: agentKey },
    machineUid,
    hostname: 'host',
    agentVersion: '1.0.0',
  });

describe.each(DRIVERS)('keys and enrollment on %s', (driver) => {
  let k: TestKit;
  const revoked: AgentKeyRevokedEvent[] = [];
  beforeAll(async () => {
    k = await createTestKit(driver);
    k.kit.keys.onAgentKeyRevoked((event) => revoked.push(event));
  });
  afterAll(async () => {
    await k.dispose();
  });

  it('secrets are prefixed, 192-bit, shown once, listed only by fingerprint', async () => {
    const enrollment = await k.kit.keys.createEnrollmentKey(k.admin, {
      name: 'HQ',
      site: 'HQ',
      company: 'Acme',
    });
    const integration = await k.kit.keys.createIntegrationKey(k.admin, { name: 'rmm' });
    expect(enrollment.secret).toMatch(/^gek_[0-9A-Za-z]{33}$/);
    expect(integration.secret).toMatch(/^gik_[0-9A-Za-z]{33}$/);
    expect(enrollment.key.fingerprint).toMatch(/^[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}$/);
    const listed = JSON.stringify(await k.kit.keys.list(k.admin));
    expect(listed).not.toContain(enrollment.secret);
    expect(listed).not.toContain(integration.secret);
    expect(listed).not.toMatch(/[0-9a-f]{64}/);
  });

  it('enroll → agent key bound to its machine; re-enrolling the same uid updates it and replaces the key', async () => {
    const enrollmentKey = await k.kit.keys.createEnrollmentKey(k.admin, { site: 'Branch', company: 'Acme' });
    const first = await k.kit.enrollment.enroll({
      enrollmentKey: enrollmentKey.secret,
      machineUid: 'uid-A',
      hostname: 'alpha',
      osName: 'Debian',
    });
    expect(first).toMatchObject({ site: 'Branch', company: 'Acme' });
    expect(first.agentKey).toMatch(/^cak_[0-9A-Za-z]{33}$/);
    const ok = await k.kit.relayHooks().authenticateAgent(hello(first.agentKey, 'uid-A'), ctx);
    expect(ok).toEqual({
      ok: true,
      value: {
        machineId: first.machineId,
        machineName: 'alpha',
        keyId: first.keyId,
        mode: SessionMode.UNATTENDED,
      },
    });
    // The same key presented for another machine is refused.
    expect(await k.kit.relayHooks().authenticateAgent(hello(first.agentKey, 'uid-B'), ctx)).toMatchObject({
      ok: false,
      reason: CloseReason.UNAUTHORIZED,
    });

    const again = await k.kit.enrollment.enroll({
      enrollmentKey: enrollmentKey.secret,
      machineUid: 'uid-A',
      hostname: 'alpha-renamed',
    });
    expect(again.machineId).toBe(first.machineId);
    const machines = await k.kit.machines.search(k.admin, 'alpha');
    expect(machines.total).toBe(1);
    expect(machines.machines[0]?.hostname).toBe('alpha-renamed');
    expect(revoked.map((e) => e.keyId)).toContain(first.keyId);
    expect(await k.kit.relayHooks().authenticateAgent(hello(first.agentKey, 'uid-A'), ctx)).toMatchObject({
      ok: false,
      reason: CloseReason.KEY_REVOKED,
    });
    expect((await k.kit.relayHooks().authenticateAgent(hello(again.agentKey, 'uid-A'), ctx)).ok).toBe(true);
  });

  it('rotating an enrollment key stops the old one at once and leaves enrolled agents alone', async () => {
    const original = await k.kit.keys.createEnrollmentKey(k.admin, { site: 'Lab', company: 'Acme' });
    const enrolled = await k.kit.enrollment.enroll({
      enrollmentKey: original.secret,
      machineUid: 'uid-lab',
      hostname: 'lab-1',
    });
    const rotated = await k.kit.enrollment.rotateEnrollmentKey(k.admin, original.key.keyId);
    expect(rotated.previousFingerprint).toBe(original.key.fingerprint);
    expect(rotated.key.fingerprint).not.toBe(original.key.fingerprint);
    expect(rotated.key).toMatchObject({ site: 'Lab', company: 'Acme' });
    await expect(
      k.kit.enrollment.enroll({ enrollmentKey: original.secret, machineUid: 'uid-lab-2', hostname: 'lab-2' }),
    ).rejects.toMatchObject({
      code: ServerKitErrorCode.Unauthenticated,
    });
    await expect(
      k.kit.enrollment.enroll({ enrollmentKey: rotated.secret, machineUid: 'uid-lab-2', hostname: 'lab-2' }),
    ).resolves.toMatchObject({ site: 'Lab' });
    expect((await k.kit.relayHooks().authenticateAgent(hello(enrolled.agentKey, 'uid-lab'), ctx)).ok).toBe(
      true,
    );
    await expect(k.kit.enrollment.rotateEnrollmentKey(k.admin, original.key.keyId)).rejects.toMatchObject({
      code: ServerKitErrorCode.FailedPrecondition,
    });
  });

  it('revoking an agent key refuses it at once and tells the listeners', async () => {
    const enrollmentKey = await k.kit.keys.createEnrollmentKey(k.admin, {});
    const enrolled = await k.kit.enrollment.enroll({
      enrollmentKey: enrollmentKey.secret,
      machineUid: 'uid-R',
      hostname: 'r',
    });
    const before = revoked.length;
    const info = await k.kit.keys.revoke(k.admin, enrolled.keyId);
    expect(info.revokedAt).toBeInstanceOf(Date);
    expect(revoked.slice(before)).toEqual([
      expect.objectContaining({ keyId: enrolled.keyId, machineId: enrolled.machineId }),
    ]);
    expect(await k.kit.relayHooks().authenticateAgent(hello(enrolled.agentKey, 'uid-R'), ctx)).toMatchObject({
      ok: false,
      reason: CloseReason.KEY_REVOKED,
    });
  });

  it('integrations provision their own devices and cannot touch others', async () => {
    const one = await k.kit.keys.createIntegrationKey(k.admin, { name: 'one' });
    const two = await k.kit.keys.createIntegrationKey(k.admin, { name: 'two' });
    const callerOne = callerOf(await k.kit.auth.authenticate(one.secret));
    const callerTwo = callerOf(await k.kit.auth.authenticate(two.secret));
    const provisioned = await k.kit.enrollment.provisionAgentKey(callerOne, {
      deviceId: 'dev-1',
      displayName: 'Front desk',
    });
    const again = await k.kit.enrollment.provisionAgentKey(callerOne, {
      deviceId: 'dev-1',
      displayName: 'Front desk',
    });
    expect(again.machineId).toBe(provisioned.machineId);
    // Provisioned but never connected: the first hello binds its machine_uid.
    expect((await k.kit.relayHooks().authenticateAgent(hello(again.agentKey, 'uid-dev-1'), ctx)).ok).toBe(
      true,
    );
    expect((await k.kit.relayHooks().authenticateAgent(hello(again.agentKey, 'uid-other'), ctx)).ok).toBe(
      false,
    );
    await expect(k.kit.machines.get(callerTwo, provisioned.machineId)).rejects.toMatchObject({
      code: ServerKitErrorCode.PermissionDenied,
    });
    await expect(k.kit.sessions.start(callerTwo, { machineId: provisioned.machineId })).rejects.toMatchObject(
      { code: ServerKitErrorCode.PermissionDenied },
    );
    expect((await k.kit.machines.search(callerTwo, '')).total).toBe(0);
    expect((await k.kit.machines.search(callerOne, '')).total).toBe(1);
    expect(await k.kit.enrollment.revokeDeviceAgentKeys(callerTwo, 'dev-1')).toBe(0);
    expect(await k.kit.enrollment.revokeDeviceAgentKeys(callerOne, 'dev-1')).toBe(1);
    await expect(k.kit.keys.list(callerOne)).rejects.toMatchObject({
      code: ServerKitErrorCode.PermissionDenied,
    });
  });
});
