import { z } from 'zod';
import {
  ComparedRuleSchema,
  ComparisonScenarioSchema,
  DEFAULT_EVALUATION_MINUTES,
  MAX_COMPARISON_SCENARIOS,
  PolicyRuleRefSchema,
  StrategySchema,
} from '../compliance/strategy-comparison.js';
import { forecastTwin } from '../forecast/twin/index.js';
import { PlanInputError } from '../policy/live-plan.js';
import { targetTrackingPolicy } from '../policy/reference.js';
import { type OutlookShare, twinPolicy } from '../policy/twin-policy.js';
import type { ScalingPolicy } from '../policy/types.js';
import { DAY_MS, MINUTE_MS, toGrid } from '../series/grid.js';
import { minuteDemand } from '../simulate/minute-demand.js';
import { type FleetPhysics, FleetPhysicsSchema, instancesFor } from '../simulate/physics.js';
import { replay, type ScalingScores, type Timeline } from '../simulate/replay.js';
import {
  breachBudget,
  type Knob,
  resilienceVerdict,
  SloSchema,
  type Verdict,
} from '../simulate/resilience.js';
import { mergeOutages, WhatIfSchema, whatIfMinutes } from '../simulate/what-if.js';
import type { TwinStore } from '../store/twin-store.js';
import { noCapacityModel } from '../twin/capacity-upkeep.js';
import { type Twin, TwinIdSchema, TwinPolicyConfigSchema } from '../twin/twin.js';

export const RecordIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,100}$/, 'id: 1–100 of A–Z a–z 0–9 . _ : -')
  .optional()
  .describe('default: the execution name');

/** The replay ends here and the result is stored at this time, so a rerun gives the same record. */
export const RequestedAtSchema = z.iso
  .datetime()
  .optional()
  .describe('the replayed days end at this time (default: when the execution started)');

/** Days of the twin's own load replayed, after a week of history the policies learn from. */
export const DaysSchema = z.number().int().min(1).max(14);

/** The built-in reactive rule every scenario is scored beside (EC2 Auto Scaling target tracking, emulated). */
export const TARGET_TRACKING = 'target-tracking';

const live = TwinPolicyConfigSchema.shape;

/** What a scenario's policy may set differently from the twin's live policy; the rest follows it. */
export const PolicySettingsPatchSchema = z
  .object({
    targetUtilization: live.targetUtilization.unwrap().optional(),
    quantile: live.quantile.unwrap().optional(),
    headroom: live.headroom.unwrap().optional(),
    stabilizationMinutes: live.stabilizationMinutes.unwrap().optional(),
    maxStep: live.maxStep.unwrap().optional(),
  })
  .strict();

export const ScenarioPolicySchema = z
  .object({
    name: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/,
        'name: 1–40 of A–Z a–z 0–9 . _ -, starting with a letter or a digit',
      )
      .describe(`what the results call it; "${TARGET_TRACKING}" is the built-in reactive rule`),
    settings: PolicySettingsPatchSchema.default({}).describe(
      `merged over the twin's live policy (${TARGET_TRACKING}: targetUtilization only)`,
    ),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.name !== TARGET_TRACKING) return;
    for (const [key, value] of Object.entries(p.settings))
      if (key !== 'targetUtilization' && value !== undefined)
        ctx.addIssue({
          code: 'custom',
          message: `${TARGET_TRACKING} takes only targetUtilization`,
          path: ['settings', key],
        });
  });
export type ScenarioPolicyInput = z.infer<typeof ScenarioPolicySchema>;

/** Policies listed at most: each costs two replays, and a search when it fails its SLO. */
export const MAX_POLICIES = 5;
/** Forecast appended at most: the twin forecaster's backtest covers a day ahead, no further. */
export const MAX_FORECAST_HOURS = 24;

