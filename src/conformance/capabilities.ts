/**
 * What a check may need from the configuration, each capability defined
 * once: its name, the hint a skip reason gives, and how it follows from a
 * configuration. The plan (plan.ts) skips a check whose needs are not met,
 * with the hints as the reason; the runner, the CLI and the Jest entry all
 * derive capabilities here.
 */
import { AUTHORIZATION_CODE_GRANT, CLIENT_CREDENTIALS_GRANT, REFRESH_TOKEN_GRANT, isMtlsAuthMethod } from '../oauth/protocol';

/** Each capability and how a user provides it (the skip reason names it). */
const HINTS = {
  client_secret_basic: 'a client_secret_basic client',
  client_secret_post: 'a client_secret_post client',
  private_key_jwt: 'a private_key_jwt client (--auth private_key_jwt --private-key FILE)',
  secret_client: 'a client with a secret',
  dpop: 'DPoP support (--dpop)',
  dpop_nonce: 'a server requiring DPoP nonces (--dpop-nonce)',
  invalid_scope: 'a scope no client may have (--invalid-scope)',
  unauthorized_client: 'a client registered for no client_credentials grant (config "unauthorizedClient")',
  dpop_required_client: 'a client that must use DPoP (config "requireDpop": true)',
  dpop_disabled: 'a server with DPoP switched off (config "dpop": { "disabled": true })',
  https: 'an https:// target (a plain-http loopback target cannot test TLS refusal)',
  tls_endpoint: 'an https token endpoint to shake hands with (an https:// target, or mtlsUrl for mutual TLS)',
  exclusive_auth_method: 'a client the server registers for one auth method alone (config "exclusiveAuthMethod": true; RFC 6749 does not require such a binding)',
  authorization_code: 'a client with "grantTypes": ["authorization_code", …] and a source of codes (config "grants.authorizationCode.command", or a source function)',
  refresh_token: 'a client with "grantTypes": […, "refresh_token"] and a source of refresh tokens (authorization codes, or config "grants.refreshToken.command")',
  public_refresh_client: 'a public client (auth "none") with "grantTypes": ["authorization_code", "refresh_token"]',
  confidential_refresh_client: 'a confidential client with "grantTypes": […, "refresh_token"]',
  second_client: 'a second configured client besides the one holding the code or refresh token',
  code_lifetime: 'the server\'s code lifetime (config "grants.authorizationCode.lifetimeSeconds")',
  rotation_required: 'a server that rotates every refresh token and retires the old one (config "grants.refreshToken.rotation": "required"; RFC 6749 §6 lets a server keep the old one valid)',
  wider_scope: 'a scope beyond the refresh token\'s grant (config "grants.refreshToken.widerScope", or --invalid-scope)',
  metadata: 'the issuer\'s metadata (--issuer URL, config "issuer"; RFC 8414)',
  mtls: 'a client certificate (config "certificate" and "certificateKey", --client-cert and --client-key) and an https token endpoint for mutual TLS (mtlsUrl; RFC 8705)',
  tls_client_auth: 'a client with "auth": "tls_client_auth" and its certificate (RFC 8705 §2.1)',
  self_signed_tls_client_auth: 'a client with "auth": "self_signed_tls_client_auth" and its certificate (RFC 8705 §2.2)',
  certificate_bound_client: 'a client the server issues certificate-bound tokens only (config "certificateBoundTokens": true; RFC 8705 §3.4)',
} as const;

export type Capability = keyof typeof HINTS;

/** Every capability, in a stable order. */
export const CAPABILITIES = Object.freeze(Object.keys(HINTS) as Capability[]);

/** The facts of a configuration that capabilities follow from (a resolved config, or the static part of one). */
export interface CapabilityFacts {
  /** The token endpoint URL; absent while a lazy one is unknown (then no `https`). */
  url?: string | undefined;
  clients: ReadonlyArray<{
    auth: string;
    requiresDpop?: boolean | undefined;
    exclusiveAuthMethod?: boolean | undefined;
    /** Default client_credentials. */
    grantTypes?: Iterable<string> | undefined;
    /** Its client certificate (mutual TLS): present (anything but undefined or false) when it has one. */
    certificate?: unknown;
    certificateBoundTokens?: boolean | undefined;
  }>;
  /** The token endpoint for mutual TLS (https), when there is one. */
  mtlsUrl?: string | undefined;
  dpop: { enabled?: boolean | undefined; nonce?: boolean | undefined; disabled?: boolean | undefined };
  invalidScope?: string | undefined;
  /** The issuer whose metadata the run reads (config `issuer`). */
  issuer?: string | undefined;
  unauthorizedClient?: unknown;
  /** Where codes and refresh tokens come from (a command, a function, the reference server). */
  sources?: { authorizationCode?: boolean; refreshToken?: boolean } | undefined;
  grants?: { authorizationCode?: { lifetimeSeconds?: number | undefined } | undefined; refreshToken?: { widerScope?: string | undefined; rotation?: string | undefined } | undefined } | undefined;
}

