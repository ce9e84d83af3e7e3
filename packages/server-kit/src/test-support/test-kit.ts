import type { Clock } from '../clock.js';
import type { Caller } from '../kit-context.js';
import type { Principal } from '../rights.js';
import { createServerKit, type ServerKit, type ServerKitOptions } from '../server-kit.js';
import { type Driver, openTestDatabase, type TestDatabase } from './test-databases.js';

/** A clock tests move by hand. */
export class TestClock implements Clock {
  #now: number;
  constructor(start = Date.now()) {
    this.#now = start;
  }
  now(): Date {
    return new Date(this.#now);
  }
  advance(ms: number): void {
    this.#now += ms;
  }
}

export interface TestKit {
  kit: ServerKit;
  t: TestDatabase;
  clock: TestClock;
  admin: Caller;
  adminPassword: string;
  dispose(): Promise<void>;
}

export const ADMIN_EMAIL = 'admin@example.test';
export const ADMIN_PASSWORD = 'correct horse battery staple';

/** A fresh database of that driver, a kit on it (no reaper timer), and a signed-in admin caller. */
export async function createTestKit(
  driver: Driver,
  options: Partial<ServerKitOptions> = {},
): Promise<TestKit> {
  const t = await openTestDatabase(driver);
  const clock = new TestClock();
  const kit = await createServerKit({
    database: t.database,
    clock,
    reapIntervalMs: 0,
    webhookPollIntervalMs: 0,
    ...options,
  });
  await kit.users.ensureFirstAdmin({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  const { token } = await kit.auth.login({
    email: ADMIN_EMAIL,
    password: ADMIN_PASSWORD,
    remoteAddress: '127.0.0.1',
  });
  const admin: Caller = { principal: await kit.auth.authenticate(token) };
  return {
    kit,
    t,
    clock,
    admin,
    adminPassword: ADMIN_PASSWORD,
    dispose: async () => {
      await kit.close();
      await t.dispose();
    },
  };
}

export function callerOf(principal: Principal): Caller {
  return { principal };
}
