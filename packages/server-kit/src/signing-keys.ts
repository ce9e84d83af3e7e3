import { randomBytes } from 'node:crypto';
import { isNull, sql } from 'drizzle-orm';
import type { Db } from './db/database.js';
import { signingKeys } from './db/schema.js';

/** The only JWT algorithm the kit signs or accepts (see jwt-codec.ts). */
export const JWT_ALGORITHM = 'HS256';
const KEY_BYTES = 32;
const LOCK_KEY = 0x6763_736b; // 'gcsk'

export interface SigningKey {
  kid: string;
  key: Uint8Array;
}

/**
 * The per-install JWT key(s), generated on first start and kept in `signing_keys`. Creation runs
 * under an advisory lock so nodes starting together agree on one key.
 */
export class SigningKeys {
  readonly #db: Db;
  #keys = new Map<string, Uint8Array>();
  #current: SigningKey;

  private constructor(db: Db, current: SigningKey) {
    this.#db = db;
    this.#current = current;
  }

  static async load(db: Db): Promise<SigningKeys> {
    const rows = await db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${LOCK_KEY})`);
      const existing = await tx.select().from(signingKeys).where(isNull(signingKeys.retiredAt));
      if (existing.length > 0) return existing;
      const id = `k_${randomBytes(8).toString('hex')}`;
      return tx
        .insert(signingKeys)
        .values({ id, alg: JWT_ALGORITHM, material: randomBytes(KEY_BYTES).toString('base64url') })
        .returning();
    });
    const newest = [...rows].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())[0]!;
    const store = new SigningKeys(db, { kid: newest.id, key: Buffer.from(newest.material, 'base64url') });
    for (const row of rows) store.#keys.set(row.id, Buffer.from(row.material, 'base64url'));
    return store;
  }

  /** The key new tokens are signed with. */
  current(): SigningKey {
    return this.#current;
  }

  /** The key for a `kid`, reloading once from the database (another node may have rotated). */
  async byKid(kid: string): Promise<Uint8Array | undefined> {
    const known = this.#keys.get(kid);
    if (known !== undefined) return known;
    const rows = await this.#db.select().from(signingKeys).where(isNull(signingKeys.retiredAt));
    for (const row of rows) this.#keys.set(row.id, Buffer.from(row.material, 'base64url'));
    return this.#keys.get(kid);
  }
}
