import { describe, expect, it } from 'vitest';
import { ACTIONS, can, type Principal, rightsTable } from './rights.js';

const user = (role: string): Principal => ({
  kind: 'user',
  userId: 'u',
  email: 'e',
  role: role as 'admin',
  via: 'jwt',
});
const integration: Principal = { kind: 'integration', integrationId: 'i-1', keyId: 'k' };

describe('rights', () => {
  it('admin may do every action; end_user none; technician not user/key/audit admin', () => {
    for (const action of ACTIONS) expect(can(user('admin'), action)).toBe(true);
    for (const action of ACTIONS) expect(can(user('end_user'), action)).toBe(false);
    expect(can(user('technician'), 'session.join')).toBe(true);
    for (const action of [
      'user.create',
      'user.update',
      'key.create',
      'key.revoke',
      'audit.read',
      'machine.remove',
    ] as const) {
      expect(can(user('technician'), action), action).toBe(false);
    }
  });

  it('denies by default: unknown role, unknown kind, no principal', () => {
    expect(can(user('superuser'), 'session.join')).toBe(false);
    expect(can({ kind: 'robot' } as unknown as Principal, 'session.join')).toBe(false);
    expect(can(undefined, 'session.join')).toBe(false);
  });

  it('integrations act only on what they own', () => {
    expect(can(integration, 'session.start', { ownerIntegrationId: 'i-1' })).toBe(true);
    expect(can(integration, 'session.start', { ownerIntegrationId: 'i-2' })).toBe(false);
    expect(can(integration, 'session.start', { ownerIntegrationId: null })).toBe(false);
    expect(can(integration, 'user.list')).toBe(false);
    expect(rightsTable().integration).toContain('key.create');
  });
});