export function capabilitiesOf(facts: CapabilityFacts): Set<Capability> {
  const caps = new Set<Capability>();
  const grantsOf = (client: CapabilityFacts['clients'][number]) => new Set(client.grantTypes ?? [CLIENT_CREDENTIALS_GRANT]);
  // The client_credentials checks use the clients registered for it; the others are the lifecycle checks'.
  for (const client of facts.clients.filter((c) => grantsOf(c).has(CLIENT_CREDENTIALS_GRANT))) {
    if (client.auth === 'client_secret_basic' || client.auth === 'client_secret_post' || client.auth === 'private_key_jwt') caps.add(client.auth);
    if (client.auth === 'client_secret_basic' || client.auth === 'client_secret_post') caps.add('secret_client');
    if (client.requiresDpop === true) caps.add('dpop_required_client');
    if (client.exclusiveAuthMethod === true) caps.add('exclusive_auth_method');
    const mtlsEndpoint = facts.mtlsUrl !== undefined && /^https:/i.test(facts.mtlsUrl);
    if (client.certificate !== undefined && client.certificate !== false && mtlsEndpoint) {
      caps.add('mtls');
      if (isMtlsAuthMethod(client.auth)) caps.add(client.auth);
      if (client.certificateBoundTokens === true) caps.add('certificate_bound_client');
    }
  }
  if (facts.dpop.enabled === true || facts.dpop.nonce === true) caps.add('dpop');
  if (facts.dpop.nonce === true) caps.add('dpop_nonce');
  if (facts.dpop.disabled === true) caps.add('dpop_disabled');
  if (facts.invalidScope !== undefined && facts.invalidScope.trim() !== '') caps.add('invalid_scope');
  if (facts.unauthorizedClient !== undefined && facts.unauthorizedClient !== null) caps.add('unauthorized_client');
  if (facts.url !== undefined && /^https:/i.test(facts.url)) caps.add('https');
  if (caps.has('https') || (facts.mtlsUrl !== undefined && /^https:/i.test(facts.mtlsUrl))) caps.add('tls_endpoint');
  if (facts.issuer !== undefined) caps.add('metadata');
  const codeClients = facts.clients.filter((c) => grantsOf(c).has(AUTHORIZATION_CODE_GRANT));
  const refreshClients = facts.clients.filter((c) => grantsOf(c).has(REFRESH_TOKEN_GRANT));
  const codes = facts.sources?.authorizationCode === true && codeClients.length > 0;
  if (codes) caps.add('authorization_code');
  // A refresh token comes from its own source, or from redeeming a code of a client that has both grants.
  // (A public client's token from a source would be bound to a DPoP key the run does not hold, RFC 9449 §5: codes only.)
  const refreshable = refreshClients.filter((c) => (facts.sources?.refreshToken === true && c.auth !== 'none') || (codes && grantsOf(c).has(AUTHORIZATION_CODE_GRANT)));
  if (refreshable.length > 0) caps.add('refresh_token');
  if (codes && refreshable.some((c) => c.auth === 'none' && grantsOf(c).has(AUTHORIZATION_CODE_GRANT))) caps.add('public_refresh_client');
  if (refreshable.some((c) => c.auth !== 'none')) caps.add('confidential_refresh_client');
  if (facts.clients.length >= 2 && (codes || refreshable.length > 0)) caps.add('second_client');
  if (facts.grants?.authorizationCode?.lifetimeSeconds !== undefined) caps.add('code_lifetime');
  if (facts.grants?.refreshToken?.rotation === 'required') caps.add('rotation_required');
  const wider = facts.grants?.refreshToken?.widerScope ?? facts.invalidScope;
  if (wider !== undefined && wider.trim() !== '') caps.add('wider_scope');
  return caps;
}

/** The words a skip reason uses for a missing capability. */
export function describeCapability(capability: Capability): string {
  return HINTS[capability];
}
