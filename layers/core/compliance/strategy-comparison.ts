import { z } from 'zod';
import { clampToSafety } from '../act/actuate.js';
import { TwinForecaster } from '../forecast/twin/index.js';
import type { OutlookShare } from '../policy/twin-policy.js';
import type { ScalingPolicy } from '../policy/types.js';
import { MINUTE_MS } from '../series/grid.js';
import type { Sample } from '../series/read-trace.js';
import { type FleetPhysics, instancesFor } from '../simulate/physics.js';
import { emptyTimeline, recordMinute, scoreTimeline, type Timeline } from '../simulate/replay.js';
import { FleetSimulation } from '../simulate/simulation.js';
import { mergeOutages, transformDemand, type WhatIf, WhatIfSchema } from '../simulate/what-if.js';
import { type ComplianceInput, evaluateCompliance, type ForecastBand } from './evaluate.js';
import { PolicyIdSchema, PolicyRuleSchema, type RuleCheck } from './policy-document.js';

/**
 * A/B comparison of two remediation strategies for one compliance rule, on the twin's simulator:
 * the live policy runs the fleet over the same minutes (as they were, and under each scenario),
 * the rule is judged as the compliance evaluator judges it on the simulated metrics every
 * evaluation interval, and when it is broken the strategy acts. What each strategy costs and
 * how long the rule stays broken are set side by side, with a verdict.
 */

/** A forecast band's quantiles (records.ts stores p10/p50/p90; p10 never raises a floor). */
const BandQuantileSchema = z.enum(['p50', 'p90']);

export const StrategySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }).strict(),
  z
    .object({
      kind: z.literal('scale-step'),
      step: z.number().int().min(1).max(1000).describe('instances added at each violation'),
      holdMinutes: z
        .number()
        .int()
        .min(1)
        .max(1440)
        .optional()
        .describe(
          'minutes the added instances are kept before the live policy may remove them (default: the evaluation interval)',
        ),
    })
    .strict(),
  z
    .object({
      kind: z.literal('raise-floor-to-forecast'),
      quantile: BandQuantileSchema.default('p90'),
      horizonMinutes: z
        .number()
        .int()
        .min(5)
        .max(1440)
        .optional()
        .describe(
          "the floor covers the forecast's peak this far ahead (default: a forecast rule's horizon, else the evaluation interval)",
        ),
      utilization: z
        .number()
        .gt(0)
        .max(1)
        .optional()
        .describe(
          "utilization the floor plans the forecast peak at (default: the rule's bound when it is on utilization, else the live target)",
        ),
    })
    .strict(),
]);
export type Strategy = z.infer<typeof StrategySchema>;

/**
 * A rule as the comparison takes it: a policy's rule, or one written for the comparison (id,
 * severity and remediation then optional). Only rules the simulator can break are accepted: a
 * metric rule on load or utilization, or a forecast rule; a config rule does not move with load.
 */
export const ComparedRuleSchema = PolicyRuleSchema.partial({ id: true, severity: true, remediation: true })
  .omit({ applies: true })
  .extend({ applies: z.unknown().optional().describe('ignored: the comparison runs on the twin asked for') })
  .refine((r) => r.check.kind !== 'config', {
    message: 'a config rule does not change with load: compare a metric or a forecast rule',
    path: ['check', 'kind'],
  });
export type ComparedRule = z.infer<typeof ComparedRuleSchema>;

/** A stored policy's rule: the policy's id and the rule's. */
export const PolicyRuleRefSchema = z
  .object({
    policy: PolicyIdSchema,
    rule: z.string().min(1).max(48).describe('rule id within the policy'),
  })
  .strict();
export type PolicyRuleRef = z.infer<typeof PolicyRuleRefSchema>;

/** The unperturbed run, always compared first. */
export const AS_IT_WAS = 'as-it-was';

export const ComparisonScenarioSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/, 'name: 1–40 of A–Z a–z 0–9 . _ -')
      .refine((n) => n !== AS_IT_WAS, `"${AS_IT_WAS}" is the unperturbed run's name`),
    whatIf: WhatIfSchema.describe('minutes count from the start of the replayed days'),
  })
  .strict();
export type ComparisonScenario = z.infer<typeof ComparisonScenarioSchema>;

