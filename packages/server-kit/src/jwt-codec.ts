import { randomUUID } from 'node:crypto';
import { errors, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import type { Clock } from './clock.js';
import { ServerKitError, ServerKitErrorCode } from './server-kit-error.js';
import { JWT_ALGORITHM, type SigningKeys } from './signing-keys.js';

/** Audiences keep the two token kinds apart: a viewer token never opens the console, and vice versa. */
export const OPERATOR_AUDIENCE = 'gc-operator';
export const VIEWER_AUDIENCE = 'gc-viewer';

export interface SignOptions {
  audience: string;
  subject?: string;
  ttlSeconds: number;
  /** Default: a fresh UUID. */
  jti?: string;
}

/**
 * Signs and verifies the kit's JWTs. Verification names ONE algorithm (HS256): `alg: none`,
 * RS/ES/EdDSA tokens (the classic key-confusion attack) and any other alg are refused before a key
 * is even looked up. Issuer, audience, expiry and `kid` are all checked.
 */
export class JwtCodec {
  readonly #keys: SigningKeys;
  readonly #clock: Clock;
  readonly #issuer: string;

  constructor(keys: SigningKeys, clock: Clock, issuer: string) {
    this.#keys = keys;
    this.#clock = clock;
    this.#issuer = issuer;
  }

  async sign(
    claims: Record<string, unknown>,
    options: SignOptions,
  ): Promise<{ token: string; jti: string; expiresAt: Date }> {
    const { kid, key } = this.#keys.current();
    const nowSeconds = Math.floor(this.#clock.now().getTime() / 1000);
    const jti = options.jti ?? randomUUID();
    const exp = nowSeconds + options.ttlSeconds;
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: JWT_ALGORITHM, kid, typ: 'JWT' })
      .setIssuer(this.#issuer)
      .setAudience(options.audience)
      .setIssuedAt(nowSeconds)
      .setNotBefore(nowSeconds)
      .setExpirationTime(exp)
      .setJti(jti);
    if (options.subject !== undefined) jwt.setSubject(options.subject);
    return { token: await jwt.sign(key), jti, expiresAt: new Date(exp * 1000) };
  }

  /** Verified payload, or GC_ERR_UNAUTHENTICATED (the jose error is kept as `cause`). */
  async verify(token: string, audience: string, correlationId?: string): Promise<JWTPayload> {
    try {
      const { payload } = await jwtVerify(
        token,
        async (header) => {
          if (header.alg !== JWT_ALGORITHM || typeof header.kid !== 'string') {
            throw new errors.JOSEAlgNotAllowed('unexpected "alg" or missing "kid"');
          }
          const key = await this.#keys.byKid(header.kid);
          if (key === undefined) throw new errors.JWSSignatureVerificationFailed('unknown "kid"');
          return key;
        },
        {
          algorithms: [JWT_ALGORITHM],
          issuer: this.#issuer,
          audience,
          currentDate: this.#clock.now(),
          clockTolerance: 5,
          requiredClaims: ['exp', 'iat', 'jti'],
        },
      );
      return payload;
    } catch (err) {
      const expired = err instanceof errors.JWTExpired;
      throw new ServerKitError(
        ServerKitErrorCode.Unauthenticated,
        expired ? 'The token has expired' : 'The token is not valid',
        { cause: err, ...(correlationId === undefined ? {} : { correlationId }) },
      );
    }
  }
}

/** True when `err` is the kit's refusal of an expired (but otherwise well-formed) token. */
export function isExpiredTokenError(err: unknown): boolean {
  return err instanceof ServerKitError && err.cause instanceof errors.JWTExpired;
}
