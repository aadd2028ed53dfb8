/** Checklist §4: grant type and scope errors (RFC 6749 §3.3, §4.4.2, §5.2). */
import { removeParam, setParam } from '../request';
import type { ResolvedClient } from '../config';
import { check } from './define';

export const grantMissing = check({
  id: 'grant-missing',
  title: 'a request without grant_type is refused with invalid_request',
  level: 'MUST',
  reference: 'RFC 6749 §4.4.2, §5.2',
  group: 'grant-scope',
  requires: [],
  async run(run) {
    await run.sendExpectingRejection(removeParam(run.draft(), 'grant_type'), { error: 'invalid_request', what: 'a missing grant_type' });
  },
});

export const grantUnsupported = check({
  id: 'grant-unsupported',
  title: 'grant_type=password is refused with unsupported_grant_type',
  level: 'MUST',
  reference: 'RFC 6749 §5.2',
  group: 'grant-scope',
  requires: [],
  async run(run) {
    await run.sendExpectingRejection(setParam(run.draft(), 'grant_type', 'password'), { error: 'unsupported_grant_type', what: 'grant_type=password' });
  },
});

export const grantNotForClient = check({
  id: 'grant-not-for-client',
  title: 'a client not registered for client_credentials gets unauthorized_client',
  level: 'MUST',
  reference: 'RFC 6749 §5.2',
  group: 'grant-scope',
  requires: ['unauthorized_client'],
  async run(run) {
    const client = run.config.unauthorizedClient as ResolvedClient;
    await run.sendExpectingRejection(run.draft({ client }), { error: 'unauthorized_client', what: 'a client registered for no client_credentials grant' });
  },
});

export const scopeInvalid = check({
  id: 'scope-invalid',
  title: 'a scope the client may not have is refused with invalid_scope',
  level: 'MUST',
  reference: 'RFC 6749 §3.3, §5.2',
  group: 'grant-scope',
  requires: ['invalid_scope'],
  async run(run) {
    await run.sendExpectingRejection(run.draft({ scope: run.config.invalidScope }), { error: 'invalid_scope', what: `scope=${run.config.invalidScope}` });
  },
});

export const GRANT_SCOPE_CHECKS = [grantMissing, grantUnsupported, grantNotForClient, scopeInvalid];
