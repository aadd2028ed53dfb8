/**
 * Mutual TLS (group `mtls`, RFC 8705): client authentication by the
 * certificate of the TLS handshake (§2.1 tls_client_auth, §2.2
 * self_signed_tls_client_auth), tokens bound to it (§3.1), and a
 * certificate no header can stand in for. Requests with a certificate go to
 * the mTLS token endpoint (config mtlsUrl, the metadata's alias). The
 * impostor certificates (the same subject under another CA, or with another
 * key) are made for the run (src/oauth/x509.ts); none is a secret. An
 * opaque token's binding is asked of introspection (src/conformance/introspection.ts).
 */
import { X509Certificate } from 'node:crypto';
import { isPlainObject } from '../../oauth/guards';
import { CLIENT_CERT_HEADER, X5T_S256, isMtlsAuthMethod } from '../../oauth/protocol';
import type { ResolvedClient } from '../config';
import type { CheckContext } from '../context';
import { identityOf, setHeader, type RequestDraft } from '../draft';
import type { Exchange } from '../exchange';
import type { ClientIdentity } from '../http';
import { introspectAccessToken } from '../introspection';
import { decodeAccessToken } from '../signing';
import { NotJudged } from '../skip';
import { check, type Check } from './define';

/** RFC 6749 §5.2: a failed client authentication; 401 when the client tried a header scheme, which mutual TLS is not (400 then). */
const CLIENT_REFUSED = { error: 'invalid_client', status: [400, 401] } as const;

/**
 * Sends a request that must not authenticate. A server that asks for a
 * certificate in the handshake and ends it when none (or a wrong one)
 * comes refuses too, before any HTTP: no answer is such a refusal (mtls-ok,
 * which needs an answer, says when the endpoint cannot be reached at all).
 */
async function expectRefused(ctx: CheckContext, draft: RequestDraft, what: string): Promise<void> {
  const exchange = await sendToMtlsEndpoint(ctx, draft, what);
  if (exchange.response === undefined) {
    ctx.note(`${what}: refused in the TLS handshake (${exchange.error})`);
    return;
  }
  ctx.expectRejection(exchange, { ...CLIENT_REFUSED, what });
}

/**
 * Sends to the mTLS endpoint. An exchange without answer comes back only when
 * the handshake was refused (an alert, a reset): the server's word. No server
 * to ask (a refused connection, a timeout, a server certificate the run does
 * not trust) says nothing of the client certificate: not judged, with what to
 * check.
 */
async function sendToMtlsEndpoint(ctx: CheckContext, draft: RequestDraft, what: string): Promise<Exchange> {
  const exchange = await ctx.send(draft, { allowNoResponse: true });
  if (exchange.response !== undefined) return exchange;
  const reason = exchange.error ?? 'no answer';
  if (HANDSHAKE_REFUSAL.test(reason)) return exchange;
  throw new NotJudged(`${what}: no answer from the mTLS endpoint ${draft.url} (${reason}), not judged: is mtlsUrl right, and its certificate trusted (--ca-file)?`);
}

/** The configured clients that present a certificate, mutual-TLS authenticating ones first. */
function certificateClients(ctx: CheckContext): ResolvedClient[] {
  const clients = ctx.clientCredentialsClients.filter((c) => c.certificate !== undefined);
  const mtls = (c: ResolvedClient) => isMtlsAuthMethod(c.auth);
  return [...clients.filter(mtls), ...clients.filter((c) => !mtls(c))];
}

function clientWith(ctx: CheckContext, auth: 'tls_client_auth' | 'self_signed_tls_client_auth'): ResolvedClient {
  return ctx.clientCredentialsClients.find((c) => c.auth === auth && c.certificate !== undefined) ?? ctx.skip(`needs a client with "auth": "${auth}" and its certificate`);
}

/**
 * An impostor made for the run: the client's subject and alternative names
 * (copied as encoded) under a CA made for the run, self-signed with a fresh
 * key, or (`another`) a certificate of another subject.
 */