/** A scenario as a person writes it, in JSON or YAML: the body of POST /twins/{id}/scenarios. */
const scenarioFields = {
  days: DaysSchema.default(1).describe("days of the twin's own load replayed"),
  forecastHours: z
    .number()
    .int()
    .min(0)
    .max(MAX_FORECAST_HOURS)
    .default(0)
    .describe(
      "hours of the twin's forecast (p50 of 5-minute peaks) appended after the replayed days, from minute days × 1440",
    ),
  whatIf: WhatIfSchema.default(WhatIfSchema.parse({})).describe(
    'what changes; minutes count from the start of the replayed days',
  ),
  policies: z
    .array(ScenarioPolicySchema)
    .min(1)
    .max(MAX_POLICIES)
    .optional()
    .describe(`default: the twin's live policy as "twin"; ${TARGET_TRACKING} is added when not listed`),
  slo: SloSchema.default({}).describe('default: breach in at most 1 % of the minutes'),
};

/** Minutes the scenario covers: the replayed days, then the forecast. */
export const scenarioMinutes = (s: { days: number; forecastHours: number }) =>
  s.days * 1440 + s.forecastHours * 60;

function checkScenario(
  s: {
    days: number;
    forecastHours: number;
    whatIf: z.infer<typeof WhatIfSchema>;
    policies?: { name: string }[];
  },
  ctx: z.RefinementCtx,
): void {
  const minutes = scenarioMinutes(s);
  for (const { path, minute } of whatIfMinutes(s.whatIf))
    if (minute >= minutes)
      ctx.addIssue({
        code: 'custom',
        message:
          `minute ${minute} is after the scenario (minutes 0 … ${minutes - 1}: ${s.days} day(s) replayed` +
          (s.forecastHours
            ? `, then ${s.forecastHours} forecast hour(s) from minute ${s.days * 1440})`
            : ')'),
        path: ['whatIf', ...path],
      });
  for (const [i, p] of (s.policies ?? []).entries())
    if (s.policies?.findIndex((q) => q.name === p.name) !== i)
      ctx.addIssue({
        code: 'custom',
        message: 'each policy needs a name of its own',
        path: ['policies', i, 'name'],
      });
}

export const ScenarioDocumentSchema = z.object(scenarioFields).strict().superRefine(checkScenario);
export type ScenarioDocument = z.infer<typeof ScenarioDocumentSchema>;

/** A scenario replayed on the twin's recent load. */
const WhatIfRequestSchema = z
  .object({
    kind: z.literal('what-if').optional().describe('the default kind of scenario request'),
    twinId: TwinIdSchema,
    scenarioId: RecordIdSchema,
    ...scenarioFields,
    requestedAt: RequestedAtSchema,
  })
  .superRefine(checkScenario);

/** Two remediation strategies for one rule, compared on the twin's recent load (and scenarios). */
export const REMEDIATION_COMPARISON = 'remediation-comparison';

/** What a remediation comparison asks besides its rule (POST /twins/{id}/remediations/compare). */
export const comparisonFields = {
  strategies: z
    .array(StrategySchema)
    .length(2)
    .describe('A and B: none, scale-step { step }, raise-floor-to-forecast { quantile }'),
  scenarios: z
    .array(ComparisonScenarioSchema)
    .max(MAX_COMPARISON_SCENARIOS)
    .default([])
    .describe('what-ifs each strategy also runs under, after the days as they were'),
  days: DaysSchema.default(1).describe("days of the twin's own load replayed"),
  evaluationMinutes: z
    .number()
    .int()
    .min(5)
    .max(1440)
    .default(DEFAULT_EVALUATION_MINUTES)
    .describe('the rule is judged, and the strategy acts, this often (the deployed remediate run is hourly)'),
  pricePerInstanceHour: z.number().positive().max(1000).optional().describe('to state the cost in $ too'),
};

/** Each scenario's minutes inside the replayed days, and each name its own. */
export function checkComparison(
  c: { days: number; scenarios: { name: string; whatIf: z.infer<typeof WhatIfSchema> }[] },
  ctx: z.RefinementCtx,
): void {
  const minutes = c.days * 1440;
  for (const [i, s] of c.scenarios.entries()) {
    for (const { path, minute } of whatIfMinutes(s.whatIf))
      if (minute >= minutes)
        ctx.addIssue({
          code: 'custom',
          message: `minute ${minute} is after the ${c.days} replayed day(s) (minutes 0 … ${minutes - 1})`,
          path: ['scenarios', i, 'whatIf', ...path],
        });
    if (c.scenarios.findIndex((x) => x.name === s.name) !== i)
      ctx.addIssue({
        code: 'custom',
        message: 'each scenario needs a name of its own',
        path: ['scenarios', i, 'name'],
      });
  }
}