/** Scenarios beside the unperturbed run: each costs three runs of the fleet. */
export const MAX_COMPARISON_SCENARIOS = 5;
/** Actions listed per outcome; the count is always whole (a stored result stays well under 300 KB). */
export const MAX_LISTED_ACTIONS = 40;
/** The deployed remediate run is hourly. */
export const DEFAULT_EVALUATION_MINUTES = 60;

/** The live forecast's slot (live-plan.ts SLOT_MS): the forecaster works on 5-minute peaks. */
const SLOT_MINUTES = 5;
/**
 * A metric rule judged every minute costs a sort of its window each minute; a long window moves
 * slowly, so it is judged every window/60 minutes and each judgement counts for that many.
 */
const JUDGEMENTS_PER_WINDOW = 60;

export class ComparisonInputError extends Error {
  override readonly name = 'ComparisonInputError';
}

/** What the simulator can measure of a rule's metric: the fleet's load, or its utilization. */
export type SimulatedMetric = 'load' | 'utilization';

/**
 * The simulated series a metric rule reads: its metric is a key of the twin or a role; the
 * simulator knows the load and the utilization, nothing else. Undefined for a forecast rule.
 */
export function simulatedMetricOf(
  check: RuleCheck,
  metrics: readonly { key: string; role: string }[],
): SimulatedMetric | undefined {
  if (check.kind !== 'metric') return undefined;
  const role = metrics.find((m) => m.key === check.metric)?.role ?? check.metric;
  if (role === 'load' || role === 'utilization') return role;
  throw new ComparisonInputError(
    `the simulator measures load and utilization only, not "${check.metric}" (a key of the twin: ${metrics.map((m) => m.key).join(', ')})`,
  );
}

export interface ComparisonInput {
  /** Per-minute demand, history included (twin-replay.ts twinDemand); minute `start` is the first simulated. */
  demand: Float64Array;
  start: number;
  /** The time (ms) of minute `start`. */
  startTime: number;
  capacityPerInstance: number;
  physics: FleetPhysics;
  /** The twin's metrics, to read the rule's metric (a key or a role). */
  metrics: readonly { key: string; role: string }[];
  /** A new instance of the live policy (policies keep state); runs on the same demand share `share`. */
  livePolicy: (share: OutlookShare) => ScalingPolicy;
  /** The live policy's max step (the actuator's clamp) and target utilization. */
  policy: { maxStep: number; targetUtilization: number };
  rule: ComparedRule;
  strategies: readonly [Strategy, Strategy];
  scenarios?: readonly ComparisonScenario[];
  evaluationMinutes?: number;
  pricePerInstanceHour?: number;
}

/** One thing a strategy did: at which minute (from the window's start), what, from → to. */
export interface RemediationAction {
  minute: number;
  at: string;
  action: 'scale-out' | 'raise-floor';
  from: number;
  to: number;
  /** The limit that cut the step short (clampToSafety). */
  boundBy?: 'max-step' | 'min' | 'max';
}

export interface StrategyOutcome {
  /** Minutes in which the rule, judged then, is broken. */
  violationMinutes: number;
  evaluations: number;
  evaluationsViolated: number;
  instanceHours: number;
  /** instanceHours × pricePerInstanceHour, when a price is given. */
  cost?: number;
  /** Minutes above the breach utilization: demand not served. */
  breachMinutes: number;
  unservedDemand: number;
  unservedPct: number;
  actionsTaken: number;
  /** The first MAX_LISTED_ACTIONS actions. */
  actions: RemediationAction[];
}

export interface ComparisonVerdict {
  /** The better strategy; null when neither is (a tie, or a trade-off). */
  better: 'A' | 'B' | null;
  reason: string;
}

export interface ScenarioComparison {
  scenario: string;
  /** The live policy alone: what remediating is measured against. */
  baseline: StrategyOutcome;
  A: StrategyOutcome;
  B: StrategyOutcome;
  verdict: ComparisonVerdict;
}

export interface ComparisonResult {
  window: { from: string; minutes: number; evaluationMinutes: number };
  rule: ComparedRule;
  strategies: { A: Strategy; B: Strategy };
  pricePerInstanceHour?: number;
  scenarios: ScenarioComparison[];
  /** Over every scenario: the sums, and the verdict on them. */
  total: { A: Totals; B: Totals; verdict: ComparisonVerdict };
}

