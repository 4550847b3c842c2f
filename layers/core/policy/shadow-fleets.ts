import type { FleetPhysics } from '../simulate/physics.js';
import { FleetSimulation } from '../simulate/simulation.js';
import { targetTrackingPolicy } from './reference.js';
import type { ScalingPolicy } from './types.js';

/** How hard the planner leans on the forecast: a null quantile plans on observed demand alone. */
export interface OperatingPoint {
  targetUtilization: number;
  quantile: number | null;
  /** Instances added to the plan: headroom that costs the same at any load. */
  spare?: number;
  /** Target utilization of the reactive floor (default: targetUtilization). */
  reactiveUtilization?: number;
  /** Minutes the ask must stay lower before scaling in (default: the policy's). */
  stabilizationMinutes?: number;
}

/**
 * The points the twin runs in shadow, from lean to generous: planning on observed demand
 * alone; a lean plan (90 % utilization at a forecast quantile) under a reactive floor with
 * headroom, holding capacity after a burst for a short or a long while; plans that carry
 * their headroom in the forecast quantile; and lean plans with a few spare instances. Spare
 * instances are the cheapest cover against bursts while demand is low (one instance is a large
 * share of a small fleet, and bursts are large against low demand), which a utilization
 * target or a quantile cannot give without paying for it at the daily peak too.
 */
export const OPERATING_POINTS: readonly OperatingPoint[] = [
  { targetUtilization: 0.75, quantile: null, stabilizationMinutes: 10 },
  { targetUtilization: 0.6, quantile: null, stabilizationMinutes: 10 },
  ...[0.75, 0.9, 0.97, 0.99].flatMap((quantile) =>
    [0.75, 0.6].flatMap((reactiveUtilization) =>
      [5, 15].map((stabilizationMinutes) => ({
        targetUtilization: 0.9,
        quantile,
        reactiveUtilization,
        stabilizationMinutes,
      })),
    ),
  ),
  { targetUtilization: 0.9, quantile: 0.9, stabilizationMinutes: 10 },
  { targetUtilization: 0.8, quantile: 0.97, stabilizationMinutes: 10 },
  { targetUtilization: 0.7, quantile: 0.97, stabilizationMinutes: 20 },
  ...[1, 2, 3, 4].flatMap((spare) => [
    ...[
      [0.9, 0.75],
      [0.8, 0.75],
      [0.9, 0.9],
      [0.8, 0.9],
      [0.9, 0.97],
    ].map(([targetUtilization, quantile]) => ({
      targetUtilization,
      quantile,
      reactiveUtilization: 0.75,
      stabilizationMinutes: 5,
      spare,
    })),
    ...[0.9, 0.75].map((targetUtilization) => ({
      targetUtilization,
      quantile: null,
      stabilizationMinutes: 5,
      spare,
    })),
  ]),
];

export interface ShadowScore {
  point: OperatingPoint | 'baseline';
  /** Breach minutes, each weighted by 2^(−age / half-life). */
  breachMinutes: number;
  /** Minutes above the near-breach utilization, weighted the same way: what the choice ranks by. */
  nearMinutes: number;
  /** Instance-minutes, each weighted by 2^(−age / cost half-life). */
  instanceMinutes: number;
  /** Instance-minutes of the last `recentMinutes`, unweighted. */
  recentInstanceMinutes: number;
}

/** How the shadows are scored and compared. */
export interface ShadowScoring {
  /** Half-life of the breach scores. */
  halfLifeMinutes: number;
  /** Half-life of the cost scores. */
  costHalfLifeMinutes: number;
  /** A minute above this utilization counts as a near breach. */
  nearUtilization: number;
  /** The window of the recent-cost guard. */
  recentMinutes: number;
}

export interface ShadowChoice {
  chosen: OperatingPoint;
  budget: number;
  scores: ShadowScore[];
}

interface Shadow {
  score: ShadowScore;
  policy: ScalingPolicy;
  sim: FleetSimulation;
  /** Instance-minutes of the last `recentMinutes` minutes, by minute modulo the window. */
  recent: Int32Array;
}