export const ComparisonRequestSchema = z
  .object({
    kind: z.literal(REMEDIATION_COMPARISON),
    twinId: TwinIdSchema,
    comparisonId: RecordIdSchema,
    rule: ComparedRuleSchema,
    policyRule: PolicyRuleRefSchema.optional().describe('the stored rule it was read from, if any'),
    ...comparisonFields,
    requestedAt: RequestedAtSchema,
  })
  .superRefine(checkComparison);
export type ComparisonRequest = z.infer<typeof ComparisonRequestSchema>;

/**
 * The scenario workflow's input: a what-if (no `kind`, or `what-if`), or a remediation
 * comparison; both replay the twin's recent load and are stored as its scenario records.
 */
export const ScenarioRequestSchema = z.discriminatedUnion('kind', [
  WhatIfRequestSchema,
  ComparisonRequestSchema,
]);
export type ScenarioRequest = z.infer<typeof ScenarioRequestSchema>;
export type WhatIfRequest = z.infer<typeof WhatIfRequestSchema>;

/** Days before the replayed ones that the policies learn from (the forecaster needs a week). */
const LEARNING_DAYS = 7;

/** The twin's load as per-minute demand: a week of history, then `days` to replay. */
export async function twinDemand(
  store: TwinStore,
  twinId: string,
  days: number,
  now: number,
): Promise<{
  twin: Twin;
  demand: Float64Array;
  start: number;
  /** The time (ms) of minute `start`, the first replayed minute. */
  startTime: number;
  capacityPerInstance: number;
  physics: FleetPhysics;
}> {
  const twin = await store.getTwin(twinId);
  if (!twin) throw new PlanInputError(`twinId: twin "${twinId}" does not exist`);
  const load = twin.metrics.find((m) => m.role === 'load');
  if (!load) throw new PlanInputError(`twin "${twinId}" has no metric with role "load" to replay`);
  if (!twin.capacityModel) throw new PlanInputError(noCapacityModel(twin));
  const end = Math.floor(now / MINUTE_MS) * MINUTE_MS;
  const samples = await store.readSamples(twinId, load.key, end - (days + LEARNING_DAYS) * DAY_MS, end);
  if (samples.length === 0 || samples[samples.length - 1].t - samples[0].t < days * DAY_MS)
    throw new PlanInputError(
      `twin "${twinId}" has ${samples.length} samples of "${load.key}", less than the ${days} day(s) asked: ask for fewer days`,
    );
  const { grid } = toGrid(samples, load.periodSeconds * 1000);
  // minuteDemand spreads a step's count over its minutes; a gauge (any other stat) holds instead.
  const spread = minuteDemand(grid).demand;
  const stepMinutes = load.periodSeconds / 60;
  const demand = load.stat === 'Sum' ? spread : spread.map((v) => v * stepMinutes);
  const start = Math.max(1, demand.length - days * 1440);
  const physics = FleetPhysicsSchema.parse({
    warmupMinutes: twin.policy.warmupMinutes,
    minInstances: twin.policy.minInstances ?? 1,
    maxInstances: twin.policy.maxInstances ?? 400,
  });
  return {
    twin,
    demand,
    start,
    startTime: grid.t0 + start * MINUTE_MS,
    capacityPerInstance: twin.capacityModel.capacityPerInstance,
    physics,
  };
}

export type TwinDemand = Awaited<ReturnType<typeof twinDemand>>;

/** The planning slot of the appended forecast, as the live planner forecasts (5-minute peaks). */
const FORECAST_SLOT_MINUTES = 5;

/** A twin's demand to run a scenario on: the replayed days, and maybe the forecast after them. */
export type ScenarioInput = TwinDemand & {
  /** Set when a forecast was appended: its first minute (from `start`) and the model that made it. */
  forecast?: { fromMinute: number; model: string };
};