async function impostor(kind: 'other-ca' | 'other-key' | 'another', client: ResolvedClient): Promise<ClientIdentity> {
  const x509 = await import('../../oauth/x509');
  const made =
    kind === 'another'
      ? await x509.createSelfSignedClientCertificate('CN=token-contract another client')
      : await x509.createImpostorCertificate(client.certificate!.pem, kind === 'other-ca' ? await x509.createCertificateAuthority('CN=token-contract impostor CA') : undefined);
  return { id: `impostor:${kind}:${new X509Certificate(made.certificate).fingerprint256}`, certificate: made.certificate, key: made.key, madeForRun: true };
}

/**
 * Errors by which a peer that reached TLS ends a handshake it will not
 * complete: an alert, or the connection reset or cut once the request is
 * out. Any other missing answer (refused, timed out, a server certificate
 * the run does not trust) says nothing about the client certificate.
 */
const HANDSHAKE_REFUSAL = /ALERT|ECONNRESET|EPIPE|socket hang up|connection reset|closed the connection/i;

export const mtlsOk = check({
  id: 'mtls-ok',
  title: 'a client presenting its certificate at the mTLS token endpoint gets a token',
  level: 'MUST',
  reference: 'RFC 8705 §2 (§2.1 tls_client_auth, §2.2 self_signed_tls_client_auth)',
  group: 'mtls',
  requires: ['mtls'],
  async run(ctx) {
    for (const client of certificateClients(ctx)) {
      const what = `client ${client.id} (${client.auth}) with its certificate`;
      // Refused in the handshake with its own certificate: no token, a failure (expectToken says so).
      ctx.expectToken(await sendToMtlsEndpoint(ctx, ctx.draft({ client, mtls: true }), what), { what });
    }
  },
});

export const mtlsNoCert = check({
  id: 'mtls-no-cert',
  title: 'a mutual-TLS client without a certificate is refused with invalid_client',
  level: 'MUST',
  reference: 'RFC 8705 §2; RFC 6749 §5.2',
  group: 'mtls',
  requires: ['mtls'],
  async run(ctx) {
    const clients = certificateClients(ctx).filter((c) => isMtlsAuthMethod(c.auth));
    if (clients.length === 0) ctx.skip('needs a client with "auth": "tls_client_auth" or "self_signed_tls_client_auth"');
    for (const client of clients) await expectRefused(ctx, ctx.draft({ client, mtls: null }), `client ${client.id} (${client.auth}) without a certificate`);
  },
});

export const mtlsWrongCert = check({
  id: 'mtls-wrong-cert',
  title: "a mutual-TLS client presenting another client's certificate is refused",
  level: 'MUST',
  reference: 'RFC 8705 §2.1, §2.2',
  group: 'mtls',
  requires: ['mtls'],
  async run(ctx) {
    const clients = certificateClients(ctx);
    const client = clients.find((c) => isMtlsAuthMethod(c.auth)) ?? ctx.skip('needs a client with "auth": "tls_client_auth" or "self_signed_tls_client_auth"');
    // RFC 8705 §2.1 binds tls_client_auth to a subject (or SAN): another certificate of the same subject may rightly pass. Only one of another subject is wrong.
    const other = clients.find((c) => c.certificate!.subject !== client.certificate!.subject);
    // Another configured client's certificate; with none, a certificate of another subject made for the run.
    const identity = other !== undefined ? identityOf(other.certificate!) : await impostor('another', client);
    const what = `client ${client.id} (${client.auth}) with ${other !== undefined ? `client ${other.id}'s certificate` : 'a certificate of another subject'}`;
    await expectRefused(ctx, ctx.draft({ client, mtls: identity }), what);
  },
});

/**
 * The table form of the impostor checks: a certificate made for the run
 * that claims the client's subject (and SANs) must not authenticate it.
 */
function impostorCheck(spec: { id: string; title: string; reference: string; auth: 'tls_client_auth' | 'self_signed_tls_client_auth'; kind: 'other-ca' | 'other-key'; what: string }): Check {
  return check({
    id: spec.id,
    title: spec.title,
    level: 'MUST',
    reference: spec.reference,
    group: 'mtls',
    requires: [spec.auth],
    async run(ctx) {
      const client = clientWith(ctx, spec.auth);
      await expectRefused(ctx, ctx.draft({ client, mtls: await impostor(spec.kind, client) }), `client ${client.id}'s subject, ${spec.what}`);
    },
  });
}

