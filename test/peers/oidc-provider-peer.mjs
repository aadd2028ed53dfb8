// panva oidc-provider as a real client_credentials token endpoint, in its own
// process (it is ESM-only and wants Node 22; every path used here runs on 20).
//
// Input: env PEER_CONFIG = JSON { requireNonce: boolean, clients: [...], codeLifetimeSeconds?: number,
//   accessTokenFormat?: 'jwt' | 'opaque', mtls?: { certificate, key, clientCa } (PEM) }.
// With mtls the provider listens on https, asks every client for a certificate (judged per request, never
// refused in the handshake) and runs its mTLS feature (RFC 8705: tls_client_auth, self_signed_tls_client_auth,
// certificate-bound tokens); the issuer is then https://127.0.0.1:<port>.
// Output: one line `READY <port>` on stdout once listening on 127.0.0.1.
// The process exits when its parent closes stdin (parent exit or crash).
//
// Test-only control path (no browser, no extra port): the parent writes one
// JSON request a line on stdin, `{"id":1,"op":"issueCode","clientId":...,
// "scope":...,"redirectUri":...,"codeChallenge":...,"dpopJkt"?:...}`, and the
// child answers with one line `REPLY {"id":1,"ok":true,"result":{...}}` (or
// `"ok":false,"error":"..."`) on stdout. issueCode does what the provider's
// own authorization endpoint does after login and consent: it saves a Grant
// for the client and an AuthorizationCode bound to the S256 challenge, the
// redirect URI and the grant, through the provider's models.
import { randomBytes, X509Certificate } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

const config = JSON.parse(process.env.PEER_CONFIG ?? '{}');
const RESOURCE = 'urn:attesto:peer:api';

const ACCOUNT_ID = 'peer-user';

// Exit with the parent: stdin is a pipe the parent holds open.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();

/** Set once the provider exists; requests before that are refused. */
let control;
let pending = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  const lines = (pending + chunk).split('\n');
  pending = lines.pop();
  for (const line of lines) if (line.trim() !== '') void answer(line);
});

async function answer(line) {
  let id = null;
  try {
    const request = JSON.parse(line);
    id = request.id ?? null;
    if (!control) throw new Error('provider not started');
    const handler = control[request.op];
    if (typeof handler !== 'function') throw new Error(`unknown op ${JSON.stringify(request.op)}`);
    reply({ id, ok: true, result: await handler(request) });
  } catch (error) {
    reply({ id, ok: false, error: String(error?.message ?? error) });
  }
}

function reply(message) {
  process.stdout.write(`REPLY ${JSON.stringify(message)}\n`);
}

/** The control operations, on a started provider. */
function controlFor(provider) {
  return {
    /**
     * A Grant and an AuthorizationCode as the authorization endpoint would save them after consent
     * (RFC 6749 §4.1.2), for an S256 challenge (RFC 7636 §4.3) the parent made.
     */
    async issueCode({ clientId, scope, redirectUri, codeChallenge, dpopJkt }) {
      const client = await provider.Client.find(String(clientId));
      if (!client) throw new Error(`no client ${JSON.stringify(clientId)}`);
      if (typeof codeChallenge !== 'string' || codeChallenge === '') throw new Error('codeChallenge (S256) is required');
      const allowed = new Set((client.scope ?? '').split(' ').filter(Boolean));
      const granted = (typeof scope === 'string' ? scope.split(' ').filter(Boolean) : [...allowed]).filter((s) => allowed.has(s)).join(' ');
      const grant = new provider.Grant({ accountId: ACCOUNT_ID, clientId: client.clientId });
      if (granted !== '') grant.addResourceScope(RESOURCE, granted);
      const grantId = await grant.save();
      const code = new provider.AuthorizationCode({
        accountId: ACCOUNT_ID,
        client,
        grantId,
        scope: granted,
        resource: RESOURCE,
        redirectUri,
        codeChallenge,
        codeChallengeMethod: 'S256',
        authTime: Math.floor(Date.now() / 1000),
        ...(typeof dpopJkt === 'string' ? { dpopJkt } : {}),
        ...(config.codeLifetimeSeconds ? { expiresIn: config.codeLifetimeSeconds } : {}),
      });
      return { code: await code.save(), scope: granted };
    },
  };
}

