import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from './kit-context.js';
import { ServerKitErrorCode } from './server-kit-error.js';
import { DRIVERS } from './test-support/test-databases.js';
import { createTestKit, type TestKit } from './test-support/test-kit.js';

describe.each(DRIVERS)('recordings on %s', (driver) => {
  let k: TestKit;
  let technician: Caller;
  beforeAll(async () => {
    k = await createTestKit(driver);
    const tech = await k.kit.users.create(k.admin, {
      email: 'tech@example.test',
      role: 'technician',
      password: 'a long enough password',
    });
    technician = {
      principal: { kind: 'user', userId: tech.userId, email: tech.email, role: 'technician', via: 'jwt' },
    };
  });
  afterAll(async () => {
    await k.dispose();
  });

  it('records start and end with an audit event saying the session is recorded, readable by admins only', async () => {
    const code = await k.kit.supportCodes.create(k.admin, {});
    const rec = await k.kit.recordings.start({
      sessionId: code.sessionId,
      viewerId: 'v-1',
      channelId: 1,
      fileName: 'a.cast',
    });
    await k.kit.recordings.finish(rec.recordingId, 1234);
    const listed = await k.kit.recordings.list(k.admin, { sessionId: code.sessionId });
    expect(listed.recordings).toHaveLength(1);
    expect(listed.recordings[0]).toMatchObject({
      fileName: 'a.cast',
      sizeBytes: 1234,
      channelId: 1,
      viewerId: 'v-1',
    });
    expect(listed.recordings[0]?.endedAt).toBeInstanceOf(Date);
    const types = (await k.kit.audit.list(k.admin, { sessionId: code.sessionId })).events.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['recording.started', 'recording.finished']));
    await expect(k.kit.recordings.list(technician)).rejects.toMatchObject({
      code: ServerKitErrorCode.PermissionDenied,
    });
    await expect(k.kit.recordings.get(technician, rec.recordingId)).rejects.toMatchObject({
      code: ServerKitErrorCode.PermissionDenied,
    });
    expect((await k.kit.recordings.get(k.admin, rec.recordingId)).recordingId).toBe(rec.recordingId);
  });

  it('refuses file names that could leave the recordings directory', async () => {
    const code = await k.kit.supportCodes.create(k.admin, {});
    for (const fileName of ['../x.cast', '..', '.hidden', 'a/b.cast', '', 'x'.repeat(300)]) {
      await expect(
        k.kit.recordings.start({ sessionId: code.sessionId, viewerId: 'v', channelId: 1, fileName }),
      ).rejects.toMatchObject({ code: ServerKitErrorCode.InvalidArgument });
    }
  });
});
