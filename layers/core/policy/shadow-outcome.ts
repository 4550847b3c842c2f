import { MINUTE_MS, toGrid } from '../series/grid.js';
import type { Sample } from '../series/read-trace.js';
import { minuteDemand } from '../simulate/minute-demand.js';
import { FleetPhysicsSchema } from '../simulate/physics.js';
import { replay } from '../simulate/replay.js';
import type { MetricQuery } from '../twin/twin.js';
import type { ScalingPolicy } from './types.js';

/** A recorded decision: when it was made (ms) and the capacity it asked for. */
export interface RecordedDecision {
  at: number;
  desired: number;
}

export interface ShadowOutcomeInput {
  /** The load metric's samples over [from, to), per its period. */
  load: readonly Sample[];
  loadQuery: Pick<MetricQuery, 'periodSeconds' | 'stat'>;
  /** Demand one instance serves per minute at 100 % utilization. */
  capacityPerInstance: number;
  /** Minutes from launch until an instance serves (the twin's policy). */
  warmupMinutes: number;
  from: number;
  to: number;
  /** The live policy's decisions; one made before `from` says what was in force at its start. */
  live: readonly RecordedDecision[];
  shadows: readonly { id: string; decisions: readonly RecordedDecision[] }[];
}

/** A simulated fleet's outcome over the compared minutes. */
export interface OutcomeScores {
  minutes: number;
  /** Minutes above the breach utilization (the simulator's, 90 %). */
  breachMinutes: number;
  /** Share of the demand the in-service fleet could not serve, in %. */
  unservedPct: number;
  /** Instances in service or warming, summed over the minutes, in hours. */
  instanceHours: number;
  /** Minutes whose desired capacity differs from the minute before. */
  scaleEvents: number;
}

export interface ShadowComparison {
  shadowId: string;
  /** The minutes compared: from the first at which both had a decision in force, to the demand's end. */
  from: number;
  to: number;
  /** Slots both decided (a decision of each recorded at the same time). */
  decisionsCompared: number;
  /** Minutes whose capacity in force differed between the two. */
  disagreementMinutes: number;
  live: OutcomeScores | null;
  shadow: OutcomeScores | null;
}

export interface ShadowOutcome {
  /** The minutes with demand, within [from, to). */
  from: number;
  to: number;
  /** The live decisions over the minutes they were in force (null: none in the window). */
  live: OutcomeScores | null;
  shadows: ShadowComparison[];
}

/**
 * The would-be outcome of each candidate beside the live policy's: the twin's observed demand,
 * minute by minute, replayed against the simulator's fleet once with the live decisions in force
 * and once with each candidate's, with the same capacity per instance and warm-up. The live side
 * is simulated too, not read off the real fleet, so both sides meet the same physics and the
 * difference is the decisions' alone. Each simulated fleet starts, in service, at the capacity
 * in force at the first compared minute (the simulator's convention), over the minutes where both
 * sides had a decision in force.
 */
export function compareShadowOutcomes(input: ShadowOutcomeInput): ShadowOutcome {
  const demand = demandPerMinute(input);
  if (!demand) return { from: input.from, to: input.from, live: null, shadows: [] };
  const { values, t0 } = demand;
  const timeOf = (m: number) => t0 + m * MINUTE_MS;
  const live = inForce(input.live, t0, values.length);
  const score = (series: Int32Array, start: number) => simulate(values, series, start, input);
  const liveStart = firstDecided(live);
  return {
    from: t0,
    to: timeOf(values.length),
    live: liveStart < values.length ? score(live, liveStart) : null,
    shadows: input.shadows.map((s) => {
      const mine = inForce(s.decisions, t0, values.length);
      const start = Math.max(liveStart, firstDecided(mine));
      let disagreement = 0;
      for (let m = start; m < values.length; m++) if (mine[m] !== live[m]) disagreement++;
      const overlap = start < values.length;
      return {
        shadowId: s.id,
        from: timeOf(Math.min(start, values.length)),
        to: timeOf(values.length),
        decisionsCompared: overlap
          ? sharedSlots(input.live, s.decisions, timeOf(start), timeOf(values.length))
          : 0,
        disagreementMinutes: disagreement,
        live: overlap ? score(live, start) : null,
        shadow: overlap ? score(mine, start) : null,
      };
    }),
  };
}

/** The load over [from, to) as demand per minute, as the live plan and the twin replay read it. */
function demandPerMinute(input: ShadowOutcomeInput): { values: Float64Array; t0: number } | undefined {
  const samples = input.load.filter((s) => s.t >= input.from && s.t < input.to && Number.isFinite(s.v));
  if (samples.length === 0) return undefined;
  const stepMinutes = input.loadQuery.periodSeconds / 60;
  const { grid } = toGrid(samples, input.loadQuery.periodSeconds * 1000);
  // minuteDemand spreads a step's count over its minutes; a gauge (any other stat) holds instead
  const spread = minuteDemand(grid).demand;
  const values = input.loadQuery.stat === 'Sum' ? spread : spread.map((v) => v * stepMinutes);
  const minutes = Math.min(values.length, Math.floor((input.to - grid.t0) / MINUTE_MS));
  return { values: values.subarray(0, minutes), t0: grid.t0 };
}

/** The capacity in force at each minute (the newest decision made at or before it), −1 before the first. */
function inForce(decisions: readonly RecordedDecision[], t0: number, minutes: number): Int32Array {
  const sorted = [...decisions].sort((a, b) => a.at - b.at);
  const out = new Int32Array(minutes).fill(-1);
  let next = 0;
  let current = -1;
  for (let m = 0; m < minutes; m++) {
    const t = t0 + m * MINUTE_MS;
    while (next < sorted.length && sorted[next].at <= t) current = sorted[next++].desired;
    out[m] = current;
  }
  return out;
}

const firstDecided = (series: Int32Array): number => {
  const i = series.findIndex((v) => v >= 0);
  return i < 0 ? series.length : i;
};

/** Decision times both sides recorded within [from, to). */
function sharedSlots(
  a: readonly RecordedDecision[],
  b: readonly RecordedDecision[],
  from: number,
  to: number,
): number {
  const times = new Set(a.filter((d) => d.at >= from && d.at < to).map((d) => d.at));
  return new Set(b.filter((d) => times.has(d.at)).map((d) => d.at)).size;
}

/** The demand from minute `start` on, against a fleet that follows `series`. */
function simulate(
  demand: Float64Array,
  series: Int32Array,
  start: number,
  input: ShadowOutcomeInput,
): OutcomeScores {
  // the bounds were the planner's to keep: the simulated fleet takes the decisions as recorded
  const physics = FleetPhysicsSchema.parse({
    warmupMinutes: input.warmupMinutes,
    minInstances: 0,
    maxInstances: 100_000,
  });
  const recorded: ScalingPolicy = {
    name: 'recorded',
    decide: (view) => ({ desired: series[view.minute + start] }),
  };
  const { scores } = replay(recorded, {
    demand: demand.subarray(start),
    start: 0,
    capacityPerInstance: input.capacityPerInstance,
    physics,
  });
  return {
    minutes: scores.minutes,
    breachMinutes: scores.breachMinutes,
    unservedPct: scores.unservedPct,
    instanceHours: scores.instanceHours,
    scaleEvents: scores.scaleEvents,
  };
}
