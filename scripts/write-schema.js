#!/usr/bin/env node
/**
 * Build step after tsc: publishes the suite's config schema, written in
 * TypeScript `as const` (src/conformance/config/schema.ts), as
 * dist/conformance.schema.json, so editors can validate and complete a
 * config file (`"$schema": "./node_modules/attesto-token-contract/dist/conformance.schema.json"`)
 * and a consumer can `require('attesto-token-contract/conformance.schema.json')`.
 */
'use strict';
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

const dist = join(__dirname, '..', 'dist');
const { conformanceConfigSchema } = require(join(dist, 'src', 'conformance', 'config', 'schema.js'));
if (conformanceConfigSchema === null || typeof conformanceConfigSchema !== 'object') {
  throw new Error('dist/src/conformance/config/schema.js exports no conformanceConfigSchema: run tsc first');
}
writeFileSync(join(dist, 'conformance.schema.json'), `${JSON.stringify(conformanceConfigSchema, null, 2)}\n`);
