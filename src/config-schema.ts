/**
 * One validation path for a configuration written as a JSON Schema: Ajv
 * compiles the schema once (lazily, on first use) and every later call
 * reuses the compiled function. The most telling problem Ajv finds becomes
 * one line, built from its `instancePath`, `keyword` and `params`, never from
 * Ajv's own English, so every configuration (suite, reference server, CLI
 * flags) words the same problem the same way.
 *
 * Shared by the suite config and the reference-server config; imports
 * only src/errors, so either may depend on it without a circle.
 */
import Ajv, { type AnySchemaObject, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { InternalError } from './errors';

/** The first problem of a value, in words, with where it sits. */
export interface SchemaProblem {
  /** Ajv's JSON pointer to the offending value (`/clients/0/secret`); for an unknown member, to its object. */
  instancePath: string;
  /** The same place for people: `clients[0].secret`; `''` for the top level. */
  path: string;
  /**
   * `member`: `problem` is a predicate of the value at `path` (`must be a
   * string`, `is required`). `object`: a statement about the object at
   * `path` (`unknown member "secert"`).
   */
  kind: 'member' | 'object';
  problem: string;
  /** The offending value, for `(got …)`; absent when the place may hold a secret. */
  shownValue?: string;
}

export interface SchemaValidatorOptions {
  /** Whether a value at these path segments may carry a secret: its value is then never shown. */
  isSecret(segments: readonly string[]): boolean;
  /** Words for a `pattern` (`be a host name without spaces`), keyed by the pattern's source. */
  patternWords?: Readonly<Record<string, string>>;
}

export interface SchemaValidator {
  /** The first problem of `data`, or undefined when it conforms. */
  check(data: unknown): SchemaProblem | undefined;
}

export function createSchemaValidator(schema: AnySchemaObject, options: SchemaValidatorOptions): SchemaValidator {
  let validate: ValidateFunction | undefined;
  return {
    check(data) {
      validate ??= compile(schema);
      if (validate(data)) return undefined;
      return describeError(pickError(validate.errors ?? []), options);
    },
  };
}

function compile(schema: AnySchemaObject): ValidateFunction {
  // verbose: errors carry parentSchema (the range of an integer, the branches of a union) and the data.
  // strictRequired off: `not: { required: [a, b] }` (two members that exclude each other) names members defined beside it.
  const ajv = addFormats(new Ajv({ allErrors: true, verbose: true, strict: true, strictRequired: false }));
  try {
    return ajv.compile(schema);
  } catch (error) {
    throw new InternalError(`a configuration schema does not compile: ${(error as Error).message}`, { cause: error });
  }
}

/** The message for a problem: `config: clients[0]: unknown member "secert"`, `config file "x.yaml": concurrency must be …`. */
export function formatSchemaProblem(problem: SchemaProblem, where: string): string {
  const got = problem.shownValue === undefined ? '' : ` (got ${problem.shownValue})`;
  if (problem.kind === 'object') return `${where}: ${problem.path === '' ? '' : `${problem.path}: `}${problem.problem}`;
  return `${where}${problem.path === '' ? '' : `: ${problem.path}`} ${problem.problem}${got}`;
}

/**
 * The one problem worth a line among all Ajv found (allErrors on, so an
 * unknown member is not hidden behind a missing one: `secrets` for
 * `secret` says more than "secret is required").
 *
 * For a union (anyOf/oneOf) Ajv records every branch's failure: a branch
 * the value did not match by type is noise; a branch it matched and failed
 * further in is the problem (`dpop: { enabled: "yes" }` → `dpop.enabled
 * must be true or false`); when there is none, the union itself (`dpop must
 * be true or false, or an object`).
 */
function pickError(errors: readonly ErrorObject[]): ErrorObject {
  const unions = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  const isUnionAt = (path: string) => unions.some((u) => u.instancePath === path);
  const within = (e: ErrorObject, u: ErrorObject) => e !== u && (e.instancePath === u.instancePath || e.instancePath.startsWith(`${u.instancePath}/`));
  // A union branch's schema path (`#/properties/proxy/anyOf/1`), from one of its keywords' (`…/anyOf/1/const`).
  const branchOf = (e: ErrorObject) => e.schemaPath.slice(0, e.schemaPath.lastIndexOf('/'));
  const mismatchedBranches = new Set(errors.filter((e) => e.keyword === 'type' && isUnionAt(e.instancePath)).map(branchOf));
  // Noise: a branch the value did not match by type, and whatever else that branch said about it (`proxy: 42` is no `false` either).
  const noise = (e: ErrorObject) => e.keyword !== 'anyOf' && e.keyword !== 'oneOf' && isUnionAt(e.instancePath) && mismatchedBranches.has(branchOf(e));
  const relevant = errors.filter((e) => {
    if (noise(e)) return false;
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf') {
      return !errors.some((other) => within(other, e) && !noise(other) && other.keyword !== e.keyword);
    }
    return true;
  });
  const pool = relevant.length > 0 ? relevant : errors;
  return pool.find((e) => e.keyword === 'additionalProperties') ?? pool[0]!;
}

