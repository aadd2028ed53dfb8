/**
 * One validation path for a configuration written as a JSON Schema: Ajv
 * compiles the schema once (lazily, on first use) and every later call
 * reuses the compiled function. The most telling problem Ajv finds becomes
 * one line, built from its `instancePath`, `keyword` and `params`, never from
 * Ajv's own English, so every configuration (suite, reference server, CLI
 * flags) words the same problem the same way.
 *
 * The text of a config file is read here too (`parseConfigText`), so a JSON
 * or YAML problem is worded the same way for either config, and never with
 * the text itself.
 *
 * Shared by the suite config and the reference-server config; imports
 * only src/errors (and ajv, yaml), so either may depend on it without a circle.
 */
import Ajv, { type AnySchemaObject, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { LineCounter, parseDocument, type ErrorCode, type YAMLError } from 'yaml';
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
  // A string may be a secret typed or pasted into the wrong member: quoted only when plainly none (never cut short: a prefix of a secret is a leak too).
  if (typeof value === 'string') return isPlainText(value) ? JSON.stringify(value) : undefined;
  return JSON.stringify(value);
}

/** Longest received text a message quotes: generated credentials are longer. */
const MAX_QUOTED_LENGTH = 24;

/**
 * Whether a received text is plainly no secret, so a message may quote it
 * (`(got "strict")`, `(got "10s")`): at most MAX_QUOTED_LENGTH printable
 * ASCII characters, no capital letter, and each run of letters and digits
 * either letters alone, digits alone (at most 12), or a number with a
 * short unit (`10s`, `1.5ms`). A generated secret, a token, a key, a
 * hex or base64 string or a `s3cr3t` fails one of these; anything else is
 * described without its text. The one rule for every config problem
 * (files, programmatic configs, CLI flags) and for anything else a config
 * message would echo (a YAML tag).
 */
export function isPlainText(text: string): boolean {
  if (text.length > MAX_QUOTED_LENGTH || !/^[\x20-\x7e]*$/.test(text) || /[A-Z]/.test(text)) return false;
  return (text.match(/[a-z0-9.]+/g) ?? []).every((word) =>
    /^[a-z.]+$/.test(word) || /^[0-9.]{1,12}$/.test(word) || /^[0-9]{1,6}(\.[0-9]+)?[a-z]{1,3}$/.test(word),
  );
}

// ---- the text of a configuration file ------------------------------------

/** A file's text as a value, or what is wrong with it: where (line, column) and what, never a word of the text. */
export type ConfigText = { ok: true; value: unknown } | { ok: false; problem: string };

/**
 * Parses the text of a configuration file (a suite or server config, an
 * expected-failures list). Neither parser's own message may be shown:
 * Node's `JSON.parse` quotes the text around the error (`…"secret":R8S3cret"…
 * is not valid JSON`), and yaml prints the offending line under its
 * message and hands warnings (an unknown tag on a secret's line) to
 * `process.emitWarning`, which Node prints to stderr. So JSON is located
 * by our own scan, and YAML is parsed with warnings collected, never
 * emitted; every YAML problem is worded from its code and position.
 */
export function parseConfigText(text: string, format: 'json' | 'yaml'): ConfigText {
  return format === 'json' ? parseJsonText(text) : parseYamlText(text);
}

function parseJsonText(text: string): ConfigText {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    const found = locateJsonError(text);
    // Our scan and JSON.parse disagree only if JSON.parse refuses more than RFC 8259 does: say no more than that it failed.
    return { ok: false, problem: found === undefined ? 'JSON.parse refused it' : `${linePosition(text, found.offset)}: ${found.problem}` };
  }
}

/** `line 3, column 12` for an offset into `text` (both from 1, columns in UTF-16 code units). */
function linePosition(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = (before.match(/\n/g)?.length ?? 0) + 1;
  return `line ${line}, column ${offset - before.lastIndexOf('\n')}`;
}

const JSON_VALUE_WORDS = 'a value: a string in double quotes, a number, true, false, null, an object or an array';

/**
 * The first place RFC 8259 refuses, and why, by a scan of our own (a loop
 * with an explicit stack: a deeply nested file cannot overflow the call
 * stack). Undefined when the text is valid JSON.
 */
