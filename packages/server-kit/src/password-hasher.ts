import { randomBytes } from 'node:crypto';
import argon2 from 'argon2';
import { ServerKitError, ServerKitErrorCode } from './server-kit-error.js';

/** OWASP's argon2id floor: 19 MiB, 2 passes, 1 lane. */
export const ARGON2_OPTIONS = {
  type: argon2.argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export const MIN_PASSWORD_LENGTH = 10;
/** argon2 accepts more, but a megabyte "password" is a CPU attack, not a password. */
export const MAX_PASSWORD_LENGTH = 1024;

export function checkPasswordPolicy(password: string): void {
  if (
    typeof password !== 'string' ||
    password.length < MIN_PASSWORD_LENGTH ||
    password.length > MAX_PASSWORD_LENGTH
  ) {
    throw new ServerKitError(
      ServerKitErrorCode.InvalidArgument,
      `A password must be ${MIN_PASSWORD_LENGTH}–${MAX_PASSWORD_LENGTH} characters long`,
    );
  }
}

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, ARGON2_OPTIONS);
}

/** False for a wrong password, and for input too long to be one (without hashing it). */
export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  if (password.length > MAX_PASSWORD_LENGTH) return false;
  return argon2.verify(hash, password);
}

let dummyHash: Promise<string> | undefined;
/**
 * Verifies against a throwaway hash so a login for an unknown e-mail costs the same time as one
 * for a known e-mail (no account enumeration by timing).
 */
export async function burnPasswordCheck(password: string): Promise<void> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  await verifyPassword(await dummyHash, password);
}

/** A generated one-time password: 24 base64url characters (144 bits). */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}