/** The provider's mTLS feature (RFC 8705) over the https listener: the handshake's certificate, read from the socket. */
function mtlsFeature() {
  const certificateOf = (ctx) => {
    const peer = ctx.socket.getPeerX509Certificate?.();
    return peer === undefined ? undefined : peer.toString();
  };
  return {
    enabled: true,
    certificateBoundAccessTokens: true,
    tlsClientAuth: true,
    selfSignedTlsClientAuth: true,
    getCertificate: certificateOf,
    // Node checked the chain against the listener's `ca` (the client CA) in the handshake.
    certificateAuthorized: (ctx) => ctx.socket.authorized === true,
    // Only the subject DN is registered here; node prints one RDN a line, the registration joins them with commas.
    certificateSubjectMatches: (ctx, property, expected) => {
      const pem = certificateOf(ctx);
      if (pem === undefined || property !== 'tls_client_auth_subject_dn') return false;
      return new X509Certificate(pem).subject.split('\n').join(',') === expected;
    },
  };
}

const server = config.mtls
  ? https.createServer({ cert: config.mtls.certificate, key: config.mtls.key, ca: config.mtls.clientCa, requestCert: true, rejectUnauthorized: false })
  : http.createServer();
server.listen(0, '127.0.0.1', async () => {
  try {
    const { port } = server.address();
    const issuer = `${config.mtls ? 'https' : 'http'}://127.0.0.1:${port}`;
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const signingJwk = { ...(await exportJWK(privateKey)), alg: 'ES256', use: 'sig', kid: 'peer-es256' };

    const provider = new Provider(issuer, {
      clients: config.clients,
      // The provider's only key is ES256; its id_token default (RS256) would make every client invalid.
      clientDefaults: { id_token_signed_response_alg: 'ES256' },
      jwks: { keys: [signingJwk] },
      scopes: ['read', 'write', 'admin'],
      // Codes are issued only through the control path above (no login, no consent pages).
      // A refresh token for every code redemption by a client registered for refresh_token
      // (the default wants the offline_access scope), and a new one on every refresh.
      issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
      rotateRefreshToken: true,
      // PKCE for every client at the authorization endpoint; 9.x knows only S256 (plain is refused).
      pkce: { required: () => true },
      // The stock methods, and with mTLS its two (RFC 8705 §2.1, §2.2).
      clientAuthMethods: ['client_secret_basic', 'client_secret_jwt', 'client_secret_post', 'private_key_jwt', 'none', ...(config.mtls ? ['tls_client_auth', 'self_signed_tls_client_auth'] : [])],
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        introspection: { enabled: true },
        ...(config.mtls ? { mTLS: mtlsFeature() } : {}),
        dPoP: config.requireNonce
          ? { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true }
          : { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => RESOURCE,
          useGrantedResource: () => true,
          getResourceServerInfo: () => ({
            scope: 'read write',
            audience: RESOURCE,
            accessTokenTTL: 900,
            accessTokenFormat: config.accessTokenFormat ?? 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          }),
        },
      },
      enabledJWA: {
        // Stock list plus RSA, so RS256/PS256 proofs can be proven too.
        dPoPSigningAlgValues: ['ES256', 'Ed25519', 'EdDSA', 'PS256', 'RS256'],
      },
    });
    server.on('request', provider.callback());
    control = controlFor(provider);
    process.stdout.write(`READY ${port}\n`);
  } catch (error) {
    process.stderr.write(`peer failed to start: ${error?.stack ?? error}\n`);
    process.exit(1);
  }
});
