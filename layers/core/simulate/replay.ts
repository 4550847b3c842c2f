import type { DecisionReason, ScalingPolicy } from '../policy/types.js';
import { BREACH_EPS, DEFAULT_PHYSICS, type FleetPhysics, instancesFor } from './physics.js';
import { FleetSimulation } from './simulation.js';
import { transformDemand, type WhatIf } from './what-if.js';

export interface ReplayInput {
  /** Per-minute demand, history included: the policy sees it up to each decision's minute − lag. */
  demand: Float64Array;
  /** First simulated minute; earlier minutes are history only. */
  start: number;
  /** Demand one instance serves per minute at 100 % utilization. */
  capacityPerInstance: number;
  physics?: FleetPhysics;
  whatIf?: Partial<WhatIf>;
  /** Keep every decision's reason (costs memory on long replays). */
  keepReasons?: boolean;
}

/** Per-minute timeline of the simulated window (index 0 is minute `start`). */
export interface Timeline {
  demand: Float64Array;
  desired: Int32Array;
  inService: Int32Array;
  warming: Int32Array;
  utilization: Float64Array;
  breach: Uint8Array;
  unserved: Float64Array;
  reasons?: (DecisionReason | undefined)[];
}

export interface ScalingScores {
  minutes: number;
  breachMinutes: number;
  breachPct: number;
  unservedPct: number;
  instanceHours: number;
  /** Instance-minutes over the no-warm-up oracle's (the protocol's costVsOracle). */
  costVsOracle: number;
  /** Instance-minutes over the least-cost breach-free schedule under the warm-up. */
  costVsFeasibleOracle: number;
  scaleEvents: number;
  oracleInstanceHours: number;
  /** Minutes even the oracle breaches because maxInstances is not enough. */
  oracleBreachMinutes: number;
  maxDesired: number;
}

export interface Replay {
  timeline: Timeline;
  scores: ScalingScores;
}

/** Replays demand against a simulated fleet driven by a policy, minute by minute. */
export function replay(policy: ScalingPolicy, input: ReplayInput): Replay {
  const physics = input.physics ?? DEFAULT_PHYSICS;
  const start = input.start;
  if (!(start >= 0 && start < input.demand.length))
    throw new RangeError(`start ${start} must be inside the demand (0 … ${input.demand.length - 1})`);
  const transforms = input.whatIf?.demand ?? [];
  const demand = transforms.length
    ? concat(input.demand.subarray(0, start), transformDemand(input.demand.subarray(start), transforms))
    : input.demand;
  const n = demand.length - start;
  const sim = new FleetSimulation({
    start,
    capacityPerInstance: input.capacityPerInstance,
    physics,
    failures: input.whatIf?.failures,
    warmupChanges: input.whatIf?.warmupChanges,
    metricOutages: input.whatIf?.metricOutages,
  });
  const tl: Timeline = {
    ...emptyTimeline(demand.slice(start)),
    reasons: input.keepReasons ? [] : undefined,
  };
  for (let i = 0; i < n; i++) {
    const m = sim.step(demand, policy);
    recordMinute(tl, i, m);
    tl.reasons?.push(m.reason);
  }
  return { timeline: tl, scores: scoreTimeline(tl, input.capacityPerInstance, physics) };
}

/** A timeline of `demand`'s minutes with nothing simulated yet. */
export function emptyTimeline(demand: Float64Array): Timeline {
  const n = demand.length;
  return {
    demand,
    desired: new Int32Array(n),
    inService: new Int32Array(n),
    warming: new Int32Array(n),
    utilization: new Float64Array(n),
    breach: new Uint8Array(n),
    unserved: new Float64Array(n),
  };
}

/** One simulated minute written into the timeline at `i`. */
export function recordMinute(tl: Timeline, i: number, m: ReturnType<FleetSimulation['step']>): void {
  tl.desired[i] = m.desired;
  tl.inService[i] = m.inService;
  tl.warming[i] = m.warming;
  tl.utilization[i] = m.utilization;
  tl.breach[i] = m.breach ? 1 : 0;
  tl.unserved[i] = m.unserved;
}

/** The protocol's scores of a timeline. */
export function scoreTimeline(
  tl: Timeline,
  k: number,
  physics: FleetPhysics = DEFAULT_PHYSICS,
): ScalingScores {
  const n = tl.demand.length;
  const need = oracleNeed(tl.demand, k, physics);
  let breach = 0;
  let billed = 0;
  let unserved = 0;
  let total = 0;
  let events = 0;
  let needSum = 0;
  let oracleBreach = 0;
  let maxDesired = 0;
  for (let i = 0; i < n; i++) {
    breach += tl.breach[i];
    billed += tl.inService[i] + tl.warming[i];
    unserved += tl.unserved[i];
    total += tl.demand[i];
    needSum += need[i];
    if (i > 0 && tl.desired[i] !== tl.desired[i - 1]) events++;
    if (tl.demand[i] / (k * need[i]) > physics.breachUtilization + BREACH_EPS) oracleBreach++;
    maxDesired = Math.max(maxDesired, tl.desired[i]);
  }
  const feasible = feasibleOracle(need, physics.warmupMinutes);
  let feasibleSum = 0;
  for (const x of feasible) feasibleSum += x;
  return {
    minutes: n,
    breachMinutes: breach,
    breachPct: n > 0 ? (100 * breach) / n : 0,
    unservedPct: total > 0 ? (100 * unserved) / total : 0,
    instanceHours: billed / 60,
    costVsOracle: billed / needSum,
    costVsFeasibleOracle: billed / feasibleSum,
    scaleEvents: events,
    oracleInstanceHours: needSum / 60,
    oracleBreachMinutes: oracleBreach,
    maxDesired,
  };
}

/** The physical limit per minute: max(1, ⌈d / (breach utilization × k)⌉), within the bounds. */
export function oracleNeed(
  demand: Float64Array,
  k: number,
  physics: FleetPhysics = DEFAULT_PHYSICS,
): Int32Array {
  const out = new Int32Array(demand.length);
  for (let i = 0; i < demand.length; i++) {
    const n = Math.max(1, instancesFor(demand[i], k, physics.breachUtilization));
    out[i] = Math.min(physics.maxInstances, Math.max(physics.minInstances, n));
  }
  return out;
}

/** The least-cost breach-free schedule under the warm-up: the need's max over [t, t + warm-up]. */
export function feasibleOracle(need: Int32Array, warmupMinutes: number): Int32Array {
  const out = Int32Array.from(need);
  for (let i = 0; i < need.length; i++) {
    for (let s = 1; s <= warmupMinutes && i + s < need.length; s++) out[i] = Math.max(out[i], need[i + s]);
  }
  return out;
}

function concat(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
