/**
 * `serve --config FILE`: a server configuration in JSON or YAML, checked by
 * the same schema as a programmatic configuration (`assertServerConfigSchema`),
 * so unknown members are refused and a typo never silently falls back to a
 * default.
 */
import { readFile } from 'node:fs/promises';
import { parseConfigText } from '../config-schema';
import { ServerConfigError, assertServerConfigSchema, type ReferenceServerConfig } from './config';

export async function loadServerConfigFile(path: string): Promise<ReferenceServerConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ServerConfigError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseServerConfig(text, path);
}

/** Parses JSON (or YAML, a superset) and checks it against the schema; `resolveServerConfig` adds the checks a schema cannot make. */
export function parseServerConfig(text: string, source = 'config'): ReferenceServerConfig {
  const json = /\.json$/i.test(source);
  // Never the parser's message, nor its error as a cause: both quote the text (a client secret's line); yaml's warnings are collected, not printed.
  const parsed = parseConfigText(text, json ? 'json' : 'yaml');
  if (!parsed.ok) throw new ServerConfigError(`${source} is not valid ${json ? 'JSON' : 'YAML/JSON'}: ${parsed.problem}`);
  const value = parsed.value;
  // An empty file is the default configuration.
  if (value === null || value === undefined) return {};
  assertServerConfigSchema(value, source);
  const { $schema: _editorsOnly, ...config } = value as ReferenceServerConfig & { $schema?: string };
  return config;
}
