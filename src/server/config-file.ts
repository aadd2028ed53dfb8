/**
 * `serve --config FILE`: a server configuration in JSON or YAML. Unknown
 * members are refused so a typo never silently falls back to a default.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { ServerConfigError, type ReferenceServerConfig } from './config';

const TOP_LEVEL = new Set([
  'issuer',
  'clients',
  'scopes',
  'tokenLifetimeSeconds',
  'dpop',
  'maxBodyBytes',
  'clientAssertionMaxLifetimeSeconds',
  'replayCacheSize',
  'audience',
  'path',
  'host',
  'port',
]);
const DPOP = new Set(['enabled', 'requireNonce', 'iatWindowSeconds', 'nonceLifetimeSeconds']);
const CLIENT = new Set(['id', 'secret', 'jwks', 'authMethods', 'scopes', 'grantTypes', 'requireDpop', 'privateJwk']);

export async function loadServerConfigFile(path: string): Promise<ReferenceServerConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ServerConfigError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseServerConfig(text, path);
}

/** Parses JSON (or YAML, a superset) and checks member names; values are checked by `resolveServerConfig`. */
export function parseServerConfig(text: string, source = 'config'): ReferenceServerConfig {
  let value: unknown;
  try {
    value = /\.json$/i.test(source) ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ServerConfigError(`${source} is not valid ${/\.json$/i.test(source) ? 'JSON' : 'YAML/JSON'}: ${(error as Error).message.split('\n')[0]}`);
  }
  if (value === null || value === undefined) return {};
  checkMembers(value, TOP_LEVEL, source);
  const config = value as Record<string, unknown>;
  if (config.dpop !== undefined) checkMembers(config.dpop, DPOP, `${source}: dpop`);
  if (Array.isArray(config.clients)) config.clients.forEach((client, i) => checkMembers(client, CLIENT, `${source}: clients[${i}]`));
  return config as ReferenceServerConfig;
}

function checkMembers(value: unknown, allowed: ReadonlySet<string>, where: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ServerConfigError(`${where} must be an object`);
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) throw new ServerConfigError(`${where}: unknown member ${JSON.stringify(key)} (known: ${[...allowed].join(', ')})`);
  }
}
