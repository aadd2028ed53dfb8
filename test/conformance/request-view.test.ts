import { describe, expect, test } from '@jest/globals';
import { redactRequest } from '../../src/conformance/views';

describe('the request a report shows', () => {
  test('query-string secrets become readable markers, other parameters stay as written', () => {
    const secret = 'query-secret-value';
    const shown = redactRequest(
      { method: 'POST', url: `https://as.example/oauth/token?client_secret=${secret}&scope=read%20write`, headers: [] },
      [secret],
    );
    expect(shown.url).toBe(`https://as.example/oauth/token?client_secret=[redacted "quer…", ${secret.length} chars]&scope=read%20write`);
    expect(shown.url).not.toContain('%5Bredacted');
  });

  test('a URL without a query is shown unchanged', () => {
    expect(redactRequest({ method: 'GET', url: 'https://as.example/oauth/token', headers: [] }, []).url).toBe('https://as.example/oauth/token');
  });
});