export const mtlsUntrustedCa = impostorCheck({
  id: 'mtls-untrusted-ca',
  title: 'tls_client_auth: a certificate with the registered subject under an untrusted CA is refused',
  reference: 'RFC 8705 §2.1 (the certificate chains to a trust anchor), §2.1.2',
  auth: 'tls_client_auth',
  kind: 'other-ca',
  what: 'under a CA made for the run',
});

export const mtlsSelfSignedWrongKey = impostorCheck({
  id: 'mtls-self-signed-wrong-key',
  title: 'self_signed_tls_client_auth: a self-signed certificate with the same subject but another key is refused',
  reference: 'RFC 8705 §2.2 (the certificate matches one the client registered)',
  auth: 'self_signed_tls_client_auth',
  kind: 'other-key',
  what: 'self-signed with another key',
});

export const mtlsBound = check({
  id: 'mtls-bound',
  title: 'a token issued over mutual TLS is bound to the certificate: cnf["x5t#S256"] is its SHA-256 thumbprint',
  level: 'MUST',
  reference: 'RFC 8705 §3.1, §3.2 (in a JWT access token, or by introspection for an opaque one; a wrong thumbprint MUST; an absent one SHOULD, CONTRACT for a client the config says is bound)',
  group: 'mtls',
  requires: ['mtls'],
  async run(ctx) {
    // The server binds when it says so: its metadata (RFC 8705 §3.3) or the client's registration (§3.4).
    const advertised = ctx.session.metadata?.answers.some((a) => a.body?.tls_client_certificate_bound_access_tokens === true) === true;
    const clients = certificateClients(ctx).filter((c) => advertised || c.certificateBoundTokens);
    if (clients.length === 0) ctx.skip('the server does not say it binds tokens to certificates (metadata tls_client_certificate_bound_access_tokens, or a client with "certificateBoundTokens": true)');
    for (const client of clients) {
      const exchange = await sendToMtlsEndpoint(ctx, ctx.draft({ client, mtls: true }), `client ${client.id} with its certificate`);
      const token = ctx.expectToken(exchange, { what: `client ${client.id} with its certificate` });
      if (!token) continue;
      // A JWT access token carries its cnf (§3.1); an opaque one's is asked of introspection (§3.2), when there is one.
      const claims = decodeAccessToken(token.accessToken);
      let cnfOf: { cnf: unknown; where: string; exchange: Exchange; introspected: boolean };
      if (claims) cnfOf = { cnf: claims.cnf, where: "the access token's", exchange, introspected: false };
      else {
        const introspection = await introspectAccessToken(ctx, client, token.accessToken);
        if ('unavailable' in introspection) {
          ctx.note(`client ${client.id}: the access token is opaque and its binding is not visible: ${introspection.unavailable}`);
          continue;
        }
        cnfOf = { cnf: introspection.claims.cnf, where: "introspection's", exchange: introspection.exchange, introspected: true };
      }
      const cnf = isPlainObject(cnfOf.cnf) ? cnfOf.cnf : undefined;
      const x5t = cnf?.[X5T_S256];
      const details = { expected: client.certificate!.thumbprint, received: x5t === undefined ? (cnf === undefined ? 'no cnf claim' : JSON.stringify(cnf)) : String(x5t), exchangeOf: cnfOf.exchange };
      if (x5t === client.certificate!.thumbprint) ctx.note(`client ${client.id}: ${cnfOf.where} cnf["x5t#S256"] matches`);
      // A thumbprint that is there but not the certificate's binds the token to another certificate: wrong (§3.1).
      else if (x5t !== undefined) ctx.finding('MUST', `${cnfOf.where} cnf["x5t#S256"] is not the certificate's thumbprint`, details);
      // Absent from introspection: RFC 7662 §2.2 makes it optional, and the run asks as the client (not a resource server).
      else if (cnfOf.introspected) ctx.note(`client ${client.id}: introspection's answer has no cnf["x5t#S256"] (RFC 7662 §2.2: optional for this caller)`);
      // Absent: §3.1 says the binding SHOULD be carried so; the config's promise (certificateBoundTokens) makes it CONTRACT.
      else if (client.certificateBoundTokens) ctx.finding('CONTRACT', `${cnfOf.where} cnf of client ${client.id}, which the config says gets certificate-bound tokens, has no x5t#S256`, { ...details, reference: 'RFC 8705 §3.1, §3.2, §3.4; the configuration' });
      // The metadata says the server supports binding (§3.3), which a server may do per client: said, not judged.
      else ctx.note(`client ${client.id}: the token carries no cnf["x5t#S256"] (the metadata says bound tokens are supported; this client may not be registered for them)`);
    }
  },
});

