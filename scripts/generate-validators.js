#!/usr/bin/env node
/**
 * `npm run generate:validators`: writes the precompiled validators
 * (src/validate/precompiled/validators.js and .d.ts), Ajv standalone code
 * generated from the component schemas in src/openapi. Run it after changing
 * a schema or the Ajv set-up (src/validate/compile-validators.ts) and commit
 * the result; test/validate/precompiled.test.ts fails until you do.
 * `--check`: write nothing, exit 1 when a committed file is out of date.
 */
'use strict';
const { mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const { dirname, join } = require('node:path');

// The generator is TypeScript (it shares the schemas and the Ajv set-up with the tests): transpile on the fly.
require('../bench/register.js');
const { GENERATED_VALIDATOR_FILES, generatedValidatorSources } = require('../src/validate/compile-validators.ts');

const root = join(__dirname, '..');
const check = process.argv.includes('--check');
const sources = generatedValidatorSources();
let stale = 0;
for (const [key, path] of Object.entries(GENERATED_VALIDATOR_FILES)) {
  const target = join(root, path);
  let current;
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === sources[key]) continue;
  stale++;
  if (check) {
    console.error(`${path} is out of date: run npm run generate:validators`);
  } else {
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, sources[key]);
    console.log(`wrote ${path}`);
  }
}
if (check && stale > 0) process.exitCode = 1;