export interface Totals {
  violationMinutes: number;
  instanceHours: number;
  cost?: number;
  actionsTaken: number;
}

/** The two strategies (and the live policy alone), on the twin's minutes as they were and under each scenario. */
export function compareStrategies(input: ComparisonInput): ComparisonResult {
  const metric = simulatedMetricOf(input.rule.check, input.metrics);
  const evaluationMinutes = input.evaluationMinutes ?? DEFAULT_EVALUATION_MINUTES;
  const [a, b] = input.strategies;
  const scenarios = [{ name: AS_IT_WAS, whatIf: WhatIfSchema.parse({}) }, ...(input.scenarios ?? [])];
  const results = scenarios.map((s) => {
    const run = scenarioRun(input, s.whatIf, metric, evaluationMinutes);
    const baseline = run({ kind: 'none' });
    const A = a.kind === 'none' ? baseline : run(a);
    const B = b.kind === 'none' ? baseline : run(b);
    return { scenario: s.name, baseline, A, B, verdict: verdictOf(totalsOf([A]), totalsOf([B])) };
  });
  const A = totalsOf(results.map((r) => r.A));
  const B = totalsOf(results.map((r) => r.B));
  return {
    window: {
      from: new Date(input.startTime).toISOString(),
      minutes: input.demand.length - input.start,
      evaluationMinutes,
    },
    rule: input.rule,
    strategies: { A: a, B: b },
    ...(input.pricePerInstanceHour !== undefined ? { pricePerInstanceHour: input.pricePerInstanceHour } : {}),
    scenarios: results,
    total: { A, B, verdict: verdictOf(A, B) },
  };
}

/** Sums of outcomes (the scenarios of one strategy). */
function totalsOf(outcomes: readonly StrategyOutcome[]): Totals {
  const sum = (f: (o: StrategyOutcome) => number) => outcomes.reduce((s, o) => s + f(o), 0);
  const priced = outcomes.every((o) => o.cost !== undefined);
  return {
    violationMinutes: sum((o) => o.violationMinutes),
    instanceHours: hundredths(sum((o) => o.instanceHours)),
    ...(priced ? { cost: hundredths(sum((o) => o.cost ?? 0)) } : {}),
    actionsTaken: sum((o) => o.actionsTaken),
  };
}

const hundredths = (x: number) => Math.round(x * 100) / 100;

/**
 * Which strategy is better: fewer violation minutes at no more cost, or less cost at no more
 * violation minutes. When each wins one, neither is: the trade-off is stated in numbers.
 */
export function verdictOf(a: Totals, b: Totals): ComparisonVerdict {
  const dv = a.violationMinutes - b.violationMinutes;
  const dc = hundredths(a.instanceHours - b.instanceHours);
  const cost = (t: Totals) =>
    `${t.instanceHours} instance-hours${t.cost !== undefined ? ` ($${t.cost.toFixed(2)})` : ''}`;
  const both = `${a.violationMinutes} vs ${b.violationMinutes} violation minutes, ${cost(a)} vs ${cost(b)}`;
  if (dv === 0 && dc === 0) return { better: null, reason: `a tie: ${both}` };
  if (dv <= 0 && dc <= 0) {
    const why = dv < 0 ? 'fewer violation minutes at no more cost' : 'cheaper at no more violation minutes';
    return { better: 'A', reason: `A: ${why} (${both})` };
  }
  if (dv >= 0 && dc >= 0) {
    const why = dv > 0 ? 'fewer violation minutes at no more cost' : 'cheaper at no more violation minutes';
    return { better: 'B', reason: `B: ${why} (${both})` };
  }
  const [safer, other] = dv < 0 ? ['A', 'B'] : ['B', 'A'];
  const minutes = Math.abs(dv);
  const hours = Math.abs(dc);
  return {
    better: null,
    reason:
      `a trade-off: ${safer} has ${minutes} fewer violation minutes for ${hours} more instance-hours than ${other} ` +
      `(${hundredths((hours * 60) / minutes)} instance-minutes a violation minute avoided; ${both})`,
  };
}

