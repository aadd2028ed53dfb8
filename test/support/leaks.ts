/**
 * What the leak tests share: the forms a secret may leak in, and a record of
 * everything printed behind the code's back (process warnings, direct stderr
 * writes) while a test runs.
 */
import { afterEach, beforeEach, expect, jest } from '@jest/globals';

/** The secret as it may leak: raw, its first characters, percent-, JSON-, base64-, base64url- and hex-encoded. */
export function leakForms(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  return [secret, secret.slice(0, 8), encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1), bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex')];
}

export function expectNoLeak(text: string, secret: string): void {
  for (const form of leakForms(secret)) expect(text).not.toContain(form);
}

/**
 * Registers hooks that record process warnings and stderr writes during each
 * test and check after it that none carries `secret`. Returns the record of
 * the running test.
 */
export function recordPrinted(secret: string): () => readonly string[] {
  let printed: string[] = [];
  beforeEach(() => {
    printed = [];
    jest.spyOn(process, 'emitWarning').mockImplementation((warning: string | Error, ...rest: unknown[]) => {
      printed.push(String(warning instanceof Error ? `${warning.name}: ${warning.message}` : warning), ...rest.map(String));
    });
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => {
      printed.push(String(chunk));
      return true;
    });
  });
  afterEach(() => {
    jest.restoreAllMocks();
    // Nothing printed behind the code's back, secret or not.
    expectNoLeak(printed.join('\n'), secret);
  });
  return () => printed;
}