/**
 * The twin's demand with its forecast of the next `hours` appended, so a scenario can be placed
 * in the future: the twin forecaster on the history's 5-minute peaks, as the live planner uses
 * it, and each slot's p50 held over its five minutes (each minute at the slot's likely busiest).
 */
export function withForecast(input: TwinDemand, hours: number): ScenarioInput {
  if (!(hours > 0)) return input;
  const { demand } = input;
  const s = FORECAST_SLOT_MINUTES;
  const slots = Math.floor(demand.length / s);
  const skip = demand.length - slots * s; // a partial first slot is left out
  const peaks = new Float64Array(slots).fill(Number.NaN);
  for (let j = 0; j < slots; j++)
    for (let m = skip + j * s; m < skip + (j + 1) * s; m++)
      if (!Number.isNaN(demand[m]) && !(demand[m] <= peaks[j])) peaks[j] = demand[m];
  const t0 = input.startTime + (skip - input.start) * MINUTE_MS;
  const horizon = (hours * 60) / s;
  const f = forecastTwin({ history: peaks, t0, stepMs: s * MINUTE_MS, horizon });
  const out = new Float64Array(demand.length + horizon * s);
  out.set(demand);
  for (let h = 0; h < horizon; h++)
    out.fill(Math.max(0, f.p50[h]), demand.length + h * s, demand.length + (h + 1) * s);
  return { ...input, demand: out, forecast: { fromMinute: demand.length - input.start, model: f.model } };
}

export interface PolicyOutcome {
  policy: string;
  scores: ScalingScores;
}

/** The live planner's settings a scenario may vary. */
export interface PlannerSettings {
  targetUtilization: number;
  quantile: number;
  headroom: number;
  stabilizationMinutes: number;
  maxStep: number;
}

/** A policy a scenario runs: a twin planner at its settings, or the reactive reference at its target. */
export type ScenarioPolicy =
  | { name: string; kind: 'twin'; settings: PlannerSettings }
  | { name: string; kind: typeof TARGET_TRACKING; settings: { targetUtilization: number } };

const plannerSettingsOf = (twin: Twin): PlannerSettings => ({
  targetUtilization: twin.policy.targetUtilization,
  quantile: twin.policy.quantile,
  headroom: twin.policy.headroom,
  stabilizationMinutes: twin.policy.stabilizationMinutes,
  maxStep: twin.policy.maxStep,
});

/** The planner the live twin runs (no tuning: the live planner keeps its settings), at these settings. */
const plannerAt = (s: PlannerSettings, share?: OutlookShare): ScalingPolicy =>
  twinPolicy({ ...s, autoTune: { enabled: false } }, share);

/** The twin's live planner, new for each replay; replays of one demand share its forecasts. */
export const livePolicyOf =
  (twin: Twin) =>
  (share: OutlookShare): ScalingPolicy =>
    plannerAt(plannerSettingsOf(twin), share);

/**
 * The policies a scenario compares: those listed (each its settings over the twin's live policy),
 * by default the live policy as `twin`; and the reactive rule at the twin's target when not listed.
 */
export function scenarioPolicies(twin: Twin, listed?: readonly ScenarioPolicyInput[]): ScenarioPolicy[] {
  const out: ScenarioPolicy[] = (listed ?? [{ name: 'twin', settings: {} }]).map((p) => {
    const set = Object.fromEntries(Object.entries(p.settings).filter(([, v]) => v !== undefined));
    return p.name === TARGET_TRACKING
      ? {
          name: p.name,
          kind: TARGET_TRACKING,
          settings: { targetUtilization: p.settings.targetUtilization ?? twin.policy.targetUtilization },
        }
      : { name: p.name, kind: 'twin', settings: { ...plannerSettingsOf(twin), ...set } };
  });
  if (!out.some((p) => p.kind === TARGET_TRACKING))
    out.push({
      name: TARGET_TRACKING,
      kind: TARGET_TRACKING,
      settings: { targetUtilization: twin.policy.targetUtilization },
    });
  return out;
}

const policyOf = (p: ScenarioPolicy): ScalingPolicy =>
  p.kind === 'twin' ? plannerAt(p.settings) : targetTrackingPolicy({ target: p.settings.targetUtilization });

