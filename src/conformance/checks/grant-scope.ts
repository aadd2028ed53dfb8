/** Checklist §4: grant type and scope errors (RFC 6749 §3.3, §4.4.2, §5.2). */
import type { ResolvedClient } from '../config';
import { removeParam, setParam } from '../draft';
import { probeCheck, rejects } from './define';

export const grantMissing = probeCheck({
  id: 'grant-missing',
  title: 'a request without grant_type is refused with invalid_request',
  level: 'MUST',
  reference: 'RFC 6749 §4.4.2, §5.2',
  group: 'grant-scope',
  requires: [],
  probes: (ctx) => [{ what: 'a missing grant_type', request: removeParam(ctx.draft(), 'grant_type') }],
  expect: rejects({ error: 'invalid_request' }),
});

/**
 * A grant type no server supports: an absolute URI under the example
 * namespace (RFC 6749 §4.5 extension grants are absolute URIs; RFC 6963
 * reserves urn:example). `password` would not do: a server that supports it,
 * only not for this client, rightly answers unauthorized_client.
 */
export const UNSUPPORTED_GRANT_TYPE = 'urn:example:conformance:unsupported-grant-type';

export const grantUnsupported = probeCheck({
  id: 'grant-unsupported',
  title: 'a grant type the server does not support is refused with unsupported_grant_type',
  level: 'MUST',
  // §5.2: unsupported_grant_type: "The authorization grant type is not supported by the authorization server."
  reference: 'RFC 6749 §5.2',
  group: 'grant-scope',
  requires: [],
  probes: (ctx) => [{ what: `grant_type=${UNSUPPORTED_GRANT_TYPE}`, request: setParam(ctx.draft(), 'grant_type', UNSUPPORTED_GRANT_TYPE) }],
  expect: rejects({ error: 'unsupported_grant_type' }),
});

export const grantNotForClient = probeCheck({
  id: 'grant-not-for-client',
  title: 'a client not registered for client_credentials gets unauthorized_client',
  level: 'MUST',
  reference: 'RFC 6749 §5.2',
  group: 'grant-scope',
  requires: ['unauthorized_client'],
  probes: (ctx) => [{ what: 'a client registered for no client_credentials grant', request: ctx.draft({ client: ctx.config.unauthorizedClient as ResolvedClient }) }],
  expect: rejects({ error: 'unauthorized_client' }),
});

export const scopeInvalid = probeCheck({
  id: 'scope-invalid',
  title: 'a scope the client may not have is refused with invalid_scope',
  level: 'MUST',
  reference: 'RFC 6749 §3.3, §5.2',
  group: 'grant-scope',
  requires: ['invalid_scope'],
  probes: (ctx) => [{ what: `scope=${ctx.config.invalidScope}`, request: ctx.draft({ scope: ctx.config.invalidScope }) }],
  expect: rejects({ error: 'invalid_scope' }),
});

export const GRANT_SCOPE_CHECKS = [grantMissing, grantUnsupported, grantNotForClient, scopeInvalid];
