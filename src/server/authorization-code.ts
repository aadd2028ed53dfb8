/**
 * Authorization codes of the reference server (RFC 6749 §4.1): issued by
 * /authorize (src/server/authorize.ts), redeemed at the token endpoint with
 * PKCE S256 (RFC 7636 §4.5, §4.6), the exact redirect URI (RFC 6749 §4.1.3),
 * by the client they were issued to, once, within their lifetime, and, when
 * the authorization request named a `dpop_jkt`, with a DPoP proof of that
 * key (RFC 9449 §10).
 *
 * A redeemed code stays in the store until it expires, marked with the
 * grant family it started, so a second redemption is refused and revokes
 * the refresh tokens of the first (RFC 6749 §4.1.2: "If an authorization
 * code is used more than once, the authorization server MUST deny the
 * request and SHOULD revoke (when possible) all tokens previously issued
 * based on that authorization code"). Access tokens are self-contained JWTs
 * with no introspection here, so they cannot be revoked: they run out.
 *
 * As with refresh tokens, `check` and `redeem` are synchronous and run with
 * no await between them, so of concurrent redemptions exactly one wins.
 */
import { verifyS256 } from '../oauth/pkce';
import { OAUTH_PARAMETERS, REFRESH_TOKEN_GRANT } from '../oauth/protocol';
import type { RegisteredClient } from './config';
import { invalidGrant, invalidRequest } from './errors';
import { ExpiringStore, newOpaqueToken } from './expiring-store';
import type { GrantFamily, RefreshTokens } from './refresh-token';

/** What the authorization request established (RFC 6749 §4.1.1, RFC 7636 §4.3, RFC 9449 §10). */
export interface AuthorizationGrant {
  readonly clientId: string;
  /** The redirect URI the code was sent to. */
  readonly redirectUri: string;
  /** Whether the request named it: then the token request must repeat it (RFC 6749 §4.1.3). */
  readonly redirectUriGiven: boolean;
  /** The S256 challenge (RFC 7636 §4.2); a code without one is never issued. */
  readonly codeChallenge: string;
  readonly scopes: readonly string[];
  readonly subject: string;
  /** RFC 9449 §10: the thumbprint the code is bound to. */
  readonly dpopJkt: string | undefined;
}

export interface CodeRecord extends AuthorizationGrant {
  /** Set on redemption: the family the code started. */
  redeemed?: GrantFamily;
}

export interface CodePlan {
  readonly record: CodeRecord;
}

/** What a redemption issues besides the access token. */
export interface CodeRedemption {
  readonly family: GrantFamily;
  readonly refreshToken: string | undefined;
}

export class AuthorizationCodes {
  private readonly store: ExpiringStore<CodeRecord>;

  constructor(
    maxEntries: number,
    private readonly lifetimeSeconds: number,
    private readonly clock: () => number,
  ) {
    this.store = new ExpiringStore(maxEntries, clock);
  }

  /** A new code for `grant`, or `full` when the store has no room (the caller answers temporarily_unavailable). */
  issue(grant: AuthorizationGrant): string | 'full' {
    const code = newOpaqueToken();
    const outcome = this.store.set(code, { ...grant }, this.clock() + this.lifetimeSeconds * 1000);
    return outcome === 'full' ? 'full' : code;
  }

  /** Whole seconds until the store frees a slot (a `Retry-After` value). */
  retryAfterSeconds(): number {
    return this.store.retryAfterSeconds();
  }

  /**
   * Whether the token request may redeem its code: RFC 6749 §4.1.3 and
   * RFC 7636 §4.6, in that order. A failed check leaves the code as it was
   * (only its rightful use consumes it), except a second redemption, which
   * revokes what the first issued.
   */
  check(params: ReadonlyMap<string, string>, client: RegisteredClient, proofJkt: string | undefined): CodePlan {
    const code = params.get(OAUTH_PARAMETERS.code);
    if (code === undefined) throw invalidRequest('missing code');
    const record = this.store.get(code);
    if (record === undefined) throw invalidGrant('unknown or expired authorization code');
    // RFC 6749 §4.1.3: "ensure that the authorization code was issued to the authenticated confidential client, or ... public client".
    if (record.clientId !== client.id) throw invalidGrant('authorization code was issued to another client (RFC 6749 4.1.3)');
    if (record.redeemed !== undefined) {
      record.redeemed.revoked = true;
      throw invalidGrant('authorization code was already used; the tokens issued for it are revoked (RFC 6749 4.1.2)');
    }
    const redirectUri = params.get(OAUTH_PARAMETERS.redirectUri);
    if (redirectUri === undefined) {
      if (record.redirectUriGiven) throw invalidRequest('missing redirect_uri: it was in the authorization request (RFC 6749 4.1.3)');
    } else if (redirectUri !== record.redirectUri) {
      // RFC 6749 §4.1.3: "their values are identical"; exact string comparison (RFC 9700 §4.1.3).
      throw invalidGrant('redirect_uri does not match the authorization request (RFC 6749 4.1.3)');
    }
    const verifier = params.get(OAUTH_PARAMETERS.codeVerifier);
    // Every code here has a challenge (/authorize requires one), so the verifier is always required (RFC 7636 §4.5).
    if (verifier === undefined) throw invalidRequest('missing code_verifier: PKCE is required (RFC 7636 4.5)');
    if (!verifyS256(verifier, record.codeChallenge)) throw invalidGrant('code_verifier does not match the code_challenge (RFC 7636 4.6)');
    if (record.dpopJkt !== undefined) {
      if (proofJkt === undefined) throw invalidGrant('authorization code is bound to a DPoP key (dpop_jkt): send a DPoP proof signed with it (RFC 9449 10)');
      if (proofJkt !== record.dpopJkt) throw invalidGrant('DPoP proof key does not match the dpop_jkt of the authorization request (RFC 9449 10)');
    }
    return { record };
  }

  /**
   * Consumes the code: a new family, and its first refresh token when the
   * client is registered for refresh_token, bound to the proof's key for a
   * public client (RFC 9449 §5). Nothing changes if the refresh store is full.
   */
  redeem(plan: CodePlan, client: RegisteredClient, proofJkt: string | undefined, refreshTokens: RefreshTokens): CodeRedemption {
    const { record } = plan;
    const family: GrantFamily = { clientId: record.clientId, subject: record.subject, scopes: record.scopes, revoked: false };
    const refreshToken = client.grantTypes.has(REFRESH_TOKEN_GRANT) ? refreshTokens.issue(family, client.isPublic ? proofJkt : undefined) : undefined;
    record.redeemed = family;
    return { family, refreshToken };
  }
}
