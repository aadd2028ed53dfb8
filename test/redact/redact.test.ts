import { looksLikeJwt, redactAuthorization, redactText, redactBody, redactForm, redactHeaders, redactValue, scrubText } from '../../src/oauth/redact';

const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJjbGllbnQifQ.c2lnbmF0dXJlLXZhbHVlLWhlcmU';
const SECRET = 'super-secret-value-123';

describe('redaction', () => {
  it('keeps a short prefix and the length, never the value', () => {
    expect(redactValue(TOKEN)).toBe(`[redacted "eyJh…", ${TOKEN.length} chars]`);
    expect(redactValue('short')).toBe('[redacted, 5 chars]');
    expect(redactValue(SECRET)).not.toContain(SECRET.slice(4));
  });

  it('keeps the Authorization scheme only', () => {
    const basic = `Basic ${Buffer.from(`id:${SECRET}`).toString('base64')}`;
    expect(redactAuthorization(basic)).toMatch(/^Basic \[redacted/);
    expect(redactAuthorization(basic)).not.toContain(basic.slice(10));
  });

  it('redacts secret headers by name, case-insensitively, including repeated ones', () => {
    const out = redactHeaders({ Authorization: `DPoP ${TOKEN}`, dpop: [TOKEN, TOKEN], 'content-type': 'application/json' });
    expect(JSON.stringify(out)).not.toContain(TOKEN);
    expect(out['content-type']).toBe('application/json');
  });

  it('redacts secret body members at any depth and JWT-shaped strings anywhere', () => {
    const body = { access_token: 'opaque-token-value', nested: [{ client_secret: SECRET }], echoed: TOKEN, scope: 'read' };
    const out = JSON.stringify(redactBody(body));
    for (const secret of ['opaque-token-value', SECRET, TOKEN]) expect(out).not.toContain(secret);
    expect(out).toContain('"scope":"read"');
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    expect(redactBody(circular)).toEqual({ a: 1, self: '[circular]' });
  });

  it('redacts form parameters and scrubs free text', () => {
    const form = redactForm(`grant_type=client_credentials&client_secret=${SECRET}&client_assertion=${TOKEN}`);
    expect(form).not.toContain(SECRET);
    expect(form).not.toContain(TOKEN);
    expect(form).toContain('grant_type=client_credentials');
    expect(scrubText(`<h1>bad secret ${SECRET}</h1>`, [SECRET, undefined])).not.toContain(SECRET);
  });

  it('recognises JWT shapes and nothing shorter', () => {
    expect(looksLikeJwt(TOKEN)).toBe(true);
    expect(looksLikeJwt('a.b.c')).toBe(false);
    expect(looksLikeJwt('client_credentials')).toBe(false);
    // Dotted host names are not tokens: reports keep them readable.
    expect(looksLikeJwt('authorization.exampleserver.com')).toBe(false);
    expect(redactText('POST https://authorization.exampleserver.com/oauth/token failed')).toBe(
      'POST https://authorization.exampleserver.com/oauth/token failed',
    );
    expect(redactText(`token=${TOKEN}; next ${TOKEN}`)).not.toContain(TOKEN);
  });
});

describe('redactText on echoed credentials without a header name', () => {
  const basic = Buffer.from('cid:S3CR3T-VALUE-xyz').toString('base64');

  it.each([
    [`client authentication failed for Basic ${basic}`, basic],
    [`unknown token: Bearer 2YotnFZFEjr1zCsicMWpAA`, '2YotnFZFEjr1zCsicMWpAA'],
    [`got "bearer 2YotnFZFEjr1zCsicMWpAA", expected none`, '2YotnFZFEjr1zCsicMWpAA'],
  ])('%s', (text, secret) => {
    const out = redactText(text);
    expect(out).not.toContain(secret);
    expect(out).toMatch(/(Basic|Bearer|bearer) \[redacted/);
  });

  it('leaves prose and challenges readable', () => {
    for (const text of ['Basic authentication failed', 'WWW-Authenticate: Basic realm="OAuth"', 'Bearer error="invalid_token"', 'DPoP algs="ES256"']) {
      expect(redactText(text)).toBe(text);
    }
  });
});
