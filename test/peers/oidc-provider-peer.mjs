// panva oidc-provider as a real client_credentials token endpoint, in its own
// process (it is ESM-only and wants Node 22; every path used here runs on 20).
//
// Input: env PEER_CONFIG = JSON { requireNonce: boolean, clients: [...] }.
// Output: one line `READY <port>` on stdout once listening on 127.0.0.1.
// The process exits when its parent closes stdin (parent exit or crash).
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

const config = JSON.parse(process.env.PEER_CONFIG ?? '{}');
const RESOURCE = 'urn:attesto:peer:api';

// Exit with the parent: stdin is a pipe the parent holds open.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();

const server = http.createServer();
server.listen(0, '127.0.0.1', async () => {
  try {
    const { port } = server.address();
    const issuer = `http://127.0.0.1:${port}`;
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const signingJwk = { ...(await exportJWK(privateKey)), alg: 'ES256', use: 'sig', kid: 'peer-es256' };

    const provider = new Provider(issuer, {
      clients: config.clients,
      // The provider's only key is ES256; its id_token default (RS256) would make every client invalid.
      clientDefaults: { id_token_signed_response_alg: 'ES256' },
      jwks: { keys: [signingJwk] },
      scopes: ['read', 'write', 'admin'],
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        introspection: { enabled: true },
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
            accessTokenFormat: 'jwt',
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
    process.stdout.write(`READY ${port}\n`);
  } catch (error) {
    process.stderr.write(`peer failed to start: ${error?.stack ?? error}\n`);
    process.exit(1);
  }
});
