/** Test helpers for the matcher tests. */
import { expect } from '@jest/globals';
import type { ResponseFixture } from '../../fixtures/responses';

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

type Assertion = Record<string, (...args: unknown[]) => unknown>;

/** Runs the fixture's matcher through Jest's expect; resolves to the thrown message, or undefined when it passed. */
export async function runFixtureMatcher(fixture: ResponseFixture, received: unknown, negate = false): Promise<string | undefined> {
  const base = expect(received) as unknown as Assertion & { not: Assertion };
  const assertion = negate ? base.not : base;
  try {
    await assertion[fixture.matcher]!(...fixture.args);
    return undefined;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // A normal assertion failure carries Jest's matcherResult; anything else is a bug.
    expect((error as { matcherResult?: unknown }).matcherResult).toBeDefined();
    return stripAnsi(message);
  }
}