export const mtlsRequiredAbsent = check({
  id: 'mtls-required-absent',
  title: 'a client that must get certificate-bound tokens gets no token without a certificate',
  // RFC 8705 §3.4 leaves it to the server ("at the authorization server's discretion"): the configuration's promise.
  level: 'CONTRACT',
  reference: 'RFC 8705 §3.4 (tls_client_certificate_bound_access_tokens); the configuration (certificateBoundTokens)',
  group: 'mtls',
  requires: ['certificate_bound_client'],
  async run(ctx) {
    const client = certificateClients(ctx).find((c) => c.certificateBoundTokens)!;
    // At the plain token endpoint, and at the mTLS one without a certificate: neither may give an unbound token.
    for (const mtls of [false, null] as const) {
      // No answer (a handshake that wants a certificate) issues no token either.
      ctx.expectNoToken(await ctx.send(ctx.draft({ client, mtls }), { allowNoResponse: true }), 'CONTRACT', `client ${client.id} without its certificate${mtls === null ? ' at the mTLS endpoint' : ''}`);
    }
  },
});

/** Headers TLS-terminating proxies put a client certificate in; from a client they prove nothing. */
const SPOOFED_HEADERS: ReadonlyArray<readonly [string, (certificate: X509Certificate) => string]> = [
  // RFC 9440 §2.2: the DER as a byte sequence.
  [CLIENT_CERT_HEADER, (certificate) => `:${certificate.raw.toString('base64')}:`],
  // Envoy's, and nginx/Apache's usual names: the PEM, URL-encoded.
  ['X-Forwarded-Client-Cert', (certificate) => `Cert=${encodeURIComponent(certificate.toString())}`],
  ['X-SSL-Client-Cert', (certificate) => encodeURIComponent(certificate.toString())],
];

export const mtlsHeaderSpoof = check({
  id: 'mtls-header-spoof',
  title: "a client certificate sent in a header (Client-Cert, X-Forwarded-Client-Cert, X-SSL-Client-Cert) over a connection without one authenticates nothing",
  level: 'MUST',
  reference: 'RFC 8705 §2 (the certificate of the TLS handshake); RFC 9440 §4 (the header only from a trusted proxy)',
  group: 'mtls',
  requires: ['mtls'],
  async run(ctx) {
    const client = certificateClients(ctx).find((c) => isMtlsAuthMethod(c.auth)) ?? ctx.skip('needs a client with "auth": "tls_client_auth" or "self_signed_tls_client_auth"');
    const certificate = new X509Certificate(client.certificate!.pem);
    const endpoints = ctx.config.mtlsUrl !== undefined && ctx.config.mtlsUrl !== ctx.config.url ? ([null, false] as const) : ([null] as const);
    for (const [header, value] of SPOOFED_HEADERS) {
      for (const mtls of endpoints) {
        const draft = setHeader(ctx.draft({ client, mtls }), header, value(certificate));
        ctx.expectNoToken(await ctx.send(draft, { allowNoResponse: true }), 'MUST', `client ${client.id}'s certificate in ${header}, no certificate in the handshake${mtls === false ? ' (the plain token endpoint)' : ''}`);
      }
    }
  },
});

export const MTLS_CHECKS = [mtlsOk, mtlsNoCert, mtlsWrongCert, mtlsUntrustedCa, mtlsSelfSignedWrongKey, mtlsBound, mtlsRequiredAbsent, mtlsHeaderSpoof];