function describeError(error: ErrorObject, options: SchemaValidatorOptions): SchemaProblem {
  const segments = pointerSegments(error.instancePath);
  const parent = error.parentSchema ?? {};
  const params = error.params as Record<string, unknown>;
  const object = (problem: string): SchemaProblem => ({ instancePath: error.instancePath, path: readablePath(segments), kind: 'object', problem });
  const member = (problem: string, at = segments, withValue = true): SchemaProblem => {
    const out: SchemaProblem = { instancePath: `/${at.map(escapePointer).join('/')}`.replace(/^\/$/, ''), path: readablePath(at), kind: 'member', problem };
    if (withValue && !options.isSecret(at)) out.shownValue = showValue(error.data);
    return out;
  };
  switch (error.keyword) {
    case 'additionalProperties':
      return object(`unknown member ${JSON.stringify(params.additionalProperty)}`);
    case 'required':
      return member('is required', [...segments, String(params.missingProperty)], false);
    case 'not': {
      // The only `not` our schemas use: two members that exclude each other (a deprecated alias and its name).
      const both = (parent.not as AnySchemaObject | undefined)?.required as string[] | undefined;
      return object(both ? `give ${both.join(' or ')}, not both` : 'is not allowed here');
    }
    case 'type':
      return member(typePredicate(parent));
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
    case 'multipleOf':
      return member(rangePredicate(parent));
    case 'enum':
      return member(`must be one of ${(params.allowedValues as unknown[]).map(String).join(', ')}`);
    case 'const':
      return member(`must be ${JSON.stringify(params.allowedValue)}`);
    case 'minLength':
      return member(params.limit === 1 ? 'must not be empty' : `must be at least ${String(params.limit)} characters long`);
    case 'maxLength':
      return member(`must be at most ${String(params.limit)} characters long`);
    case 'minItems':
      return member(params.limit === 1 ? 'must list at least one entry' : `must list at least ${String(params.limit)} entries`);
    case 'uniqueItems':
      return member('must not list the same entry twice');
    case 'pattern': {
      const words = options.patternWords?.[String(params.pattern)];
      return member(words === undefined ? `must match /${String(params.pattern)}/` : `must ${words}`);
    }
    case 'format':
      return member(`must be ${params.format === 'uri' ? 'an absolute URI' : `a valid ${String(params.format)}`}`);
    case 'anyOf':
    case 'oneOf':
      return member(`must be ${joinOr(((parent[error.keyword] as AnySchemaObject[] | undefined) ?? []).map(noun))}`);
    default:
      return member(error.message ?? 'is not valid');
  }
}

function typePredicate(schema: AnySchemaObject): string {
  if (schema.type === 'boolean') return 'must be true or false';
  if (schema.type === 'integer' || schema.type === 'number') return rangePredicate(schema);
  return `must be ${noun(schema)}`;
}

function rangePredicate(schema: AnySchemaObject): string {
  const whole = schema.type === 'integer';
  const kind = whole ? 'a whole number' : 'a number';
  if (typeof schema.minimum === 'number' && typeof schema.maximum === 'number') return `must be ${kind} from ${schema.minimum} to ${schema.maximum}`;
  if (typeof schema.minimum === 'number') return `must be ${kind} of at least ${schema.minimum}`;
  if (typeof schema.exclusiveMinimum === 'number') return `must be ${kind} greater than ${schema.exclusiveMinimum}`;
  if (typeof schema.maximum === 'number') return `must be ${kind} of at most ${schema.maximum}`;
  return `must be ${kind}`;
}

function noun(schema: AnySchemaObject): string {
  // A branch that allows one value (`proxy`: a URL or false) is named by that value, not by its type.
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  switch (schema.type) {
    case 'boolean':
      return 'true or false';
    case 'string':
      return 'a string';
    case 'integer':
      return 'a whole number';
    case 'number':
      return 'a number';
    case 'object':
      return 'an object';
    case 'array':
      return (schema.items as AnySchemaObject | undefined)?.type === 'string' ? 'an array of strings' : 'an array';
    default:
      return 'a value of another shape';
  }
}

function joinOr(words: readonly string[]): string {
  if (words.length <= 1) return words[0] ?? 'something else';
  // "a string or an object", but "true or false, or an object".
  if (words.length === 2 && !words[0]!.includes(' or ')) return `${words[0]} or ${words[1]}`;
  return `${words.slice(0, -1).join(', ')}, or ${words[words.length - 1]}`;
}

/** RFC 6901 JSON pointer → segments. */
function pointerSegments(pointer: string): string[] {
  return pointer === '' ? [] : pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** `["clients", "0", "secret"]` → `clients[0].secret`; a member that is no identifier is quoted (`expectedFailures["a b"]`). */
function readablePath(segments: readonly string[]): string {
  let out = '';
  for (const segment of segments) {
    if (/^\d+$/.test(segment)) out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

function showValue(value: unknown): string | undefined {
  if (value === undefined || typeof value === 'function') return undefined;
  if (value !== null && typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}
