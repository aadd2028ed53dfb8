#!/usr/bin/env node
/**
 * Build step after tsc: puts the precompiled validators into dist. tsc
 * compiles TypeScript only, and the validators are generated JavaScript
 * (src/validate/precompiled/validators.js, with its .d.ts). They are
 * regenerated here from the schemas tsc just compiled
 * (dist/src/validate/compile-validators.js) and must equal the committed
 * files: a stale committed copy fails the build instead of shipping
 * validators of other schemas.
 */
'use strict';
const { mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const { dirname, join } = require('node:path');

const root = join(__dirname, '..');
const { GENERATED_VALIDATOR_FILES, generatedValidatorSources } = require(join(root, 'dist', 'src', 'validate', 'compile-validators.js'));
const sources = generatedValidatorSources();
for (const [key, path] of Object.entries(GENERATED_VALIDATOR_FILES)) {
  let committed;
  try {
    committed = readFileSync(join(root, path), 'utf8');
  } catch {
    committed = undefined;
  }
  if (committed !== sources[key]) {
    console.error(`${path} is not what the schemas generate: run npm run generate:validators, then commit it`);
    process.exit(1);
  }
  const target = join(root, 'dist', path);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, sources[key]);
}