/** The fleet in a scenario, per 5 minutes: enough to draw, small enough to store. */
export interface ScenarioTimeline {
  t0: number;
  stepMinutes: number;
  /** When the forecast starts (ms): slots from here replay the twin's forecast, not its past. */
  forecastFrom?: number;
  demandAsItWas: number[];
  demandWhatIf: number[];
  /** The first policy's instances in service (the slot's fewest), as it was and under the what-if. */
  inServiceAsItWas: number[];
  inServiceWhatIf: number[];
  /** The first policy's breach minutes in the slot. */
  breachAsItWas: number[];
  breachWhatIf: number[];
  /** Every policy under the what-if, in the order of `policies` (the first repeats the fields above). */
  policies: { policy: string; inServiceWhatIf: number[]; breachWhatIf: number[] }[];
}

export interface ScenarioResult {
  /** The scenario's minutes from `timeline.t0`; the forecast, if any, from `forecastFromMinute`. */
  window: { minutes: number; forecastFromMinute?: number; forecastModel?: string };
  policies: ScenarioPolicy[];
  asItWas: PolicyOutcome[];
  whatIf: PolicyOutcome[];
  /** The SLO as given, and the breach minutes it allows over the scenario. */
  slo: ScenarioDocument['slo'] & { budgetMinutes: number };
  /** Per policy: does it hold the SLO under the what-if, and if not, what would. */
  verdicts: Verdict[];
  timeline: ScenarioTimeline;
}

/**
 * Slots of the stored timeline: 5 minutes, the planning slot, unless that would not fit the
 * budget — a scenario record must stay under the store's 300 KB (DynamoDB's item limit is 400 KB)
 * with room for its scores and input, and 14 days and a forecast for six policies in 5-minute
 * slots can pass 250 KB — then the first coarser step that fits.
 */
const TIMELINE_STEPS_MINUTES = [5, 10, 15, 30, 60, 120] as const;
export const TIMELINE_BUDGET_CHARS = 200_000;
/** The verdict's search: headroom added in these steps up to this much, the target lowered to this. */
const HEADROOM_STEP = 0.05;
const MAX_EXTRA_HEADROOM = 1;
const MAX_HEADROOM = 2; // TwinPolicyConfigSchema's bound
const TARGET_STEP = 0.05;
const MIN_TARGET = 0.2;

const hundredths = (x: number) => Math.round(x * 100) / 100;

/** What a verdict may change of a policy, cheapest first: more headroom, then a lower target. */
function knobsFor(p: ScenarioPolicy, scoresOf: (policy: ScalingPolicy) => ScalingScores): Knob[] {
  const targets: number[] = [];
  for (
    let u = hundredths(p.settings.targetUtilization - TARGET_STEP);
    u >= MIN_TARGET;
    u = hundredths(u - TARGET_STEP)
  )
    targets.push(u);
  const target: Knob = {
    setting: 'targetUtilization',
    from: p.settings.targetUtilization,
    values: targets,
    replay: (u) =>
      scoresOf(policyOf({ ...p, settings: { ...p.settings, targetUtilization: u } } as ScenarioPolicy)),
  };
  if (p.kind !== 'twin') return [target];
  const s = p.settings;
  const headrooms: number[] = [];
  for (let k = 1; k * HEADROOM_STEP <= MAX_EXTRA_HEADROOM + 1e-9; k++) {
    const h = hundredths(s.headroom + k * HEADROOM_STEP);
    if (h > MAX_HEADROOM) break;
    headrooms.push(h);
  }
  return [
    {
      setting: 'headroom',
      from: s.headroom,
      values: headrooms,
      replay: (h) => scoresOf(plannerAt({ ...s, headroom: h })),
    },
    target,
  ];
}

/**
 * The scenario's policies, each on the replayed days (and forecast) as they were and under the
 * what-if, with its verdict against the SLO: when it fails, the least extra headroom (or, failing
 * that, the least lower target) that holds, found by a few replays, or why nothing does.
 */
