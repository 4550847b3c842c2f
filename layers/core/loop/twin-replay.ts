import { z } from 'zod';
import { PlanInputError } from '../policy/live-plan.js';
import { targetTrackingPolicy } from '../policy/reference.js';
import { twinPolicy } from '../policy/twin-policy.js';
import type { ScalingPolicy } from '../policy/types.js';
import { DAY_MS, MINUTE_MS, toGrid } from '../series/grid.js';
import { minuteDemand } from '../simulate/minute-demand.js';
import { type FleetPhysics, FleetPhysicsSchema } from '../simulate/physics.js';
import { replay, type ScalingScores } from '../simulate/replay.js';
import { WhatIfSchema } from '../simulate/what-if.js';
import type { TwinStore } from '../store/twin-store.js';
import { type Twin, TwinIdSchema } from '../twin/twin.js';

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

/** The scenario workflow's input: a what-if replayed on the twin's recent load. */
export const ScenarioRequestSchema = z.object({
  twinId: TwinIdSchema,
  scenarioId: RecordIdSchema,
  days: DaysSchema.default(1),
  whatIf: WhatIfSchema.default(WhatIfSchema.parse({})),
  requestedAt: RequestedAtSchema,
});
export type ScenarioRequest = z.infer<typeof ScenarioRequestSchema>;

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
  if (!twin.capacityModel)
    throw new PlanInputError(`twin "${twinId}" has no capacity model: fit one before simulating it`);
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

export interface PolicyOutcome {
  policy: string;
  settings?: { targetUtilization: number; quantile: number };
  scores: ScalingScores;
}

/** The planner the live twin runs (no tuning: the live planner keeps its settings), at these settings. */
export const twinPolicyAt = (targetUtilization: number, quantile: number, twin: Twin): ScalingPolicy =>
  twinPolicy({
    targetUtilization,
    quantile,
    headroom: twin.policy.headroom,
    stabilizationMinutes: twin.policy.stabilizationMinutes,
    maxStep: twin.policy.maxStep,
    autoTune: { enabled: false },
  });

/** The twin policy's fleet in a scenario, per 5 minutes: enough to draw, small enough to store. */
export interface ScenarioTimeline {
  t0: number;
  stepMinutes: number;
  demandAsItWas: number[];
  demandWhatIf: number[];
  /** Instances in service (the slot's fewest), as it was and under the what-if. */
  inServiceAsItWas: number[];
  inServiceWhatIf: number[];
  /** Breach minutes in the slot. */
  breachAsItWas: number[];
  breachWhatIf: number[];
}

const TIMELINE_STEP_MINUTES = 5;

/** The twin's policy and the reactive rule, each on the replayed days as they were and under the what-if. */
export function runScenario(
  input: Awaited<ReturnType<typeof twinDemand>>,
  whatIf: ScenarioRequest['whatIf'],
): { asItWas: PolicyOutcome[]; whatIf: PolicyOutcome[]; timeline: ScenarioTimeline } {
  const { twin } = input;
  const policies = () => [
    { name: 'twin', make: () => twinPolicyAt(twin.policy.targetUtilization, twin.policy.quantile, twin) },
    { name: 'target-tracking', make: () => targetTrackingPolicy({ target: twin.policy.targetUtilization }) },
  ];
  const run = (w?: ScenarioRequest['whatIf']) =>
    policies().map((p) => ({ policy: p.name, ...replay(p.make(), { ...input, whatIf: w }) }));
  const [before, after] = [run(), run(whatIf)];
  const scoresOf = (rs: typeof before) => rs.map((r) => ({ policy: r.policy, scores: r.scores }));
  const [b, a] = [before[0].timeline, after[0].timeline];
  const step = TIMELINE_STEP_MINUTES;
  return {
    asItWas: scoresOf(before),
    whatIf: scoresOf(after),
    timeline: {
      t0: input.startTime,
      stepMinutes: step,
      demandAsItWas: bySlot(b.demand, step, Math.max),
      demandWhatIf: bySlot(a.demand, step, Math.max),
      inServiceAsItWas: bySlot(b.inService, step, Math.min),
      inServiceWhatIf: bySlot(a.inService, step, Math.min),
      breachAsItWas: bySlot(b.breach, step, (x, y) => x + y),
      breachWhatIf: bySlot(a.breach, step, (x, y) => x + y),
    },
  };
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
