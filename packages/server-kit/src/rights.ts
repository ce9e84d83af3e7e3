/**
 * Who may do what: the ONE place rights are defined. Deny by default — an action missing from a
 * role's row, an unknown role or an unknown principal kind is refused.
 */

export const ROLES = ['admin', 'technician', 'end_user'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export const ACTIONS = [
  'user.list',
  'user.create',
  'user.update',
  'machine.list',
  'machine.read',
  'machine.update',
  'machine.remove',
  'session.list',
  'session.read',
  'session.start',
  'session.join',
  'session.end',
  'session.remove',
  'support-code.create',
  'key.list',
  'key.create',
  'key.revoke',
  'key.rotate',
  'api-token.create-own',
  'audit.read',
  'recording.read',
] as const;
export type Action = (typeof ACTIONS)[number];

/** An authenticated caller. */
export type Principal =
  | {
      kind: 'user';
      userId: string;
      email: string;
      role: Role;
      /** How it authenticated: an operator JWT or an API token (`gat_…`) of that user. */
      via: 'jwt' | 'api-token';
    }
  | {
      kind: 'integration';
      /** The integration the key belongs to; it owns the devices it provisioned. */
      integrationId: string;
      keyId: string;
    };

/** What an action touches, for ownership checks. Omit it for collection-level actions. */
export interface Resource {
  /** The integration that provisioned the machine / created the session, if any. */
  ownerIntegrationId?: string | null;
}

const TECHNICIAN: readonly Action[] = [
  'machine.list',
  'machine.read',
  'machine.update',
  'session.list',
  'session.read',
  'session.start',
  'session.join',
  'session.end',
  'support-code.create',
  'api-token.create-own',
];

/** The rights table. `admin` may do everything listed in ACTIONS; nothing else is implied. */
const ROLE_RIGHTS: Record<Role, ReadonlySet<Action>> = {
  admin: new Set(ACTIONS),
  technician: new Set(TECHNICIAN),
  end_user: new Set<Action>(),
};

/**
 * What an integration key may do — and only on the devices / sessions it owns (the resource's
 * `ownerIntegrationId` must equal the key's integration). Collection actions (list) are scoped by
 * the services, which filter on the owner.
 */
const INTEGRATION_RIGHTS: ReadonlySet<Action> = new Set<Action>([
  'machine.list',
  'machine.read',
  'session.read',
  'session.start',
  'session.join',
  'session.end',
  'support-code.create',
  'key.create',
  'key.revoke',
]);

/** True when `principal` may perform `action` (on `resource`, when given). */
export function can(principal: Principal | undefined, action: Action, resource?: Resource): boolean {
  if (principal === undefined) return false;
  if (principal.kind === 'user') {
    const rights = ROLE_RIGHTS[principal.role];
    return rights?.has(action) === true;
  }
  if (principal.kind === 'integration') {
    if (!INTEGRATION_RIGHTS.has(action)) return false;
    if (resource === undefined) return true;
    return resource.ownerIntegrationId != null && resource.ownerIntegrationId === principal.integrationId;
  }
  return false;
}

/** The rights table as data, for documentation and the console. */
export function rightsTable(): Record<Role | 'integration', Action[]> {
  return {
    admin: [...ROLE_RIGHTS.admin],
    technician: [...ROLE_RIGHTS.technician],
    end_user: [...ROLE_RIGHTS.end_user],
    integration: [...INTEGRATION_RIGHTS],
  };
}