/** The runs of one scenario: its demand and forecasts made once, each strategy run on them. */
function scenarioRun(
  input: ComparisonInput,
  whatIf: WhatIf,
  metric: SimulatedMetric | undefined,
  evaluationMinutes: number,
): (strategy: Strategy) => StrategyOutcome {
  const demand = demandUnder(input, whatIf);
  const forecasts = new ForecastBands(demand, input);
  const share: OutlookShare = {};
  return (strategy) =>
    runStrategy({ input, whatIf, demand, forecasts, share, metric, evaluationMinutes, strategy });
}

/** The demand with the scenario's transforms applied to the simulated minutes (the history is untouched). */
function demandUnder(input: ComparisonInput, whatIf: WhatIf): Float64Array {
  if (whatIf.demand.length === 0) return input.demand;
  const out = Float64Array.from(input.demand);
  out.set(transformDemand(input.demand.subarray(input.start), whatIf.demand), input.start);
  return out;
}

/**
 * The forecast band the twin would have at a minute, made as the live planner makes it (the twin
 * forecaster on 5-minute peaks of what was observed by then), once per slot and scenario.
 */
class ForecastBands {
  private readonly peaks: Float64Array;
  private readonly bands = new Map<number, ForecastBand>();
  private readonly forecaster = new TwinForecaster();
  private readonly t0: number;

  constructor(
    demand: Float64Array,
    private readonly o: Pick<ComparisonInput, 'start' | 'startTime' | 'physics'>,
  ) {
    this.peaks = new Float64Array(Math.floor(demand.length / SLOT_MINUTES)).fill(Number.NaN);
    for (let m = 0; m < this.peaks.length * SLOT_MINUTES; m++) {
      const s = Math.floor(m / SLOT_MINUTES);
      if (!Number.isNaN(demand[m]) && !(demand[m] <= this.peaks[s])) this.peaks[s] = demand[m];
    }
    this.t0 = o.startTime - o.start * MINUTE_MS;
  }

  /**
   * The band made from what was observed up to window minute `last` (inclusive), reaching
   * `horizonMinutes` past the minute after it (and past the observation lag, for a decision).
   */
  at(last: number, horizonMinutes: number): ForecastBand {
    const origin = Math.max(1, Math.floor((this.o.start + last + 1) / SLOT_MINUTES));
    // one length per horizon, so the cache serves every minute of a slot
    const horizon = Math.ceil((horizonMinutes + this.o.physics.observationLagMinutes) / SLOT_MINUTES) + 2;
    const cached = this.bands.get(origin);
    if (cached && cached.points.length >= horizon) return cached;
    const history = this.peaks.subarray(0, origin);
    const stepMs = SLOT_MINUTES * MINUTE_MS;
    const f = this.forecaster.forecast({ history, t0: this.t0, stepMs, horizon });
    const band = {
      stepMs,
      points: Array.from(f.p50, (p50, h) => ({
        t: this.t0 + (origin + h) * stepMs,
        p10: Math.max(0, f.p10[h]),
        p50: Math.max(0, p50),
        p90: Math.max(0, f.p90[h]),
      })),
    };
    this.bands.set(origin, band);
    return band;
  }
}

interface RunContext {
  input: ComparisonInput;
  whatIf: WhatIf;
  demand: Float64Array;
  forecasts: ForecastBands;
  share: OutlookShare;
  metric: SimulatedMetric | undefined;
  evaluationMinutes: number;
  strategy: Strategy;
}

/**
 * The live policy with what remediation changed: the floor a strategy raised (as the policy's
 * min instances, which win over its max step), and instances a step added, held for a while.
 */
class RemediatedPolicy implements ScalingPolicy {
  readonly name: string;
  floor = 0;
  held = 0;
  heldUntil = -1;

  constructor(private readonly live: ScalingPolicy) {
    this.name = `${live.name}+remediation`;
  }

  decide(v: Parameters<ScalingPolicy['decide']>[0]) {
    const d = this.live.decide(v);
    const held = v.minute < this.heldUntil ? this.held : 0;
    return { desired: Math.max(d.desired, this.floor, held), reason: d.reason };
  }
}

