// Validates OpenAPI documents with an independent validator
// (@seriousme/openapi-schema-validator, ESM-only, hence a child process).
// Input on stdin: a JSON array of documents. Output: a JSON array of
// { valid, errors } in the same order.
import { Validator } from '@seriousme/openapi-schema-validator';

let input = '';
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const doc of JSON.parse(input)) {
  const validator = new Validator();
  const result = await validator.validate(doc);
  results.push({ valid: result.valid, version: validator.version, errors: result.valid ? [] : result.errors });
}
process.stdout.write(JSON.stringify(results));
