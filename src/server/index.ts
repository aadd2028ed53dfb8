/**
 * The reference token server: the conformance suite's default target and a
 * local stand-in token endpoint (issue 5), with authorization_code + PKCE and
 * refresh tokens, and a test-only auto-approving /authorize (issue 13).
 */
export { createReferenceServer, type ReferenceServer } from './server';
export {
  ServerConfigError,
  createDemoClients,
  createMtlsDemoClients,
  DEMO_REDIRECT_URI,
  type ClientAuthMethod as ReferenceClientAuthMethod,
  type ReferenceDpopConfig,
  type ReferenceMtlsConfig,
  type ReferenceRefreshTokenConfig,
  type ReferenceMetadataLie,
  type ReferenceClientConfig,
  type ReferenceClientInfo,
  type ReferenceServerConfig,
} from './config';
export { loadServerConfigFile } from './config-file';