/**
 * Simulated fleets that follow live demand in shadow, one per operating point and one for the
 * reactive rule Twinscale replaces, each scored on recent minutes (exponentially weighted).
 * A shadow simulates a minute once its demand is observed, deciding with what it would have
 * seen then, so the comparison is causal and costs one planner step per shadow per minute.
 */
export class ShadowFleets {
  private readonly shadows: Shadow[];
  private readonly decay: number;
  private readonly costDecay: number;
  private readonly nearUtilization: number;

  constructor(
    o: {
      start: number;
      capacityPerInstance: number;
      physics: FleetPhysics;
      baselineTargetUtilization: number;
    } & ShadowScoring,
    plannerFor: (point: OperatingPoint) => ScalingPolicy,
  ) {
    this.decay = 2 ** (-1 / o.halfLifeMinutes);
    this.costDecay = 2 ** (-1 / o.costHalfLifeMinutes);
    this.nearUtilization = o.nearUtilization;
    const make = (point: OperatingPoint | 'baseline', policy: ScalingPolicy): Shadow => ({
      score: { point, breachMinutes: 0, nearMinutes: 0, instanceMinutes: 0, recentInstanceMinutes: 0 },
      policy,
      sim: new FleetSimulation({
        start: o.start,
        capacityPerInstance: o.capacityPerInstance,
        physics: o.physics,
      }),
      recent: new Int32Array(o.recentMinutes),
    });
    this.shadows = [
      make('baseline', targetTrackingPolicy({ target: o.baselineTargetUtilization })),
      ...OPERATING_POINTS.map((p) => make(p, plannerFor(p))),
    ];
  }

  /** Simulates every observed minute not yet simulated. */
  advance(observed: Float64Array): void {
    for (const s of this.shadows) {
      while (s.sim.next < observed.length) {
        const slot = s.sim.next % s.recent.length;
        const m = s.sim.step(observed, s.policy);
        const cost = m.inService + m.warming;
        const sc = s.score;
        sc.breachMinutes = sc.breachMinutes * this.decay + (m.breach ? 1 : 0);
        sc.nearMinutes = sc.nearMinutes * this.decay + (m.utilization > this.nearUtilization ? 1 : 0);
        sc.instanceMinutes = sc.instanceMinutes * this.costDecay + cost;
        sc.recentInstanceMinutes += cost - s.recent[slot];
        s.recent[slot] = cost;
      }
    }
  }

  /**
   * Among the points within the budget, those whose (weighted) breach minutes are within
   * `breachTolerance` (and one minute) of the fewest; of these, the one with the fewest near
   * breaches; on a tie, the more generous, since the recent past had no surprise the next hour
   * may bring. Breach counts of close points differ mostly by chance (a few bursts a day);
   * near breaches are several times more frequent and go with breaches, so among the close
   * points they rank on fewer chance events. They do not rank alone: a lean plan that
   * forecasts well runs near its target all day without breaching.
   * Within the budget means on both cost scores: the weighted one (the budget proper, over
   * days) and the recent one with `recentSlack` more (a guard: after a change of regime,
   * days-old minutes can make a point look cheaper than it now is). When no point fits, the
   * one that overshoots least.
   */
  choose(budgetRatio: number, recentSlack: number, breachTolerance: number): ShadowChoice {
    const [baseline, ...points] = this.shadows.map((s) => s.score);
    const budget = baseline.instanceMinutes * budgetRatio;
    const recentBudget = baseline.recentInstanceMinutes * budgetRatio * recentSlack;
    const overshoot = (p: ShadowScore) =>
      Math.max(p.instanceMinutes / budget, p.recentInstanceMinutes / recentBudget);
    const affordable = points.filter((p) => overshoot(p) <= 1);
    const fewest = Math.min(...affordable.map((p) => p.breachMinutes));
    const contenders = affordable.filter((p) => p.breachMinutes <= fewest * (1 + breachTolerance) + 1);
    const best = contenders.length
      ? contenders.sort(
          (a, b) =>
            Math.round(a.nearMinutes) - Math.round(b.nearMinutes) || b.instanceMinutes - a.instanceMinutes,
        )[0]
      : [...points].sort((a, b) => overshoot(a) - overshoot(b))[0];
    return {
      chosen: best.point as OperatingPoint,
      budget,
      scores: this.shadows.map((s) => ({ ...s.score })),
    };
  }
}