export function runScenario(
  input: ScenarioInput,
  scenario: Pick<ScenarioDocument, 'whatIf' | 'slo'> & { policies?: readonly ScenarioPolicyInput[] },
): ScenarioResult {
  const { twin, physics, capacityPerInstance: k } = input;
  const whatIf = scenario.whatIf;
  const policies = scenarioPolicies(twin, scenario.policies);
  const minutes = input.demand.length - input.start;
  const budgetMinutes = breachBudget(scenario.slo, minutes);
  const runs = policies.map((p) => ({
    policy: p,
    before: replay(policyOf(p), input),
    after: replay(policyOf(p), { ...input, whatIf }),
  }));
  const demandWhatIf = runs[0].after.timeline.demand;
  let peakNeed = 0;
  for (const d of demandWhatIf) peakNeed = Math.max(peakNeed, instancesFor(d, k, physics.breachUtilization));
  const limits = {
    maxInstances: physics.maxInstances,
    peakNeed,
    warmupMinutes: physics.warmupMinutes,
    observationLagMinutes: physics.observationLagMinutes,
    metricOutageMinutes: mergeOutages(whatIf.metricOutages).reduce(
      (sum, o) => sum + Math.max(0, Math.min(o.toMinute, minutes) - o.fromMinute),
      0,
    ),
  };
  const verdicts = runs.map((r) =>
    resilienceVerdict({
      policy: r.policy.name,
      scores: r.after.scores,
      budgetMinutes,
      limits,
      knobs: knobsFor(r.policy, (policy) => replay(policy, { ...input, whatIf }).scores),
    }),
  );
  return {
    window: {
      minutes,
      ...(input.forecast
        ? { forecastFromMinute: input.forecast.fromMinute, forecastModel: input.forecast.model }
        : {}),
    },
    policies,
    asItWas: runs.map((r) => ({ policy: r.policy.name, scores: r.before.scores })),
    whatIf: runs.map((r) => ({ policy: r.policy.name, scores: r.after.scores })),
    slo: { ...scenario.slo, budgetMinutes },
    verdicts,
    timeline: scenarioTimeline(
      input.startTime,
      input.forecast ? input.startTime + input.forecast.fromMinute * MINUTE_MS : undefined,
      runs.map((r) => ({ policy: r.policy.name, before: r.before.timeline, after: r.after.timeline })),
    ),
  };
}

/**
 * The replays' per-minute timelines in slots, the first policy's in full and every policy's fleet
 * under the what-if: in 5-minute slots, or the first coarser step whose JSON fits `budgetChars`.
 */
export function scenarioTimeline(
  t0: number,
  forecastFrom: number | undefined,
  runs: readonly { policy: string; before: Timeline; after: Timeline }[],
  budgetChars = TIMELINE_BUDGET_CHARS,
): ScenarioTimeline {
  const [b, a] = [runs[0].before, runs[0].after];
  const sum = (x: number, y: number) => x + y;
  let timeline: ScenarioTimeline | undefined;
  for (const step of TIMELINE_STEPS_MINUTES) {
    timeline = {
      t0,
      stepMinutes: step,
      ...(forecastFrom === undefined ? {} : { forecastFrom }),
      demandAsItWas: bySlot(b.demand, step, Math.max),
      demandWhatIf: bySlot(a.demand, step, Math.max),
      inServiceAsItWas: bySlot(b.inService, step, Math.min),
      inServiceWhatIf: bySlot(a.inService, step, Math.min),
      breachAsItWas: bySlot(b.breach, step, sum),
      breachWhatIf: bySlot(a.breach, step, sum),
      policies: runs.map((r) => ({
        policy: r.policy,
        inServiceWhatIf: bySlot(r.after.inService, step, Math.min),
        breachWhatIf: bySlot(r.after.breach, step, sum),
      })),
    };
    if (JSON.stringify(timeline).length <= budgetChars) break;
  }
  return timeline as ScenarioTimeline;
}

/** A per-minute series folded into slots of `step` minutes, rounded to 0.1. */
function bySlot(values: ArrayLike<number>, step: number, fold: (a: number, b: number) => number): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; i += step) {
    let acc = values[i];
    for (let j = i + 1; j < Math.min(i + step, values.length); j++) acc = fold(acc, values[j]);
    out.push(Math.round(acc * 10) / 10);
  }
  return out;
}
