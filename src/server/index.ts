/**
 * The reference token server: the conformance suite's default target and a
 * local stand-in token endpoint (issue 5).
 */
export { createReferenceServer, type ReferenceServer } from './server';
export {
  ServerConfigError,
  createDemoClients,
  type ClientAuthMethod as ReferenceClientAuthMethod,
  type ReferenceDpopConfig,
  type ReferenceClientConfig,
  type ReferenceClientInfo,
  type ReferenceServerConfig,
} from './config';
export { loadServerConfigFile } from './config-file';