/** One strategy on one scenario's minutes: the fleet stepped minute by minute, the rule judged at each evaluation. */
function runStrategy(c: RunContext): StrategyOutcome {
  const { input, demand, whatIf } = c;
  const { start, physics } = input;
  const n = demand.length - start;
  const policy = new RemediatedPolicy(input.livePolicy(c.share));
  const sim = new FleetSimulation({
    start,
    capacityPerInstance: input.capacityPerInstance,
    physics,
    failures: whatIf.failures,
    warmupChanges: whatIf.warmupChanges,
    metricOutages: whatIf.metricOutages,
  });
  const tl = emptyTimeline(demand.subarray(start));
  const judge = ruleJudge(c, tl);
  const blind = outageMinutes(whatIf, n);
  const actions: RemediationAction[] = [];
  let evaluations = 0;
  let violated = 0;
  for (let i = 0; i < n; i++) {
    if (i > 0 && i % c.evaluationMinutes === 0 && !blind.has(i)) {
      evaluations++;
      // what the deployed run would see: the metrics up to the observation lag
      if (judge(i - physics.observationLagMinutes, tl.desired[i - 1])) {
        violated++;
        const action = act(c, policy, i, tl.desired[i - 1]);
        if (action) actions.push(action);
      }
    }
    recordMinute(tl, i, sim.step(demand, policy));
  }
  const scores = scoreTimeline(tl, input.capacityPerInstance, physics);
  const instanceHours = hundredths(scores.instanceHours);
  let unserved = 0;
  for (const u of tl.unserved) unserved += u;
  return {
    violationMinutes: violationMinutes(c, tl, judge),
    evaluations,
    evaluationsViolated: violated,
    instanceHours,
    ...(input.pricePerInstanceHour !== undefined
      ? { cost: hundredths(scores.instanceHours * input.pricePerInstanceHour) }
      : {}),
    breachMinutes: scores.breachMinutes,
    unservedDemand: hundredths(unserved),
    unservedPct: hundredths(scores.unservedPct),
    actionsTaken: actions.length,
    actions: actions.slice(0, MAX_LISTED_ACTIONS),
  };
}

/** Window minutes inside a metric outage: the evaluation sees no new data then, and does nothing. */
function outageMinutes(whatIf: WhatIf, n: number): Set<number> {
  const out = new Set<number>();
  for (const o of mergeOutages(whatIf.metricOutages))
    for (let m = o.fromMinute; m < Math.min(o.toMinute, n); m++) out.add(m);
  return out;
}

/** Minutes in which the rule, judged with everything up to then, is broken. */
function violationMinutes(c: RunContext, tl: Timeline, judge: RuleJudge): number {
  const check = c.input.rule.check;
  const every =
    check.kind === 'metric' ? Math.max(1, Math.ceil(check.windowMinutes / JUDGEMENTS_PER_WINDOW)) : 1;
  let minutes = 0;
  for (let i = 0; i < tl.demand.length; i += every)
    if (judge(i, tl.desired[i])) minutes += Math.min(every, tl.demand.length - i);
  return minutes;
}

/** Whether the rule is broken when judged on the simulated minutes up to `last` (inclusive), at `capacity`. */
type RuleJudge = (last: number, capacity: number) => boolean;

/**
 * The rule judged by the compliance evaluator itself (evaluateCompliance) on the simulated
 * metrics: utilization as CPU % (the capacity model's 100 % is capacityPerInstance; CPU saturates
 * there, the rest is unserved demand), load as demand per minute, and the forecast band the twin
 * would have had then.
 */
function ruleJudge(c: RunContext, tl: Timeline): RuleJudge {
  const { input, metric } = c;
  const check = input.rule.check;
  const rule = {
    id: input.rule.id ?? 'compared',
    severity: input.rule.severity ?? 'medium',
    check: metric && check.kind === 'metric' ? { ...check, metric } : check,
    remediation: input.rule.remediation ?? { action: 'notify' as const },
  };
  const base = {
    twin: {
      id: 'simulated',
      metrics: [
        { key: 'load', role: 'load' as const },
        { key: 'utilization', role: 'utilization' as const },
      ],
    },
    policies: [{ id: 'compared', document: { version: 1 as const, rules: [rule] } }],
    capacityPerInstance: input.capacityPerInstance,
    impact: { dependants: 0, weight: 0 },
  };
  const timeOf = (i: number) => input.startTime + i * MINUTE_MS;
  const sampleOf = (i: number): Sample => ({
    t: timeOf(i),
    v: metric === 'load' ? tl.demand[i] : 100 * Math.min(1, tl.utilization[i]),
  });
  return (last, capacity) => {
    if (last < 0) return false;
    const now = timeOf(last + 1);
    if (check.kind === 'metric') {
      const samples: Sample[] = [];
      for (let i = Math.max(0, last + 1 - check.windowMinutes); i <= last; i++) samples.push(sampleOf(i));
      return hasViolation({ ...base, samples: { [metric as string]: samples }, target: { capacity }, now });
    }
    if (check.kind !== 'forecast') return false;
    const forecast = c.forecasts.at(last, check.horizonMinutes);
    return hasViolation({ ...base, samples: {}, target: { capacity }, forecast, now });
  };
}

