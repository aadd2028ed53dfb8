/**
 * Body checks against the contract's schemas, turning Ajv errors into one
 * readable problem each. For the `oneOf` of Bearer and DPoP responses, the
 * body is judged against the branch it is closest to (by `token_type`, then
 * by `cnf`), not reported as a wall of errors from both branches.
 */
import { isPlainObject } from '../oauth/guards';
import type { ErrorObject } from 'ajv';
import { SCHEMA_NAMES } from '../openapi/schemas';
import { SECRET_BODY_MEMBERS, redactBody, redactValue } from '../oauth/redact';
import { isRfcTokenErrorCode } from '../oauth/protocol';
import { CONTRACT_SOURCE, RULES, type ProblemDraft } from './problem';
import { contractValidators, type ContractValidateFunction } from './schema-validators';

const TOKEN_TYPES = ['Bearer', 'DPoP'] as const;

/** Problems of a JSON token response body (status 200); none when valid. */
export function tokenResponseProblems(body: unknown, problems: ProblemDraft[]): void {
  const validators = contractValidators();
  if (validators.tokenResponse(body)) return;
  const first = problems.length;
  schemaTokenResponseProblems(body, problems, validators);
  for (let i = first; i < problems.length; i++) problems[i]!.reference ??= 'RFC 6749 §5.1';
}

function schemaTokenResponseProblems(body: unknown, problems: ProblemDraft[], validators: ReturnType<typeof contractValidators>): void {
  if (!isObject(body)) {
    problems.push(schemaProblem('', `${SCHEMA_NAMES.tokenResponse}: must be a JSON object`, 'object', body));
    return;
  }
  const tokenType = body.token_type;
  if (tokenType === 'Bearer' || tokenType === 'DPoP') {
    const [validate, name] = tokenType === 'Bearer' ? [validators.bearerResponse, SCHEMA_NAMES.bearerResponse] : [validators.dpopResponse, SCHEMA_NAMES.dpopResponse];
    branchProblems(validate, `${name} (token_type "${tokenType}")`, body, problems, undefined, tokenType === 'DPoP' ? markCnf : undefined);
    return;
  }
  // token_type is missing or outside the enum: judge against the closest branch.
  const looksDpop = (typeof tokenType === 'string' && tokenType.toLowerCase() === 'dpop') || body.cnf !== undefined;
  const [validate, name] = looksDpop ? [validators.dpopResponse, SCHEMA_NAMES.dpopResponse] : [validators.bearerResponse, SCHEMA_NAMES.bearerResponse];
  if (tokenType !== undefined) {
    const caseHint = typeof tokenType === 'string' && TOKEN_TYPES.some((t) => t.toLowerCase() === tokenType.toLowerCase())
      ? ' (the contract enum is case-sensitive, although RFC 6749 §5.1 calls token_type case-insensitive)'
      : '';
    const problem = schemaProblem('/token_type', `${SCHEMA_NAMES.tokenResponse}: token_type must be exactly "Bearer" or "DPoP"${caseHint}`, TOKEN_TYPES, tokenType);
    // RFC 6749 §5.1: token_type is case-insensitive, so a case variant breaks the contract only.
    problems.push(caseHint === '' ? { ...problem, reference: 'RFC 6749 §5.1, §7.1' } : { ...problem, ...CONTRACT_SOURCE });
  }
  branchProblems(validate, `${name} (the closest branch of ${SCHEMA_NAMES.tokenResponse})`, body, problems, (error) => !(error.instancePath === '/token_type' && error.keyword === 'enum'), looksDpop ? markCnf : undefined);
}

/**
 * RFC 9449 §5 defines no `cnf` member in the token response: the contract's DPoP body requires
 * it, so problems under `/cnf` break the contract only.
 */
function markCnf(problem: ProblemDraft): ProblemDraft {
  return problem.pointer === '/cnf' || problem.pointer.startsWith('/cnf/') ? { ...problem, ...CONTRACT_SOURCE } : problem;
}

