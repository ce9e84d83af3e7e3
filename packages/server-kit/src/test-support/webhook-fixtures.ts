import type { Caller } from '../kit-context.js';
import type { TestKit } from './test-kit.js';
import { sleep } from './webhook-receiver.js';

/** A `webhook_deliveries` row as the tests read it. */
export interface DeliveryState {
  id: string;
  attempts: number;
  delivered_at: Date | null;
  failed_at: Date | null;
  last_error: string | null;
  next_attempt_at: Date;
}

/** A fresh integration key's caller. */
export async function integrationOf(k: TestKit): Promise<{ caller: Caller; integrationId: string }> {
  const created = await k.kit.keys.createIntegrationKey(k.admin, { name: 'rmm' });
  const principal = await k.kit.auth.authenticate(created.secret);
  if (principal.kind !== 'integration') throw new Error('expected an integration principal');
  return { caller: { principal }, integrationId: principal.integrationId };
}

export function deliveryStates(k: TestKit, ids: string[]): Promise<DeliveryState[]> {
  return k.t.database.query<DeliveryState>(
    'select id, attempts, delivered_at, failed_at, last_error, next_attempt_at from webhook_deliveries where id = any($1::uuid[]) order by sequence',
    [ids],
  );
}

/** The deliveries' rows once `done` holds for all of them (the receiver answers before the worker records). */
export async function settledStates(
  k: TestKit,
  ids: string[],
  done: (s: DeliveryState) => boolean = (s) => s.delivered_at !== null || s.failed_at !== null,
): Promise<DeliveryState[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const states = await deliveryStates(k, ids);
    if ((states.length === ids.length && states.every(done)) || Date.now() > deadline) return states;
    await sleep(20);
  }
}

/** Moves the kit's clock in 1 s steps, giving the worker real time to poll between steps. */
export async function runClock(
  k: TestKit,
  totalMs: number,
  until: () => boolean = () => false,
): Promise<void> {
  const end = k.clock.now().getTime() + totalMs;
  while (k.clock.now().getTime() < end && !until()) {
    k.clock.advance(1000);
    await sleep(40);
  }
}
