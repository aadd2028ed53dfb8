/**
 * What a check sees while it runs (a check is a function of its context,
 * as in Schemathesis): the configuration, drafts of otherwise valid
 * requests (draft.ts), a sender (send.ts), judgements (judge.ts) and the
 * findings and notes the check collects. The seams live in those modules;
 * this class only binds them to one check of one run.
 */
import { CLIENT_CREDENTIALS_GRANT, CONFIDENTIAL_AUTH_METHODS } from '../oauth/protocol';
import { SkipCheck } from './skip';
import type { AuthMethod, ResolvedClient, ResolvedConfig } from './config';
import { draftRequest, type DraftOptions, type RequestDraft } from './draft';
import type { DiscoveredMetadata, IssuerMetadata, WellKnownAnswer } from './discovery';
import type { Exchange, WireResponse } from './exchange';
import {
  coreProblems,
  expectNoToken,
  expectRejection,
  expectToken,
  type FindingDetails,
  type IssuedToken,
  type JudgeContext,
  type RejectionExpectation,
  type TokenExpectation,
} from './judge';
import { sendDraft, signAssertion, type SendOptions } from './send';
import type { Session } from './session';
import type { AssertionSpec } from './signing';
import type { CheckDescriptor, Finding, Level, Profile } from './types';
import { summarize, viewOf } from './views';
import type { Problem } from '../validate';

/** The order a check that needs "a client" takes them in: Basic, then post, then private_key_jwt (RFC 6749 §2.3.1 names Basic first). */
const PREFERRED_METHODS: readonly AuthMethod[] = CONFIDENTIAL_AUTH_METHODS;

export class CheckContext implements JudgeContext {
  readonly findings: Finding[] = [];
  readonly exchanges: Exchange[] = [];
  private readonly notes: string[] = [];

  constructor(
    readonly session: Session,
    readonly check: CheckDescriptor,
  ) {}

  get checkId(): string {
    return this.check.id;
  }

  get level(): Level {
    return this.check.level;
  }

  get config(): ResolvedConfig {
    return this.session.config;
  }

  get profile(): Profile {
    return this.session.config.profile;
  }

  /** The token endpoint URL (also the DPoP `htu`, RFC 9449 §4.2). */
  get tokenUrl(): string {
    return this.session.config.url;
  }

  /** Why the check passed, for the report (e.g. "405 with Allow: POST"). */
  note(text: string): void {
    this.notes.push(text);
  }

  get passMessage(): string {
    return this.notes.join('; ');
  }

  skip(reason: string): never {
    throw new SkipCheck(reason);
  }

  /** What the issuer's well-known URLs answered at the start of the run; skips the check without them. */
  issuerMetadata(): IssuerMetadata {
    return this.session.metadata ?? this.skip('needs the issuer\'s metadata (--issuer URL, config "issuer")');
  }

  /** The metadata document the run read (its members, the answer it came in); skips the check when there is none (meta-document says why). */
  metadataDocument(): { metadata: DiscoveredMetadata; answer: WellKnownAnswer; body: Record<string, unknown> } {
    const read = this.issuerMetadata();
    const answer = read.answers.find((a) => a.url === read.metadata?.metadataUrl);
    if (read.metadata === undefined || answer?.body === undefined) return this.skip('no usable metadata document (see meta-document and meta-issuer)');
    return { metadata: read.metadata, answer, body: answer.body };
  }

  /** The clients registered for client_credentials: the ones the checks of that grant use (the others are the lifecycle checks', grants.ts). */
  get clientCredentialsClients(): ResolvedClient[] {
    return this.config.clients.filter((c) => c.grantTypes.has(CLIENT_CREDENTIALS_GRANT));
  }

  /** A configured client_credentials client, by method (or the preferred one); skips the check when there is none. */
  client(...methods: AuthMethod[]): ResolvedClient {
    const order = methods.length > 0 ? methods : PREFERRED_METHODS;
    const clients = this.clientCredentialsClients;
    for (const method of order) {
      const client = clients.find((c) => c.auth === method && !c.requiresDpop) ?? clients.find((c) => c.auth === method);
      if (client) return client;
    }
    return this.skip(`needs a client using ${order.join(' or ')}`);
  }

  /** An otherwise valid token request for `client_credentials` (RFC 6749 §4.4.2). */
  draft(options: DraftOptions = {}): RequestDraft {
    const client = options.client === undefined ? this.client() : options.client;
    return draftRequest(this.config, client, options, this.session.secrets);
  }

  /** A signed client assertion for `client` (registered as a secret, never shown). */
  assertion(client: ResolvedClient, spec: AssertionSpec = {}): Promise<string> {
    return signAssertion(this.session, client, spec, this.tokenUrl);
  }

  /** Sends a draft; on `use_dpop_nonce` retries once with the server's nonce (RFC 9449 §8). */
  send(draft: RequestDraft, options: SendOptions = {}): Promise<Exchange> {
    return sendDraft(
      this.session,
      this.check.id,
      draft,
      options,
      (exchange) => {
        this.exchanges.push(exchange);
        this.session.journal.push(exchange);
      },
      (text) => this.note(text),
    );
  }

  // ---- findings and judgements ---------------------------------------------

  finding(level: Level, message: string, details: FindingDetails = {}): void {
    const { exchangeOf, ...rest } = details;
    const finding: Finding = { level, message: this.scrub(message), ...rest };
    if (finding.received !== undefined) finding.received = this.scrub(finding.received);
    if (finding.expected !== undefined) finding.expected = this.scrub(finding.expected);
    if (exchangeOf) finding.exchange = viewOf(exchangeOf, this.session.secrets, { proxy: this.session.config.proxy, caFile: this.session.config.caFile });
    this.findings.push(finding);
  }

  isOwned(problem: Problem): boolean {
    return this.session.owners.ownerOf(problem) !== undefined;
  }

  /** Sends a draft that must be answered with a token (judge.ts `expectToken`). */
  async sendExpectingToken(draft: RequestDraft, expectation: TokenExpectation = {}, options?: SendOptions): Promise<IssuedToken | undefined> {
    return this.expectToken(await this.send(draft, options), expectation);
  }

  /** Sends a draft that must be refused (judge.ts `expectRejection`); true when it was refused as expected. */
  async sendExpectingRejection(draft: RequestDraft, expectation: RejectionExpectation, options?: SendOptions): Promise<boolean> {
    return this.expectRejection(await this.send(draft, options), expectation);
  }

  expectToken(exchange: Exchange, expectation: TokenExpectation = {}): IssuedToken | undefined {
    return expectToken(this, exchange, expectation);
  }

  expectRejection(exchange: Exchange, expectation: RejectionExpectation): boolean {
    return expectRejection(this, exchange, expectation);
  }

  expectNoToken(exchange: Exchange, level?: Level, what?: string, expected?: string): boolean {
    return expectNoToken(this, exchange, level, what, expected);
  }

  /** The validation core's problems for a response, before ownership filtering. */
  coreProblems(exchange: Exchange, kind: 'success' | 'error' | 'any'): Problem[] {
    return coreProblems(exchange, kind);
  }

  // ---- views ------------------------------------------------------------

  scrub(text: string): string {
    return this.session.secrets.scrub(text);
  }

  /** A response in a few words, for messages; secrets scrubbed. */
  summarize(res: WireResponse): string {
    return summarize(res, (text) => this.scrub(text));
  }
}
