/**
 * Schema export: the same values as document()/operation()/schemas(),
 * serialised as JSON or YAML. The CLI's `export` command is a thin wrapper.
 */
import { stringify as toYaml } from 'yaml';
import { document, type DocumentOptions, DEFAULT_TOKEN_PATH } from './document';
import { operation, pickOperationOptions, schemas } from './operation';
import { normalizeOpenApiVersion } from './version';

export const EXPORT_FORMATS = ['json', 'yaml'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const EXPORT_PARTS = ['document', 'operation', 'components'] as const;
export type ExportPart = (typeof EXPORT_PARTS)[number];

export interface ExportOptions extends DocumentOptions {
  format?: ExportFormat;
  /** `document` (default), `operation` (the bare operation) or `components` (`{ schemas }`). */
  only?: ExportPart;
}

/** The value export() serialises. */
export function exportValue(options: ExportOptions = {}): unknown {
  const only = options.only ?? 'document';
  if (only === 'operation') return operation(pickOperationOptions(options));
  if (only === 'components') return { schemas: schemas({ openapi: normalizeOpenApiVersion(options.openapi) }) };
  if (only === 'document') return document({ ...options, path: options.path ?? DEFAULT_TOKEN_PATH });
  throw new RangeError(`"only" must be one of ${EXPORT_PARTS.join(', ')} (got ${JSON.stringify(only)})`);
}

/** Serialises the fragment: JSON (2-space indent, trailing newline) or YAML. */
export function exportFragment(options: ExportOptions = {}): string {
  const format = options.format ?? 'json';
  const value = exportValue(options);
  if (format === 'json') return `${JSON.stringify(value, null, 2)}\n`;
  // No anchors/aliases: consumers of exported specs rarely expect them.
  if (format === 'yaml') return toYaml(value, { aliasDuplicateObjects: false, lineWidth: 0 });
  throw new RangeError(`"format" must be one of ${EXPORT_FORMATS.join(', ')} (got ${JSON.stringify(format)})`);
}