function locateJsonError(text: string): { offset: number; problem: string } | undefined {
  const stack: Array<'object' | 'array'> = [];
  // What may come next: a value (`first`: or the `]` closing an empty array), a member name (or `}`), the `:` after it, or what follows a value.
  let want: 'value' | 'firstValue' | 'name' | 'firstName' | 'colon' | 'after' = 'value';
  let i = 0;
  for (;;) {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
    if (i >= text.length) {
      if (want === 'after' && stack.length === 0) return undefined;
      const expected = { value: JSON_VALUE_WORDS, firstValue: 'a value or "]"', name: 'a member name in double quotes', firstName: 'a member name or "}"', colon: '":"', after: stack.at(-1) === 'object' ? '"," or "}"' : '"," or "]"' }[want];
      return { offset: i, problem: `the text ends early (expected ${expected})` };
    }
    const c = text[i]!;
    if (want === 'after') {
      const open = stack.at(-1);
      if (open === undefined) return { offset: i, problem: 'more text after the JSON value' };
      const close = open === 'object' ? '}' : ']';
      if (c === ',') {
        i++;
        want = open === 'object' ? 'name' : 'value';
      } else if (c === close) {
        stack.pop();
        i++;
      } else return { offset: i, problem: `unexpected character (expected "," or "${close}")` };
      continue;
    }
    if (want === 'colon') {
      if (c !== ':') return { offset: i, problem: 'unexpected character (expected ":" after the member name)' };
      i++;
      want = 'value';
      continue;
    }
    if ((want === 'firstValue' && c === ']') || (want === 'firstName' && c === '}')) {
      stack.pop();
      i++;
      want = 'after';
      continue;
    }
    if ((want === 'value' && (c === ']' || c === '}') && stack.length > 0) || (want === 'name' && c === '}')) {
      return { offset: i, problem: `a comma before "${c}" (JSON allows no trailing comma)` };
    }
    if (want === 'name' || want === 'firstName') {
      if (c !== '"') return { offset: i, problem: `unexpected character (expected a member name in double quotes${c === "'" ? ': JSON strings take double quotes' : ''})` };
      const problem = scanJsonString(text, i);
      if (typeof problem !== 'number') return problem;
      i = problem;
      want = 'colon';
      continue;
    }
    // A value.
    if (c === '{' || c === '[') {
      stack.push(c === '{' ? 'object' : 'array');
      i++;
      want = c === '{' ? 'firstName' : 'firstValue';
      continue;
    }
    if (c === '"') {
      const end = scanJsonString(text, i);
      if (typeof end !== 'number') return end;
      i = end;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      const number = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
      if (number === null || number[0] === '-') return { offset: i, problem: 'a malformed number' };
      i += number[0].length;
    } else {
      const literal = ['true', 'false', 'null'].find((word) => text.startsWith(word, i));
      if (literal === undefined) {
        const hint = c === "'" ? ': JSON strings take double quotes' : c === '/' ? ': JSON has no comments' : '';
        return { offset: i, problem: `unexpected character (expected ${JSON_VALUE_WORDS}${hint})` };
      }
      i += literal.length;
    }
    want = 'after';
  }
}

/** The offset after the string opening at `start`, or what is wrong with it. */
function scanJsonString(text: string, start: number): number | { offset: number; problem: string } {
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') return i + 1;
    if (c === '\\') {
      const next = text[i + 1];
      if (next === 'u' ? !/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6)) : next === undefined || !'"\\/bfnrt'.includes(next)) {
        return { offset: i, problem: 'a bad escape in a string (JSON knows \\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX)' };
      }
      i += next === 'u' ? 5 : 1;
    } else if (c < ' ') return { offset: i, problem: 'a line break or control character inside a string (write it escaped, as \\n or \\uXXXX)' };
  }
  return { offset: start, problem: 'a string that is never closed' };
}

