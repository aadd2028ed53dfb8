/**
 * `private_key_jwt` client assertions (RFC 7523 §2.2, §3; OIDC Core §9),
 * signed with `jose`, plus the negative variants the conformance checks need.
 */
import { InvalidArgumentError } from '../errors';
import { isPlainObject } from './guards';
import { nowSeconds, randomJti, signJws, type JwsOverrides } from './jws';
import { importSigningKey, type SigningKeyInput } from './keys';


/** Default lifetime: well under the 300 s attesto (and many servers) accept. */
export const DEFAULT_ASSERTION_LIFETIME_SECONDS = 60;

export type ClientAssertionClaim = 'iss' | 'sub' | 'aud' | 'jti' | 'iat' | 'exp';

/**
 * Negative overrides for a client assertion; each one breaks one thing:
 *
 * | override | breaks (RFC 7523 §3 item) |
 * |---|---|
 * | `expired: true` | `exp` five minutes in the past (4) |
 * | `audience: 'https://other'` | wrong `aud` (3) |
 * | `jti: usedJti` | a replayed assertion (7) |
 * | `signWith: otherKey` | signature by an unregistered key (9) |
 * | `alg: 'none'` / `alg: 'HS256'` | unsigned / symmetric signature (9) |
 * | `omit: ['sub']` (or `jti`, `exp`, ...) | missing claim (1, 2, 4, 7) |
 * | `subject: 'someone-else'` | `sub` ≠ `iss` (2) |
 * | `lifetimeSeconds: 3600` | longer than the server allows (4) |
 */
export interface ClientAssertionOverrides extends JwsOverrides {
  /** `aud` claim: a string, or an array to test array audiences. */
  audience?: string | string[];
  /** `exp` = now − 300 and `iat` = now − 360. */
  expired?: boolean;
  jti?: string;
  iat?: number;
  /** Absolute `exp`; wins over `lifetimeSeconds` and `expired`. */
  exp?: number;
  /** `exp` − `iat` when `exp` is not given (default 60). */
  lifetimeSeconds?: number;
  /** `iss` claim (default: the client id). */
  issuer?: string;
  /** `sub` claim (default: the client id). */
  subject?: string;
  /** Claims removed after everything else is applied. */
  omit?: Array<ClientAssertionClaim | (string & {})>;
  /** Claims added or replaced. */
  claims?: Record<string, unknown>;
}

export interface ClientAssertionOptions extends ClientAssertionOverrides {
  clientId: string;
  /** The client's registered private key. */
  key: SigningKeyInput;
  /** The authorization server's issuer identifier or its token endpoint URL (RFC 7523 §3 item 3). */
  audience: string | string[];
}

/**
 * Builds a client assertion: `iss` = `sub` = client id, `aud`, a random
 * `jti`, `iat` = now, `exp` = now + 60 s; `alg` from the key (a `kid` in
 * the JWK is copied into the header to help the server pick the key).
 */
export async function createClientAssertion(options: ClientAssertionOptions): Promise<string> {
  if (!isPlainObject(options)) throw new InvalidArgumentError('createClientAssertion: options must be an object');
  const { clientId, audience } = options;
  if (typeof clientId !== 'string' || clientId === '') throw new InvalidArgumentError('createClientAssertion: clientId must be a non-empty string');
  if (!(typeof audience === 'string' || (Array.isArray(audience) && audience.every((a) => typeof a === 'string')))) {
    throw new InvalidArgumentError('createClientAssertion: audience must be a string or an array of strings');
  }
  if (options.key === undefined || options.key === null) throw new InvalidArgumentError('createClientAssertion: key is required');
  const lifetime = options.lifetimeSeconds ?? DEFAULT_ASSERTION_LIFETIME_SECONDS;
  if (typeof lifetime !== 'number' || !Number.isFinite(lifetime)) throw new InvalidArgumentError('createClientAssertion: lifetimeSeconds must be a finite number');

  const isSpecialAlg = options.alg === 'none' || (options.alg !== undefined && /^HS\d+$/.test(options.alg));
  const key = await importSigningKey(options.key, isSpecialAlg ? undefined : options.alg);

  const now = nowSeconds();
  const iat = options.iat ?? (options.expired === true ? now - 360 : now);
  const exp = options.exp ?? (options.expired === true ? now - 300 : iat + lifetime);
  const payload: Record<string, unknown> = {
    iss: options.issuer ?? clientId,
    sub: options.subject ?? clientId,
    aud: audience,
    jti: options.jti ?? randomJti(),
    iat,
    exp,
  };
  if (options.claims !== undefined) Object.assign(payload, options.claims);
  for (const claim of options.omit ?? []) delete payload[claim];

  const header: Record<string, unknown> = { alg: key.alg };
  if (typeof key.publicJwk.kid === 'string') header.kid = key.publicJwk.kid;

  return signJws({ key, header, payload, overrides: { ...options, alg: options.alg === key.alg ? undefined : options.alg }, what: 'client assertion' });
}
