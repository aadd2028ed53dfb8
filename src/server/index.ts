/**
 * The reference token server: the conformance suite's default target and a
 * local stand-in token endpoint (issue 5).
 */
export { createReferenceServer, METADATA_PATH, JWKS_PATH, type ReferenceServer } from './server';
export {
  CLIENT_AUTH_METHODS,
  CLIENT_ASSERTION_ALGORITHMS,
  DPOP_ALGORITHMS,
  DEFAULT_SCOPES,
  ServerConfigError,
  createDemoClients,
  type ClientAuthMethod,
  type DpopConfig,
  type ReferenceClientConfig,
  type ReferenceClientInfo,
  type ReferenceServerConfig,
} from './config';
export { loadServerConfigFile } from './config-file';
export { normalizeHtu } from './htu';
