import type { TestApi } from '../../../src/conformance/jest';

export interface Registered {
  kind: 'test' | 'skip';
  name: string;
  fn: () => Promise<void> | void;
}

export interface RecordingApi {
  api: TestApi;
  /** describe() titles, in registration order. */
  titles: string[];
  tests: Registered[];
  /** Runs the beforeAll hooks, then every non-skipped test, then the afterAll hooks; outcome per check id (the first word of a title). */
  run: () => Promise<Map<string, 'ok' | Error>>;
}

/** A stand-in for Jest's describe/test/beforeAll that records what describeTokenEndpointConformance registers. */
export function recordingApi(): RecordingApi {
  const tests: Registered[] = [];
  const titles: string[] = [];
  const hooks: Array<() => Promise<void> | void> = [];
  const after: Array<() => Promise<void> | void> = [];
  const register = (kind: Registered['kind']) => (name: string, fn: () => Promise<void> | void) => void tests.push({ kind, name, fn });
  const testFn = Object.assign(register('test'), { skip: register('skip') });
  const api: TestApi = {
    describe: (name, fn) => {
      titles.push(name);
      fn();
    },
    test: testFn,
    beforeAll: (fn) => void hooks.push(fn),
    afterAll: (fn) => void after.push(fn),
  };
  const run = async () => {
    for (const hook of hooks) await hook();
    const outcomes = new Map<string, 'ok' | Error>();
    for (const t of tests.filter((x) => x.kind !== 'skip')) {
      try {
        await t.fn();
        outcomes.set(t.name.split(' ')[0]!, 'ok');
      } catch (error) {
        outcomes.set(t.name.split(' ')[0]!, error as Error);
      }
    }
    for (const hook of after) await hook();
    return outcomes;
  };
  return { api, titles, tests, run };
}
