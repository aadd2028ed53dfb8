/**
 * The precompiled validators (src/validate/precompiled/validators.js and
 * .d.ts) are what the schemas generate: regenerated here in memory, they must
 * equal the committed files byte for byte. And they judge like validators
 * compiled at run time from the same schemas: same verdict, same errors.
 */
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMPONENT_SCHEMAS, SCHEMA_NAMES } from '../../src/openapi';
import { compileContractValidators, GENERATED_VALIDATOR_FILES, generatedValidatorSources, VALIDATOR_EXPORTS, type ValidatorExport } from '../../src/validate/compile-validators';
import { contractValidators, schemaValidator } from '../../src/validate';

const ROOT = join(__dirname, '../..');

describe('the committed precompiled validators', () => {
  const generated = generatedValidatorSources();

  test.each(Object.entries(GENERATED_VALIDATOR_FILES))('%s (%s) is what the schemas generate', (key, path) => {
    const committed = readFileSync(join(ROOT, path), 'utf8');
    // A failure names the fix; the diff of the two texts follows.
    const hint = committed === generated[key as keyof typeof generated] ? 'up to date' : `${path} is out of date: run npm run generate:validators and commit it`;
    expect(hint).toBe('up to date');
    expect(committed).toBe(generated[key as keyof typeof generated]);
  });

  test('a schema change shows up in the generated code (so the comparison above can fail)', () => {
    const bearer = COMPONENT_SCHEMAS[SCHEMA_NAMES.bearerResponse];
    const changed = {
      ...COMPONENT_SCHEMAS,
      [SCHEMA_NAMES.bearerResponse]: { ...bearer, properties: { ...bearer.properties, expires_in: { ...bearer.properties.expires_in, minimum: 1 } } },
    };
    expect(generatedValidatorSources(changed).code).not.toBe(generated.code);
  });

  test('the generated code needs nothing from Ajv at run time', () => {
    expect(generated.code).not.toMatch(/\brequire\(/);
  });

  test('the runtime validators are the generated ones, one shared set', () => {
    expect(contractValidators()).toBe(contractValidators());
    expect(Object.keys(contractValidators()).sort()).toEqual(Object.keys(VALIDATOR_EXPORTS).sort());
    for (const [key, name] of Object.entries(VALIDATOR_EXPORTS)) expect(schemaValidator(name)).toBe(contractValidators()[key as ValidatorExport]);
    expect(() => schemaValidator('Nope' as never)).toThrow(RangeError);
  });
});

describe('precompiled and runtime-compiled validators judge alike', () => {
  const precompiled = contractValidators();
  const compiled = compileContractValidators();
  const judge = (key: ValidatorExport, data: unknown) => {
    const [a, b] = [precompiled[key], compiled[key]];
    return [{ valid: a(data), errors: a.errors ?? null }, { valid: b(data), errors: b.errors ?? null }];
  };

  // Bodies near the contract's, so both verdicts (and every error keyword) come up often.
  const member = fc.oneof(fc.string(), fc.integer({ min: -5, max: 5 }), fc.double(), fc.boolean(), fc.constant(null), fc.constantFrom('Bearer', 'DPoP', 'bearer', 'invalid_client', 'use_dpop_nonce', 'client_credentials'));
  const body = fc.oneof(
    fc.record(
      {
        access_token: member,
        token_type: member,
        expires_in: member,
        scope: member,
        cnf: fc.oneof(fc.record({ jkt: member }, { requiredKeys: [] }), member),
        error: member,
        error_description: member,
        grant_type: member,
        client_assertion_type: member,
      },
      { requiredKeys: [] },
    ),
    fc.jsonValue(),
  );

  test.each(Object.keys(VALIDATOR_EXPORTS) as ValidatorExport[])('%s: the same verdict and the same errors', (key) => {
    fc.assert(
      fc.property(body, (data) => {
        const [ours, reference] = judge(key, data);
        expect(ours).toEqual(reference);
      }),
      { numRuns: 400 },
    );
  });

  test('the schemas examples pass both', () => {
    for (const [key, name] of Object.entries(VALIDATOR_EXPORTS) as [ValidatorExport, keyof typeof COMPONENT_SCHEMAS][]) {
      const example = (COMPONENT_SCHEMAS[name] as { example?: unknown }).example;
      if (example === undefined) continue; // AttestoTokenResponse: a oneOf, its branches carry the examples
      expect(judge(key, example)).toEqual([{ valid: true, errors: null }, { valid: true, errors: null }]);
    }
  });
});
