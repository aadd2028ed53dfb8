import { EXIT_OK, UsageError, flagProblem, numberOrText, stringFlag, type Command, type FlagSource } from '../command';
import { checkConfigSchema, type ConformanceConfig } from '../../conformance/config';
import { parseProxyUrl } from '../../conformance/proxy';
import { METADATA_MEMBERS, applyDiscovery, checkIssuerUrl, fetchIssuerMetadata, type DiscoveredMetadata, type ValueOrigin } from '../../conformance/discovery';
import { printable } from '../../conformance/reporters/safe-text';
import { ConfigError } from '../../errors';
import { resolve } from 'node:path';

export const discoverCommand: Command = {
  name: 'discover',
  summary: "print the configuration a conformance run takes from an issuer's metadata (RFC 8414)",
  help: `Usage: token-contract discover --issuer URL [options]

Reads the authorization server metadata of an issuer (RFC 8414 §3.1
/.well-known/oauth-authorization-server, the issuer's path inserted after it;
else OpenID Connect Discovery's /.well-known/openid-configuration) and prints
what \`token-contract conformance --issuer URL\` takes from it, and where each
value came from. Redirects are not followed; the document's "issuer" must be
the issuer given (RFC 8414 §3.3).

Options:
  --issuer URL                  the issuer identifier (https://; http:// only for loopback)
  --json                        print the derived configuration as JSON
  --timeout-ms N                request timeout (default 10000)
  --ca-file FILE                PEM CA certificate(s) to trust, next to the usual roots
  --proxy URL                   go through this HTTP proxy (default: HTTPS_PROXY / HTTP_PROXY)
  --no-proxy                    go direct: ignore the proxy variables
  --allow-insecure-http         allow http:// to a non-loopback issuer
  -h, --help                    show this help

Exit codes: 0 the metadata was read, 2 a usage error or metadata that cannot
be read or used (one line on stderr).
`,
  options: {
    issuer: { type: 'string' },
    json: { type: 'boolean' },
    'timeout-ms': { type: 'string' },
    'ca-file': { type: 'string' },
    proxy: { type: 'string' },
    'no-proxy': { type: 'boolean' },
    'allow-insecure-http': { type: 'boolean' },
  },
  async run({ values }, io) {
    const issuer = stringFlag(values, 'issuer');
    if (issuer === undefined) throw new UsageError('--issuer is required');
    const config: Record<string, unknown> = { issuer };
    const sources: FlagSource[] = [{ flag: 'issuer', pointer: '/issuer' }];
    const timeout = stringFlag(values, 'timeout-ms');
    if (timeout !== undefined) {
      config.timeoutMs = numberOrText(timeout);
      sources.push({ flag: 'timeout-ms', pointer: '/timeoutMs', shown: timeout });
    }
    const caFile = stringFlag(values, 'ca-file');
    if (caFile !== undefined) config.caFile = resolve(io.cwd, caFile);
    const proxy = stringFlag(values, 'proxy');
    if (proxy !== undefined && values['no-proxy'] === true) throw new UsageError('give --proxy or --no-proxy, not both');
    if (proxy !== undefined) {
      try {
        parseProxyUrl(proxy, '--proxy', 'config');
      } catch (error) {
        if (error instanceof ConfigError) throw new UsageError(error.message);
        throw error;
      }
      config.proxy = proxy;
    }
    if (values['no-proxy'] === true) config.proxy = false;
    if (values['allow-insecure-http'] === true) config.allowInsecureHttp = true;
    const problem = checkConfigSchema(config);
    if (problem !== undefined) throw flagProblem(problem, sources);
    checkIssuerUrl(issuer, config.allowInsecureHttp === true);

    const read = await fetchIssuerMetadata(config as ConformanceConfig & { issuer: string }, { env: io.env, baseDir: io.cwd, ...(io.signal ? { signal: io.signal } : {}) });
    if (read.metadata === undefined) throw read.problem!;
    const metadata = read.metadata;
    const derived = applyDiscovery({}, metadata);
    const view = describe(metadata, derived.config, derived.discovery.origins);
    if (values.json === true) io.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
    else io.stdout.write(formatText(view));
    return EXIT_OK;
  },
};

interface DiscoverView {
  issuer: string;
  metadataUrl: string;
  document: DiscoveredMetadata['document'];
  /** The members of a conformance configuration the metadata gives, each with the metadata member it came from. */
  config: Record<string, { value: unknown; from: string }>;
  /** The metadata's values the suite reads, by their metadata names (the ones not yet used by a run included). */
  metadata: Record<string, unknown>;
  /** Members present but not of their RFC 8414 type: not used. */
  ignored: string[];
  /** Values the run would not use, with why (an introspection endpoint on another host). */
  notUsed: Array<{ from: string; why: string }>;
}

function describe(metadata: DiscoveredMetadata, config: ConformanceConfig, origins: readonly ValueOrigin[]): DiscoverView {
  // Every config member a run takes from the metadata (url, dpop, dpop.alg, mtlsUrl, the introspection endpoints), as applyDiscovery says.
  const derived: DiscoverView['config'] = {};
  for (const origin of origins) {
    if (origin.source !== 'metadata') continue;
    const value = origin.member.split('.').reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), config);
    if (value !== undefined) derived[origin.member] = { value, from: origin.from };
  }
  const notUsed = origins.filter((o) => o.source === 'ignored').map((o) => ({ from: o.from, why: o.why ?? 'not usable' }));
  const values: DiscoverView['metadata'] = {};
  for (const [key, member] of Object.entries(METADATA_MEMBERS) as Array<[keyof typeof METADATA_MEMBERS, string]>) {
    if (metadata[key] !== undefined) values[member] = metadata[key];
  }
  return { issuer: metadata.issuer, metadataUrl: metadata.metadataUrl, document: metadata.document, config: derived, metadata: values, ignored: metadata.ignored, notUsed };
}

function formatText(view: DiscoverView): string {
  // The server's words reach a terminal: no control character passes.
  const text = (value: unknown) => printable(typeof value === 'string' ? value : Array.isArray(value) ? value.join(', ') : JSON.stringify(value), { oneLine: true });
  const spec = view.document === 'oauth-authorization-server' ? 'RFC 8414' : 'OpenID Connect Discovery';
  const lines = [`issuer    ${text(view.issuer)}`, `metadata  ${text(view.metadataUrl)} (${spec})`, '', 'Configuration for token-contract conformance --issuer:'];
  const rows = Object.entries(view.config).map(([member, { value, from }]) => [member, text(value), `from ${from}`] as const);
  if (rows.length === 0) lines.push('  (nothing)');
  const width = Math.max(0, ...rows.map(([member]) => member.length));
  const valueWidth = Math.max(0, ...rows.map(([, value]) => value.length));
  for (const [member, value, from] of rows) lines.push(`  ${member.padEnd(width)}  ${value.padEnd(valueWidth)}  ${from}`);
  const members = Object.entries(view.metadata);
  if (members.length > 0) {
    lines.push('', 'Metadata the suite reads:');
    const w = Math.max(...members.map(([member]) => member.length));
    for (const [member, value] of members) lines.push(`  ${printable(member, { oneLine: true }).padEnd(w)}  ${text(value)}`);
  }
  if (view.ignored.length > 0) lines.push('', `ignored (not of their RFC 8414 type): ${view.ignored.join(', ')}`);
  for (const { from, why } of view.notUsed) lines.push(`not used: ${from}: ${text(why)}`);
  return `${lines.join('\n')}\n`;
}
