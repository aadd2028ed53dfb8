#!/usr/bin/env node
/**
 * The build (tsc, then the schema and the precompiled validators into
 * dist), skipped when nothing it reads has changed since the last one:
 * `npm run conformance` after a build starts the run at once instead of
 * compiling again. What the build reads is fingerprinted (paths and
 * contents of src/, scripts/, the tsconfigs, package.json, package-lock.json
 * (the versions of TypeScript, ajv and the other tools the build runs) and
 * the installed TypeScript's version); the fingerprint of the last complete
 * build is kept in dist/.build-fingerprint, written only after every step
 * succeeded. `--force` builds anyway; `npm run clean` removes dist and so
 * the fingerprint.
 */
'use strict';
const { execFileSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const { existsSync, readdirSync, readFileSync, statSync, writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');

const ROOT = join(__dirname, '..');
const FINGERPRINT_FILE = join('dist', '.build-fingerprint');
/** What the build reads: directories walked whole, and single files. */
const INPUTS = ['src', 'scripts', 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'];
/** What a complete build leaves: missing, the build runs whatever the fingerprint says. */
const OUTPUTS = [join('dist', 'src', 'cli', 'main.js'), join('dist', 'conformance.schema.json'), join('dist', 'src', 'validate', 'precompiled', 'validators.js')];

/** Every file under the inputs, sorted, as paths relative to `root`. */
function inputFiles(root, inputs = INPUTS) {
  const files = [];
  const walk = (path) => {
    const absolute = join(root, path);
    if (!existsSync(absolute)) return;
    for (const entry of readdirSync(absolute, { withFileTypes: true })) {
      const child = join(path, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) files.push(child);
    }
  };
  for (const input of inputs) {
    const absolute = join(root, input);
    if (!existsSync(absolute)) continue;
    if (statSync(absolute).isDirectory()) walk(input);
    else files.push(input);
  }
  return files.sort();
}

/** SHA-256 over each input's path and content, and the compiler's version. */
function fingerprint(root, inputs = INPUTS) {
  const hash = createHash('sha256');
  let typescript = 'none';
  try {
    typescript = JSON.parse(readFileSync(join(root, 'node_modules', 'typescript', 'package.json'), 'utf8')).version;
  } catch {
    // No TypeScript installed: the build will say so.
  }
  hash.update(`typescript ${typescript}\0`);
  for (const file of inputFiles(root, inputs)) {
    hash.update(`${relative(root, join(root, file))}\0`);
    hash.update(readFileSync(join(root, file)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

/** Whether the last complete build is of exactly these inputs. */
function upToDate(root) {
  if (!OUTPUTS.every((output) => existsSync(join(root, output)))) return false;
  let last;
  try {
    last = readFileSync(join(root, FINGERPRINT_FILE), 'utf8').trim();
  } catch {
    return false;
  }
  return last === fingerprint(root);
}

function build(root) {
  const node = process.execPath;
  const run = (args) => execFileSync(node, args, { cwd: root, stdio: 'inherit' });
  run([require.resolve('typescript/bin/tsc', { paths: [root] }), '-p', 'tsconfig.build.json']);
  run([join('scripts', 'write-schema.js')]);
  run([join('scripts', 'write-validators.js')]);
  writeFileSync(join(root, FINGERPRINT_FILE), `${fingerprint(root)}\n`);
}

module.exports = { INPUTS, OUTPUTS, FINGERPRINT_FILE, fingerprint, inputFiles, upToDate };

if (require.main === module) {
  const args = process.argv.slice(2);
  const quiet = args.includes('--quiet');
  if (!args.includes('--force') && upToDate(ROOT)) {
    if (!quiet) console.log('build: up to date (nothing in src, scripts, the tsconfigs, package.json or package-lock.json changed since the last build)');
  } else {
    try {
      build(ROOT);
    } catch (error) {
      // The failing step printed its own errors (stdio inherited).
      process.exit(typeof error.status === 'number' ? error.status : 1);
    }
  }
}
