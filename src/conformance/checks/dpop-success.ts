/**
 * Checklist §5: DPoP proofs that must be accepted (RFC 9449 §4.2, §4.3, §5)
 * and the binding of the issued token to the proof key (§6.1).
 */
import { decodeAccessToken } from '../jws';
import { isObject } from '../check-run';
import { nowSeconds } from '../clock';
import type { ProofSpec } from '../jws';
import { check } from './define';

export const dpopOk = check({
  id: 'dpop-ok',
  title: 'a valid DPoP proof gets a DPoP token',
  level: 'MUST',
  reference: 'RFC 9449 §4.2, §5',
  group: 'dpop-success',
  requires: ['dpop'],
  async run(run) {
    await run.sendExpectingToken(run.draft({ dpop: true }), { tokenType: 'DPoP' });
  },
});

export const dpopJkt = check({
  id: 'dpop-jkt',
  title: 'the token is bound to the proof key: cnf.jkt is its RFC 7638 thumbprint',
  level: 'MUST',
  reference: 'RFC 9449 §6.1; RFC 7638 §3; attesto contract (cnf.jkt in the body)',
  group: 'dpop-success',
  requires: ['dpop'],
  async run(run) {
    const exchange = await run.send(run.draft({ dpop: true }));
    const token = run.expectToken(exchange, { tokenType: 'DPoP' });
    if (!token) return;
    const expected = (await run.session.dpopKey()).thumbprint;
    // RFC 9449 §6.1: a JWT access token carries cnf.jkt (MUST).
    const claims = decodeAccessToken(token.accessToken);
    if (!claims) run.note('the access token is opaque: its binding is not visible here (RFC 9449 §6.2 introspection), JWT half skipped');
    else {
      const jkt = claims.cnf?.jkt;
      if (jkt !== expected) {
        run.finding('MUST', jkt === undefined ? 'the JWT access token has no cnf.jkt' : 'the JWT access token\'s cnf.jkt is not the proof key\'s thumbprint', {
          expected,
          received: jkt === undefined ? 'no cnf.jkt claim' : String(jkt),
          reference: 'RFC 9449 §6.1',
          exchangeOf: exchange,
        });
      } else run.note('JWT access token cnf.jkt matches');
    }
    // The contract adds cnf.jkt to the response body (AttestoDPoPTokenResponse); RFC 9449 defines none there.
    const cnf = token.body.cnf;
    const bodyJkt = isObject(cnf) ? cnf.jkt : undefined;
    if (bodyJkt !== expected) {
      run.finding('CONTRACT', bodyJkt === undefined ? 'the response body has no cnf.jkt' : 'the body\'s cnf.jkt is not the proof key\'s thumbprint', {
        expected: `cnf: { jkt: "${expected}" }`,
        received: bodyJkt === undefined ? (cnf === undefined ? 'no cnf member' : JSON.stringify(cnf)) : String(bodyJkt),
        reference: 'attesto contract (AttestoDPoPTokenResponse)',
        exchangeOf: exchange,
      });
    }
  },
});

export const dpopHdrCase = check({
  id: 'dpop-hdr-case',
  title: 'the DPoP header is found whatever its case (DPOP)',
  level: 'MUST',
  reference: 'RFC 9110 §5.1',
  group: 'dpop-success',
  requires: ['dpop'],
  async run(run) {
    await run.sendExpectingToken(run.draft({ dpop: { headerName: 'DPOP', proofs: [{}] } }), { tokenType: 'DPoP' });
  },
});

export const dpopExtra = check({
  id: 'dpop-extra',
  title: 'extra header members and claims (nbf, exp, unknown ones) are ignored',
  level: 'MUST',
  reference: 'RFC 7519 §4; RFC 9449 §4.2',
  group: 'dpop-success',
  requires: ['dpop'],
  async run(run) {
    const now = nowSeconds();
    const spec: ProofSpec = { header: { kid: 'conformance-extra' }, claims: { nbf: now - 5, exp: now + 60, ext: 'ignored' } };
    await run.sendExpectingToken(run.draft({ dpop: spec }), { tokenType: 'DPoP' });
  },
});

export const dpopIatSkew = check({
  id: 'dpop-iat-skew',
  title: 'a proof whose iat is 10 s off (either way) is accepted',
  level: 'SHOULD',
  reference: 'RFC 9449 §4.3 item 11, §11.1',
  group: 'dpop-success',
  requires: ['dpop'],
  async run(run) {
    for (const offset of [-10, 10]) {
      await run.sendExpectingToken(run.draft({ dpop: { iat: nowSeconds() + offset } }), { tokenType: 'DPoP', what: `a proof with iat ${offset > 0 ? '+' : ''}${offset} s` });
    }
  },
});

export const dpopHtuQf = check({
  id: 'dpop-htu-qf',
  title: 'htu with a query and fragment is compared without them',
  level: 'MUST',
  reference: 'RFC 9449 §4.3 item 9',
  group: 'dpop-success',
  requires: ['dpop'],
  async run(run) {
    await run.sendExpectingToken(run.draft({ dpop: { claims: { htu: `${run.tokenUrl}?x=1#f` } } }), { tokenType: 'DPoP' });
  },
});

export const dpopHtuNorm = check({
  id: 'dpop-htu-norm',
  title: 'htu is compared after normalisation (case of scheme and host, explicit default port)',
  level: 'SHOULD',
  reference: 'RFC 9449 §4.3 item 9; RFC 3986 §6.2.2–6.2.3',
  group: 'dpop-success',
  requires: ['dpop'],
  async run(run) {
    const url = new URL(run.tokenUrl);
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    const variant = `${url.protocol.slice(0, -1).toUpperCase()}://${url.hostname.toUpperCase()}:${port}${url.pathname}`;
    await run.sendExpectingToken(run.draft({ dpop: { claims: { htu: variant } } }), { tokenType: 'DPoP', what: `a proof with htu ${variant}` });
  },
});

export const DPOP_SUCCESS_CHECKS = [dpopOk, dpopJkt, dpopHdrCase, dpopExtra, dpopIatSkew, dpopHtuQf, dpopHtuNorm];