const hasViolation = (input: ComplianceInput) => evaluateCompliance(input).violations.length > 0;

/** The strategy's answer to a violation found at window minute i, the fleet at `capacity`; undefined: nothing changed. */
function act(
  c: RunContext,
  policy: RemediatedPolicy,
  i: number,
  capacity: number,
): RemediationAction | undefined {
  const s = c.strategy;
  if (s.kind === 'none') return undefined;
  const at = new Date(c.input.startTime + i * MINUTE_MS).toISOString();
  if (s.kind === 'scale-step') {
    const { to, boundBy } = stepOut(c, policy, capacity, s.step);
    if (to <= capacity) return undefined;
    policy.held = to;
    policy.heldUntil = c.input.start + i + (s.holdMinutes ?? c.evaluationMinutes);
    return { minute: i, at, action: 'scale-out', from: capacity, to, ...(boundBy ? { boundBy } : {}) };
  }
  const floor = forecastFloor(c, s, i);
  if (floor <= policy.floor) return undefined;
  const from = policy.floor;
  policy.floor = floor;
  return { minute: i, at, action: 'raise-floor', from, to: floor };
}

/** A step out from the current capacity through the actuator's clamp: the max step, then the bounds. */
function stepOut(c: RunContext, policy: RemediatedPolicy, capacity: number, step: number) {
  const { physics, policy: live } = c.input;
  return clampToSafety(
    {
      twinId: 'simulated',
      decisionId: 'remediation',
      target: { kind: 'asg', autoScalingGroupName: 'simulated' },
      desired: capacity + step,
      maxStep: live.maxStep,
      minInstances: Math.max(physics.minInstances, policy.floor),
      maxInstances: physics.maxInstances,
    },
    { capacity, running: capacity, min: physics.minInstances, max: physics.maxInstances, managed: true },
  );
}

/** Instances the forecast's quantile needs over the horizon at the planned utilization, within the bounds. */
function forecastFloor(
  c: RunContext,
  s: Extract<Strategy, { kind: 'raise-floor-to-forecast' }>,
  i: number,
): number {
  const { input } = c;
  const check = input.rule.check;
  const horizon =
    s.horizonMinutes ?? (check.kind === 'forecast' ? check.horizonMinutes : c.evaluationMinutes);
  const band = c.forecasts.at(i - input.physics.observationLagMinutes, horizon);
  const from = input.startTime + i * MINUTE_MS;
  const to = from + horizon * MINUTE_MS;
  let peak = 0;
  for (const p of band.points) if (p.t + band.stepMs > from && p.t < to) peak = Math.max(peak, p[s.quantile]);
  const need = instancesFor(peak, input.capacityPerInstance, floorUtilization(c, s));
  return Math.min(input.physics.maxInstances, Math.max(input.physics.minInstances, need));
}

/** The utilization a raised floor plans for: the strategy's, else the rule's bound on utilization, else the live target. */
function floorUtilization(c: RunContext, s: Extract<Strategy, { kind: 'raise-floor-to-forecast' }>): number {
  if (s.utilization !== undefined) return s.utilization;
  const check = c.input.rule.check;
  if (check.kind === 'forecast') return Math.min(1, check.utilizationAbove);
  if (check.kind === 'metric' && c.metric === 'utilization' && check.below !== undefined)
    return Math.min(1, Math.max(0.01, check.below / 100));
  return c.input.policy.targetUtilization;
}
