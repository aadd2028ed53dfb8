/**
 * How a check is written. A check declares what it is (`id`, `title`,
 * `level`, `reference`, `group`, `requires`, and the core problems it
 * `owns`) and is a function of its context (context.ts). The common case
 * has a data form, `probeCheck`: a few otherwise valid requests, each with
 * one defect, and the judgement every answer must pass (`rejects(...)`,
 * `issuesToken(...)` from judge.ts).
 */
import type { CheckContext } from '../context';
import type { RequestDraft } from '../draft';
import type { Judgement } from '../judge';
import type { SendOptions } from '../send';
import type { CheckDescriptor } from '../types';

export { issuesToken, rejects } from '../judge';

export interface Check extends CheckDescriptor {
  run(ctx: CheckContext): Promise<void>;
}

/** Freezes one check object (and type-checks it). */
export function check(definition: Check): Check {
  return Object.freeze(definition);
}

/** One request of a probe check and what it breaks, for messages ("a wrong Basic secret"). */
export interface Probe {
  what: string;
  request: RequestDraft;
  options?: SendOptions;
}

export interface ProbeCheck extends CheckDescriptor {
  /** The requests to send, in order; built when the check runs. */
  probes(ctx: CheckContext): Probe[] | Promise<Probe[]>;
  /** The judgement every answer must pass. */
  expect: Judgement;
}

/** The data form of a check: each probe is sent and judged by `expect`. */
export function probeCheck(definition: ProbeCheck): Check {
  const { probes, expect, ...descriptor } = definition;
  return check({
    ...descriptor,
    async run(ctx) {
      for (const probe of await probes(ctx)) expect(ctx, await ctx.send(probe.request, probe.options), probe.what);
    },
  });
}
