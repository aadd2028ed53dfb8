/**
 * The default run's target: the reference server with its demo clients (one
 * per method, one without the grant, one bound to DPoP), and what that run
 * provides, known before any server starts (the Jest entry registers its
 * tests from it; a test pins it to what the started servers provide).
 */
import { CLIENT_CREDENTIALS_GRANT } from '../oauth/protocol';
import { createDemoClients, type ReferenceClientConfig, type ReferenceServer } from '../server';
import { capabilitiesOf, type Capability } from './capabilities';
import type { ConformanceConfig } from './config';

/** The scope the default run requests, and the one no demo client may have. */
const REFERENCE_SCOPE = 'read';
const REFERENCE_INVALID_SCOPE = 'admin';

/** The clients of the default run: the reference server's demo clients. */
export async function defaultRunClients(): Promise<ReferenceClientConfig[]> {
  return createDemoClients();
}

/** The configuration that tests a reference server with its demo clients. */
export function referenceTargetConfig(server: ReferenceServer): ConformanceConfig {
  const clients: NonNullable<ConformanceConfig['clients']> = [];
  let unauthorizedClient: ConformanceConfig['unauthorizedClient'];
  for (const info of Object.values(server.clients)) {
    const auth = info.authMethods[0];
    if (auth === undefined) continue;
    const client = {
      id: info.id,
      auth,
      ...(info.secret !== undefined ? { secret: info.secret } : {}),
      ...(info.privateJwk ? { privateKey: info.privateJwk } : {}),
      ...(info.requireDpop ? { requireDpop: true } : {}),
      // The reference server registers each demo client for one method and refuses the others.
      ...(info.authMethods.length === 1 ? { exclusiveAuthMethod: true } : {}),
    };
    if (!info.grantTypes.includes(CLIENT_CREDENTIALS_GRANT)) unauthorizedClient ??= client;
    else if (auth !== 'private_key_jwt' || info.privateJwk) clients.push(client);
  }
  return {
    url: server.tokenEndpoint,
    scope: REFERENCE_SCOPE,
    invalidScope: REFERENCE_INVALID_SCOPE,
    dpop: server.dpopEnabled ? { enabled: true, nonce: server.requireNonce } : { disabled: true },
    clients,
    ...(unauthorizedClient ? { unauthorizedClient } : {}),
  };
}

/** What the second reference server adds: DPoP switched off (for `dpop-disabled`). */
export const COMPANION_CAPABILITIES: ReadonlySet<Capability> = new Set<Capability>(['dpop_disabled']);

/** The capabilities of the default run's main reference server, known before it starts. */
export function referenceRunCapabilities(requireNonce: boolean): Set<Capability> {
  return capabilitiesOf({
    url: 'http://127.0.0.1/oauth/token',
    clients: [
      { auth: 'client_secret_basic', exclusiveAuthMethod: true },
      { auth: 'client_secret_post', exclusiveAuthMethod: true },
      { auth: 'private_key_jwt', exclusiveAuthMethod: true },
      { auth: 'client_secret_basic', requiresDpop: true, exclusiveAuthMethod: true },
    ],
    dpop: { enabled: true, nonce: requireNonce },
    invalidScope: REFERENCE_INVALID_SCOPE,
    unauthorizedClient: true,
  });
}
