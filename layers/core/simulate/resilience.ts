import { z } from 'zod';
import type { ScalingScores } from './replay.js';

/**
 * A scenario's service level: how many minutes above the breach utilization it may have. With
 * neither bound given, 1 % of the scenario's minutes (about 14 minutes a day): a 99 % per-minute
 * target, the loosest a user-facing service usually states, and one the twin's policy meets on
 * most bundled traces as they were — so a scenario that breaks it is one that hurts.
 */
export const SloSchema = z
  .object({
    maxBreachMinutes: z.number().int().min(0).optional().describe('breach minutes allowed in the scenario'),
    maxBreachPct: z
      .number()
      .min(0)
      .max(100)
      .optional()
      .describe("breach minutes allowed, as a percentage of the scenario's minutes (default 1)"),
  })
  .strict();
export type Slo = z.infer<typeof SloSchema>;

export const DEFAULT_MAX_BREACH_PCT = 1;

/** The breach minutes an SLO allows over `minutes`: the tighter of its bounds, whole minutes. */
export function breachBudget(slo: Slo, minutes: number): number {
  const pct =
    slo.maxBreachPct ??
    (slo.maxBreachMinutes === undefined ? DEFAULT_MAX_BREACH_PCT : Number.POSITIVE_INFINITY);
  // a hair under the product, so 1 % of 1,440 minutes is 14 and 1 % of 1,500 is 15, not 14.999…
  return Math.min(slo.maxBreachMinutes ?? Number.POSITIVE_INFINITY, Math.floor((pct * minutes) / 100 + 1e-9));
}

/** A setting a search may change, with the values to try from the cheapest to the most capacity. */
export interface Knob {
  setting: 'headroom' | 'targetUtilization';
  /** The policy's own value. */
  from: number;
  values: readonly number[];
  /** The policy's scores under the scenario at this value of the setting (one replay). */
  replay(value: number): ScalingScores;
}

/** What would make a policy hold its SLO: the setting, its value, and what the replay at it scored. */
export interface Fix {
  setting: Knob['setting'];
  /** The policy's own value, and the value that holds. */
  from: number;
  value: number;
  breachMinutes: number;
  unservedPct: number;
  instanceHours: number;
  /** Instance-hours over the policy's own under the scenario: the fix's price. */
  extraInstanceHours: number;
}

export interface Verdict {
  policy: string;
  holds: boolean;
  breachMinutes: number;
  budgetMinutes: number;
  /** When it does not hold: the least change found that holds, checked by its own replay. */
  fix?: Fix;
  /** When it does not hold and nothing tried does: why. */
  unfixable?: string;
  /** Replays the search ran. */
  replays: number;
}

/**
 * The first value of `values` for which `holds` is true, assuming that once a value holds every
 * later one does (more headroom, a lower target: more capacity). The last value is tried first, so
 * a hopeless search costs one call; otherwise a bisection: 1 + ⌈log2 n⌉ calls in all.
 */
export function firstHolding(values: readonly number[], holds: (v: number) => boolean): number | undefined {
  if (values.length === 0 || !holds(values[values.length - 1])) return undefined;
  let lo = 0;
  let hi = values.length - 1; // holds
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (holds(values[mid])) hi = mid;
    else lo = mid + 1;
  }
  return values[hi];
}

/** What the verdict needs to know about the scenario to say why nothing holds. */
export interface ScenarioLimits {
  maxInstances: number;
  /** Instances the scenario's busiest minute needs below the breach utilization. */
  peakNeed: number;
  warmupMinutes: number;
  observationLagMinutes: number;
  metricOutageMinutes: number;
}

/**
 * Whether a policy holds the SLO under the scenario and, when it does not, the least change of
 * each knob in turn (the first knob that can fix it wins: the search stops there) that makes it
 * hold; when none can, why not.
 */
export function resilienceVerdict(o: {
  policy: string;
  scores: ScalingScores;
  budgetMinutes: number;
  knobs: readonly Knob[];
  limits: ScenarioLimits;
}): Verdict {
  const { scores, budgetMinutes } = o;
  const base = { policy: o.policy, breachMinutes: scores.breachMinutes, budgetMinutes };
  if (scores.breachMinutes <= budgetMinutes) return { ...base, holds: true, replays: 0 };
  let replays = 0;
  const tried: { knob: Knob; value: number; scores: ScalingScores }[] = [];
  for (const knob of o.knobs) {
    const seen = new Map<number, ScalingScores>();
    const at = (v: number) => {
      let s = seen.get(v);
      if (!s) {
        s = knob.replay(v);
        replays++;
        seen.set(v, s);
        tried.push({ knob, value: v, scores: s });
      }
      return s;
    };
    const value = firstHolding(knob.values, (v) => at(v).breachMinutes <= budgetMinutes);
    if (value === undefined) continue;
    const s = at(value);
    return {
      ...base,
      holds: false,
      replays,
      fix: {
        setting: knob.setting,
        from: knob.from,
        value,
        breachMinutes: s.breachMinutes,
        unservedPct: s.unservedPct,
        instanceHours: s.instanceHours,
        extraInstanceHours: s.instanceHours - scores.instanceHours,
      },
    };
  }
  return { ...base, holds: false, replays, unfixable: whyNothingHolds(o, tried) };
}

function whyNothingHolds(
  o: { scores: ScalingScores; budgetMinutes: number; limits: ScenarioLimits },
  tried: { knob: Knob; value: number; scores: ScalingScores }[],
): string {
  const { limits: l, budgetMinutes: budget } = o;
  if (o.scores.oracleBreachMinutes > budget)
    return (
      `maxInstances ${l.maxInstances} is too few: the scenario's busiest minute needs ${l.peakNeed} instances, ` +
      `so even a policy that knew the future breaches ${o.scores.oracleBreachMinutes} minutes (budget ${budget}): ` +
      'raise maxInstances or the instances’ capacity'
    );
  if (tried.length === 0) return 'no setting of this policy can be changed to try';
  const best = tried.reduce((a, b) => (b.scores.breachMinutes < a.scores.breachMinutes ? b : a));
  const outage = l.metricOutageMinutes > 0 ? ` and ${l.metricOutageMinutes} minutes without metrics` : '';
  return (
    `Nothing tried holds: the best, ${best.knob.setting} ${best.value}, still breaches ` +
    `${best.scores.breachMinutes} minutes (budget ${budget}). Capacity is not the limit (a policy that knew ` +
    `the future would hold): demand arrives or instances go faster than this policy can see and replace ` +
    `them (a ${l.warmupMinutes}-minute warm-up, ${l.observationLagMinutes}-minute observation lag${outage}); ` +
    'keep spare instances (minInstances) through the scenario or shorten the warm-up'
  );
}
