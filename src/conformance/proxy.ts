/**
 * The HTTP proxy a run reaches its target through: config `proxy` (or
 * --proxy), else the environment's HTTPS_PROXY / HTTP_PROXY with NO_PROXY,
 * as curl reads them. Every request then goes through a CONNECT tunnel
 * (RFC 9110 §9.3.6), whatever the target's scheme (http.ts).
 *
 * The credentials a proxy URL may carry are secrets: the route keeps them
 * apart from the URL that messages, reports and curl lines show.
 *
 * The environment is the caller's (RunOptions.env), never process.env read
 * here, so a test or an embedding program decides what the run sees. That
 * is also why proxy-from-env's getProxyForUrl is not used: it reads
 * process.env itself.
 */
import { ConfigError } from '../errors';

/** How a run reaches its target through a proxy. */
export interface ProxyRoute {
  /** The proxy URL without credentials (`http://proxy.example:3128`): the only form ever shown. */
  url: string;
  /** Where it came from: `config` (the `proxy` member, --proxy) or the environment variable's name. */
  source: string;
  /**
   * The credentials the proxy URL carried (percent-decoded), as the
   * `Proxy-Authorization` value they make: Basic (RFC 9110 §11.7.2,
   * RFC 7617), user-id ":" password in UTF-8, base64.
   */
  credentials?: { authorization: string; password: string; rawPassword: string };
}

/** The schemes a proxy URL may have: an http proxy, spoken to in clear or over TLS. */
const PROXY_SCHEMES = new Set(['http:', 'https:']);
const PROXY_FORM = 'http://host:port or http://user:password@host:port';

/**
 * Reads a proxy URL. `where` names it in a message (`proxy`, `--proxy`,
 * `HTTPS_PROXY`); the value itself is never quoted, as it may carry a
 * password. A value without a scheme reads as http:// only when
 * `schemeOptional` (environment variables often say `proxy:3128`, and
 * curl reads them so).
 */
export function parseProxyUrl(text: string, where: string, source: string, schemeOptional = false): ProxyRoute {
  const value = text.trim();
  const withScheme = schemeOptional && !/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value) ? `http://${value}` : value;
  let parsed: URL;
  try {
    parsed = new URL(withScheme);
  } catch {
    throw new ConfigError(`${where} must be an http:// or https:// proxy URL (${PROXY_FORM})`);
  }
  if (!PROXY_SCHEMES.has(parsed.protocol)) {
    // A SOCKS proxy speaks no CONNECT; its scheme is safe to name (not so an arbitrary text before a colon: it may be a user name).
    const scheme = /^socks[45a-z]*:$/i.test(parsed.protocol) ? `${parsed.protocol}// proxies are not supported; ` : '';
    throw new ConfigError(`${where}: ${scheme}the proxy must be an http:// or https:// URL (${PROXY_FORM})`);
  }
  if (parsed.hostname === '') throw new ConfigError(`${where} must name the proxy host (${PROXY_FORM})`);
  const shown = `${parsed.protocol}//${parsed.host}`;
  // A path, query or fragment means nothing to a CONNECT proxy: most likely the target's URL pasted in the wrong place.
  if ((parsed.pathname !== '/' && parsed.pathname !== '') || parsed.search !== '' || parsed.hash !== '') {
    throw new ConfigError(`${where} must be the proxy's origin alone (${shown}), without a path, query or fragment`);
  }
  const route: ProxyRoute = { url: shown, source };
  if (parsed.username !== '' || parsed.password !== '') {
    let user: string;
    let password: string;
    try {
      user = decodeURIComponent(parsed.username);
      password = decodeURIComponent(parsed.password);
    } catch {
      throw new ConfigError(`${where}: the user name or password is not validly percent-encoded`);
    }
    route.credentials = { authorization: `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`, password, rawPassword: parsed.password };
  }
  return route;
}

/**
 * The proxy the environment gives for `target`: `https_proxy` /
 * `HTTPS_PROXY` for an https:// target, `http_proxy` / `HTTP_PROXY` for an
 * http:// one (the lower-case name first, as curl and proxy-from-env read
 * them), unless NO_PROXY excludes the target. Undefined: go direct.
 */
export function proxyFromEnv(target: URL, env: NodeJS.ProcessEnv): ProxyRoute | undefined {
  const scheme = target.protocol === 'https:' ? 'https' : 'http';
  const names = [`${scheme}_proxy`, `${scheme.toUpperCase()}_PROXY`];
  const name = names.find((n) => (env[n] ?? '').trim() !== '');
  if (name === undefined) return undefined;
  const noProxy = [env.no_proxy, env.NO_PROXY].find((v) => v !== undefined && v.trim() !== '');
  if (noProxy !== undefined && noProxyExcludes(noProxy, target)) return undefined;
  return parseProxyUrl(env[name]!, name, name, true);
}

/**
 * Whether a NO_PROXY list excludes a target, as curl reads it: entries
 * separated by commas or spaces; `*` alone excludes every host; a name
 * excludes itself and its subdomains (`example.com`, `.example.com` and
 * `*.example.com` all exclude `api.example.com`); `name:port` only that
 * port; IP addresses match as written (`[::1]` or `::1`). No CIDR ranges.
 */
export function noProxyExcludes(noProxy: string, target: URL): boolean {
  const host = target.hostname.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
  for (const raw of noProxy.split(/[,\s]+/)) {
    let entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    let entryPort: number | undefined;
    const withPort = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(entry);
    if (withPort) {
      entry = withPort[1]!;
      entryPort = Number(withPort[2]);
    }
    if (entryPort !== undefined && entryPort !== port) continue;
    const name = entry.replace(/^\[|\]$/g, '').replace(/^\*?\./, '').replace(/\.$/, '');
    if (name === '') continue;
    if (host === name || host.endsWith(`.${name}`)) return true;
  }
  return false;
}

/**
 * The run's route: a configured `proxy` for every target (NO_PROXY is the
 * environment's word on the environment's proxy, not on the user's
 * explicit one); `false` for none, the environment ignored; else the
 * environment's, when `useEnv`.
 */
export function resolveProxy(configured: string | false | undefined, target: URL, env: NodeJS.ProcessEnv, useEnv: boolean): ProxyRoute | undefined {
  if (configured === false) return undefined;
  if (configured !== undefined) return parseProxyUrl(configured, 'proxy', 'config');
  return useEnv ? proxyFromEnv(target, env) : undefined;
}
