/**
 * Refresh tokens (RFC 6749 §6) of the reference server: opaque, stored
 * (as digests) in a bounded expiring store, issued with authorization_code
 * only (RFC 6749 §4.4.3: never with client_credentials), bound to their
 * client, and for public clients to the DPoP key of the request that got
 * them (RFC 9449 §5).
 *
 * Every token descends from one authorization code; the tokens of one code
 * are a family. With rotation (RFC 9700 §4.14.2) each refresh retires the
 * token it used and issues a successor; presenting a retired token again
 * means two parties hold it, so the whole family is revoked, the successor
 * included. Except within the grace window (attesto's behaviour): a client
 * whose answer was lost retries with the same token and gets the same
 * successor back, as long as that successor has not been used itself.
 *
 * Checks and changes are synchronous (`check`, then `apply`, with no await
 * between them in the pipeline), so concurrent refreshes of one token are
 * serialised by the event loop: one rotates, the others see it rotated.
 */
import type { RegisteredClient } from './config';
import { grantStoreFull, invalidGrant, invalidRequest } from './errors';
import { ExpiringStore, newOpaqueToken } from './expiring-store';
import { narrowScopes } from './scope';

/** The tokens issued from one authorization code (RFC 6749 §4.1.2: what a second redemption revokes). */
export interface GrantFamily {
  readonly clientId: string;
  /** The resource owner who approved (the demo user of /authorize). */
  readonly subject: string;
  /** The scope the resource owner granted; every refresh token of the family carries it (RFC 6749 §6). */
  readonly scopes: readonly string[];
  revoked: boolean;
}

export interface RefreshRecord {
  readonly family: GrantFamily;
  /** RFC 9449 §5: the thumbprint a public client's refresh token is bound to. */
  readonly jkt: string | undefined;
  /** Set once rotated: the token that replaced this one, kept for the grace window. */
  successor?: { readonly record: RefreshRecord; readonly token: string | undefined; readonly rotatedAt: number };
}

export interface RefreshTokenSettings {
  rotation: boolean;
  graceSeconds: number;
  lifetimeSeconds: number;
  storeSize: number;
  clock: () => number;
}

/** What `check` found: the token is good for this request. */
export interface RefreshPlan {
  readonly record: RefreshRecord;
  /** The access token's scope: the family's, or narrower (RFC 6749 §6). */
  readonly scopes: string[];
  /** A retry within the grace window: the successor to hand back again. */
  readonly graceSuccessor: string | undefined;
}

export class RefreshTokens {
  private readonly store: ExpiringStore<RefreshRecord>;

  constructor(private readonly settings: RefreshTokenSettings) {
    this.store = new ExpiringStore(settings.storeSize, settings.clock);
  }

  /** Throws the 503 answer unless one more token fits (checked before anything changes). */
  assertRoom(): void {
    if (!this.store.hasRoom()) throw grantStoreFull('refresh token', this.store.retryAfterSeconds());
  }

  /** The first refresh token of a family. */
  issue(family: GrantFamily, jkt: string | undefined): string {
    this.assertRoom();
    const token = newOpaqueToken();
    this.storeRecord(family, jkt, token);
    return token;
  }

  /**
   * Whether `token` may be used by `client` with a proof of `proofJkt` for
   * `requestedScope`. A rotated token outside its grace window revokes its
   * family here, before the refusal (RFC 9700 §4.14.2).
   */
  check(token: string | undefined, client: RegisteredClient, proofJkt: string | undefined, requestedScope: string | undefined): RefreshPlan {
    if (token === undefined) throw invalidRequest('missing refresh_token');
    const record = this.store.get(token);
    if (record === undefined) throw invalidGrant('unknown or expired refresh token');
    // RFC 6749 §6: the server MUST "validate the refresh token and ensure that it was issued to the authenticated client".
    if (record.family.clientId !== client.id) throw invalidGrant('refresh token was issued to another client (RFC 6749 6)');
    // A bound token without its key is no use to anyone: refused, and not counted as a use.
    if (record.jkt !== undefined) {
      if (proofJkt === undefined) throw invalidGrant('refresh token is bound to a DPoP key: send a DPoP proof signed with it (RFC 9449 5)');
      if (proofJkt !== record.jkt) throw invalidGrant('refresh token is bound to another DPoP key (RFC 9449 5)');
    }
    if (record.family.revoked) throw invalidGrant('refresh token was revoked');
    let graceSuccessor: string | undefined;
    if (record.successor !== undefined) {
      const { successor } = record;
      const elapsed = this.settings.clock() - successor.rotatedAt;
      // Only while the successor is still the family's newest, unused token: once the client has moved on, a retry is a replay.
      const retry = successor.token !== undefined && elapsed < this.settings.graceSeconds * 1000 && successor.record.successor === undefined && this.store.get(successor.token) === successor.record;
      if (!retry) {
        record.family.revoked = true;
        throw invalidGrant('refresh token was already used; every token of its grant is revoked (RFC 9700 4.14.2)');
      }
      graceSuccessor = successor.token;
    }
    return { record, scopes: narrowScopes(requestedScope, record.family.scopes), graceSuccessor };
  }

  /**
   * The refresh token of the answer: the successor (new, or the same one
   * again within the grace window), or none without rotation (the client
   * keeps using the one it has, RFC 6749 §6 "MAY issue a new refresh token").
   */
  apply(plan: RefreshPlan, client: RegisteredClient, proofJkt: string | undefined): string | undefined {
    if (plan.graceSuccessor !== undefined) return plan.graceSuccessor;
    // RFC 9700 §4.14.2: a public client's refresh tokens MUST be sender-constrained or rotated: one bound to no key rotates, rotation off or not.
    const unboundPublic = client.isPublic && plan.record.jkt === undefined;
    if (!this.settings.rotation && !unboundPublic) return undefined;
    this.assertRoom();
    // RFC 9449 §5: a public client's token stays bound to its key; one first issued unbound (no DPoP then) is bound from the first proof on.
    const jkt = plan.record.jkt ?? (client.isPublic ? proofJkt : undefined);
    const token = newOpaqueToken();
    const successor = this.storeRecord(plan.record.family, jkt, token);
    // The successor's value is kept only if the grace window may need to hand it back.
    plan.record.successor = { record: successor, token: this.settings.graceSeconds > 0 ? token : undefined, rotatedAt: this.settings.clock() };
    return token;
  }

  private storeRecord(family: GrantFamily, jkt: string | undefined, token: string): RefreshRecord {
    const record: RefreshRecord = { family, jkt };
    const outcome = this.store.set(token, record, this.settings.clock() + this.settings.lifetimeSeconds * 1000);
    if (outcome === 'full') throw grantStoreFull('refresh token', this.store.retryAfterSeconds());
    return record;
  }
}