/** YAML problems in words, by their code (yaml's own message may quote the text). */
const YAML_PROBLEMS: Readonly<Partial<Record<ErrorCode, string>>> = {
  ALIAS_PROPS: 'an alias cannot carry a tag or an anchor',
  BAD_ALIAS: 'an alias that names no anchor',
  BAD_DIRECTIVE: 'a directive (%…) that is not valid',
  BAD_DQ_ESCAPE: 'a bad escape in a double-quoted string',
  BAD_INDENT: 'bad indentation',
  BAD_PROP_ORDER: 'an anchor and a tag in the wrong order',
  BAD_SCALAR_START: 'a plain value cannot start with this character (quote the value)',
  BLOCK_AS_IMPLICIT_KEY: 'a block value used as a key',
  BLOCK_IN_FLOW: 'a block value inside [ ] or { }',
  BAD_COLLECTION_TYPE: 'a tag for another kind of collection',
  DUPLICATE_KEY: 'a key given twice in one mapping',
  KEY_OVER_1024_CHARS: 'a key longer than 1024 characters',
  MULTILINE_IMPLICIT_KEY: 'a key that spans lines (a missing ":"?)',
  MULTIPLE_ANCHORS: 'a value with two anchors',
  MULTIPLE_DOCS: 'more than one YAML document (---): give one',
  MULTIPLE_TAGS: 'a value with two tags',
  NON_STRING_KEY: 'a key that is not a string',
  RESOURCE_EXHAUSTION: 'too many aliases',
  TAB_AS_INDENT: 'a tab used as indentation (indent with spaces)',
  UNEXPECTED_TOKEN: 'unexpected text (a missing ":" or "-", or a value to quote?)',
};

function parseYamlText(text: string): ConfigText {
  const lineCounter = new LineCounter();
  // prettyErrors off: it appends the offending line to each message. logLevel `error`: warnings are
  // collected in doc.warnings, never passed to process.emitWarning (yaml's parse() and toJS() would;
  // `silent` would also drop the errors).
  const options = { prettyErrors: false, logLevel: 'error', lineCounter } as const;
  const doc = parseDocument(text, options);
  // A warning is an error here: an unresolved tag leaves the text as a plain string (the `!vault` path as the secret).
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem !== undefined) {
    const where = problem.pos[0] >= 0 ? (({ line, col }) => `line ${line}, column ${col}: `)(lineCounter.linePos(problem.pos[0])) : '';
    const more = doc.errors.length + doc.warnings.length - 1;
    return { ok: false, problem: `${where}${yamlProblem(problem, text)}${more > 0 ? ` (and ${more} more problem${more === 1 ? '' : 's'})` : ''}` };
  }
  try {
    // The document's logLevel (`error`) holds for toJS too: its warning about a collection used as a key quotes the key.
    return { ok: true, value: doc.toJS({ maxAliasCount: 100 }) };
  } catch {
    // toJS throws for an alias it cannot resolve or one used too often; its message names the alias.
    return { ok: false, problem: 'its aliases cannot be resolved (an alias used before its anchor, or too often)' };
  }
}

/** MISSING_CHAR covers several slips; yaml's message (never shown) tells which. */
const MISSING_CHAR_PROBLEMS: ReadonlyArray<[RegExp, string]> = [
  [/^Implicit map keys/, 'a line that is neither "key: value" nor "- item" (a missing ":"?)'],
  [/^Sequence item without/, 'a list item without "-"'],
  [/^Missing closing/, 'a quoted value that is never closed'],
  [/^Missing (,|space)/, 'a missing "," or ": " inside [ ] or { }'],
  [/^Tags and anchors/, 'a tag or anchor not followed by a space'],
  [/^Comments must/, 'a "#" comment without a space before it'],
];

function yamlProblem(problem: YAMLError, text: string): string {
  if (problem.code === 'TAG_RESOLVE_FAILED') {
    // The tag as written, when the problem's range is the tag token and the tag is plain (a secret that starts with "!" reads as a tag).
    const tag = text.slice(problem.pos[0], problem.pos[1]);
    if (!tag.startsWith('!')) return 'a value that does not fit its tag';
    if (!/^!!?[a-z][a-z0-9_.-]*$/.test(tag) || !isPlainText(tag.replace(/^!+/, ''))) {
      return 'an unknown tag (not shown: a value that starts with "!" reads as a tag; quote such a value)';
    }
    // `!!int` and the like are YAML's own: the value does not fit them. `!vault` is a tag the suite does not know.
    return tag.startsWith('!!') ? `the value does not fit its tag ${tag}` : `unknown tag ${tag} (only plain YAML is read: write the value itself)`;
  }
  if (problem.code === 'MISSING_CHAR') return MISSING_CHAR_PROBLEMS.find(([pattern]) => pattern.test(problem.message))?.[1] ?? 'a character is missing';
  return YAML_PROBLEMS[problem.code] ?? `YAML ${problem.code.toLowerCase().replace(/_/g, ' ')}`;
}