/**
 * Problems of a JSON error body (status 400/401); none when valid. An `error` outside the
 * contract's enum but registered for the token endpoint (src/oauth/protocol.ts), or among the
 * caller's `extraCodes`, breaks the contract only.
 */
export function tokenErrorProblems(body: unknown, problems: ProblemDraft[], extraCodes?: readonly string[]): void {
  const validate = contractValidators().error;
  if (validate(body)) return;
  if (!isObject(body)) {
    problems.push({ ...schemaProblem('', `${SCHEMA_NAMES.error}: must be a JSON object`, 'object', body), reference: 'RFC 6749 §5.2' });
    return;
  }
  const code = body.error;
  const known = isRfcTokenErrorCode(code) || (typeof code === 'string' && extraCodes !== undefined && extraCodes.includes(code));
  branchProblems(validate, SCHEMA_NAMES.error, body, problems, undefined, (problem) => {
    if (problem.pointer === '/error' && typeof code === 'string') return known ? { ...problem, ...CONTRACT_SOURCE } : { ...problem, reference: 'RFC 6749 §5.2, §8.5' };
    return problem.reference === undefined ? { ...problem, reference: 'RFC 6749 §5.2' } : problem;
  });
}

function branchProblems(
  validate: ContractValidateFunction<unknown>,
  label: string,
  body: Record<string, unknown>,
  problems: ProblemDraft[],
  keep: (error: ErrorObject) => boolean = () => true,
  mark: (problem: ProblemDraft) => ProblemDraft = (problem) => problem,
): void {
  if (validate(body)) return;
  for (const error of validate.errors ?? []) {
    if (keep(error)) problems.push(mark(fromAjvError(error, label, body)));
  }
}

function fromAjvError(error: ErrorObject, label: string, body: unknown): ProblemDraft {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required': {
      const member = String(params.missingProperty);
      const pointer = `${error.instancePath}/${escapePointer(member)}`;
      // The message says it is absent: no `received` to repeat it.
      return { where: 'body', pointer, message: `${label}: required member "${member}" is missing`, expected: 'present', rule: RULES.bodySchema };
    }
    case 'type':
      return schemaProblem(error.instancePath, `${label}: must be ${article(String(params.type))}`, params.type, valueAt(body, error.instancePath));
    case 'enum':
      return schemaProblem(error.instancePath, `${label}: must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`, params.allowedValues, valueAt(body, error.instancePath));
    case 'const':
      return schemaProblem(error.instancePath, `${label}: must be ${JSON.stringify(params.allowedValue)}`, params.allowedValue, valueAt(body, error.instancePath));
    case 'minimum':
      return schemaProblem(error.instancePath, `${label}: must be >= ${String(params.limit)}`, `>= ${String(params.limit)}`, valueAt(body, error.instancePath));
    default:
      return schemaProblem(error.instancePath, `${label}: ${error.message ?? `fails "${error.keyword}"`}`, error.keyword, valueAt(body, error.instancePath));
  }
}

function schemaProblem(pointer: string, message: string, expected: unknown, received: unknown): ProblemDraft {
  return { where: 'body', pointer, message, expected, received: safeValue(pointer, received), rule: RULES.bodySchema };
}

/**
 * A value fit for a message: secrets redacted, by member name, by JWT shape,
 * and inside free text (a `client_secret=…` quoted in an error_description).
 */
export function safeValue(pointer: string, value: unknown): unknown {
  if (typeof value === 'string') {
    const member = unescapePointer(pointer.slice(pointer.lastIndexOf('/') + 1));
    return SECRET_BODY_MEMBERS.has(member) ? redactValue(value) : redactBody(value);
  }
  return redactBody(value);
}

export const isObject = isPlainObject;

/** The value at a JSON pointer (RFC 6901), or undefined. */
export function valueAt(root: unknown, pointer: string): unknown {
  if (pointer === '') return root;
  let current: unknown = root;
  for (const token of pointer.slice(1).split('/')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[unescapePointer(token)];
  }
  return current;
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function escapePointer(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

function unescapePointer(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}
