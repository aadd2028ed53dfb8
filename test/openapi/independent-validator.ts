import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export interface IndependentResult {
  valid: boolean;
  version: string;
  errors: unknown;
}

/** Validates documents with @seriousme/openapi-schema-validator in one child process. */
export function validateWithIndependentValidator(docs: unknown[]): IndependentResult[] {
  const out = execFileSync(process.execPath, [join(__dirname, 'validate-openapi.mjs')], {
    input: JSON.stringify(docs),
    encoding: 'utf8',
  });
  return JSON.parse(out) as IndependentResult[];
}
