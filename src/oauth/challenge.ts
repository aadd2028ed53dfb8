/**
 * The `WWW-Authenticate` challenge grammar (RFC 9110 §11.6.1), parsed once
 * for the validation core and the conformance suite:
 *
 *     WWW-Authenticate = #challenge
 *     challenge  = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
 *     auth-param = token BWS "=" BWS ( token / quoted-string )
 *     token68    = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
 *
 * The challenges and their parameters share one comma-separated list, so an
 * element `name=value` belongs to the challenge before it and an element
 * that starts with a bare token opens a new challenge. Commas inside a
 * quoted-string do not split; `\` escapes one character in it (RFC 9110
 * §5.6.4). Schemes and parameter names are case-insensitive (§11.1, §11.2).
 */

export interface Challenge {
  /** The auth-scheme as sent (compare case-insensitively). */
  scheme: string;
  /** The parameters by lower-cased name, values unquoted and unescaped; the first of a repeated name wins (§11.2 allows one). */
  params: Readonly<Record<string, string>>;
  /** The token68 form, when the challenge carries one instead of parameters. */
  token68?: string;
  /** Something in this challenge's part of the field does not follow the grammar. */
  malformed?: true;
}

/** RFC 9110 §5.6.2: tchar. */
const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
/** RFC 9110 §11.2: the token68 characters before its `=` padding. */
const TOKEN68_CHAR = /[A-Za-z0-9\-._~+/]/;

/** Each challenge of a `WWW-Authenticate` value, in order. */
export function parseChallenges(value: string): Challenge[] {
  const challenges: Array<Challenge & { params: Record<string, string> }> = [];
  let current: (typeof challenges)[number] | undefined;
  const n = value.length;
  let i = 0;

  const skipWs = () => {
    while (i < n && (value[i] === ' ' || value[i] === '\t')) i++;
  };
  const readWhile = (pattern: RegExp): string => {
    const start = i;
    while (i < n && pattern.test(value[i]!)) i++;
    return value.slice(start, i);
  };
  /** From a `"`: the unescaped content (an unclosed quote takes the rest of the field). */
  const readQuoted = (): { text: string; closed: boolean } => {
    let text = '';
    i++;
    while (i < n) {
      const ch = value[i]!;
      if (ch === '\\' && i + 1 < n) {
        text += value[i + 1];
        i += 2;
      } else if (ch === '"') {
        i++;
        return { text, closed: true };
      } else {
        text += ch;
        i++;
      }
    }
    return { text, closed: false };
  };
  /** Skips to the next list comma outside a quoted-string; what it skips was not grammatical. */
  const skipElement = () => {
    while (i < n && value[i] !== ',') {
      if (value[i] === '"') readQuoted();
      else i++;
    }
    if (current) current.malformed = true;
  };
  /** After an element: the list separator or the end, else the element is malformed. */
  const endElement = () => {
    skipWs();
    if (i < n && value[i] !== ',') skipElement();
  };
  /** At `=` after a parameter name: its value, recorded on the current challenge. */
  const readParam = (name: string) => {
    i++; // "="
    skipWs();
    let paramValue: string;
    if (value[i] === '"') {
      const quoted = readQuoted();
      if (!quoted.closed && current) current.malformed = true;
      paramValue = quoted.text;
    } else {
      paramValue = readWhile(TCHAR);
      if (paramValue === '') return skipElement();
    }
    if (current) {
      const key = name.toLowerCase();
      if (Object.hasOwn(current.params, key)) current.malformed = true;
      else current.params[key] = paramValue;
    }
    endElement();
  };

  while (i < n) {
    const ch = value[i]!;
    if (ch === ',' || ch === ' ' || ch === '\t') {
      i++;
      continue;
    }
    const token = readWhile(TCHAR);
    if (token === '') {
      skipElement();
      continue;
    }
    const afterToken = i;
    skipWs();
    if (value[i] === '=') {
      // An auth-param of the challenge before it (one without a challenge is ignored).
      readParam(token);
      continue;
    }
    i = afterToken;
    current = { scheme: token, params: Object.create(null) as Record<string, string> };
    challenges.push(current);
    if (i >= n || value[i] === ',') continue;
    if (value[i] !== ' ' && value[i] !== '\t') {
      skipElement();
      continue;
    }
    skipWs();
    if (i >= n || value[i] === ',') continue;
    // token68, unless what follows makes it the first auth-param (`realm="x"`, `realm = x`).
    const start = i;
    const chars = readWhile(TOKEN68_CHAR);
    const padding = readWhile(/=/);
    const afterToken68 = i;
    skipWs();
    if (chars !== '' && (i >= n || value[i] === ',')) {
      current.token68 = chars + padding;
      i = afterToken68;
      continue;
    }
    i = start;
    const name = readWhile(TCHAR);
    skipWs();
    if (name !== '' && value[i] === '=') readParam(name);
    else skipElement();
  }
  return challenges;
}

/** The auth-scheme of each challenge in a `WWW-Authenticate` value, in order. */
export function challengeSchemes(value: string): string[] {
  return parseChallenges(value).map((challenge) => challenge.scheme);
}

/** The `Basic` challenges (RFC 7617 §2) that carry no `realm` parameter, which that scheme requires. */
export function basicChallengesWithoutRealm(value: string): Challenge[] {
  return parseChallenges(value).filter((challenge) => challenge.scheme.toLowerCase() === 'basic' && !Object.hasOwn(challenge.params, 'realm'));
}

/** What a Basic challenge without a realm breaks, in the words of both the validation core and the suite. */
export const BASIC_REALM_MESSAGE = `a Basic challenge must carry a realm parameter, e.g. Basic realm="OAuth" (RFC 7617 §2: "The authentication parameter 'realm' is REQUIRED")`;
