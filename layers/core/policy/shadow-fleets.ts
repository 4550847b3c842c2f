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
 * headroom, holding capacity after a burst for a short or a long while; and plans that carry
 * their headroom in the forecast quantile.
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
];

export interface ShadowScore {
  point: OperatingPoint | 'baseline';
  /** Breach minutes, each weighted by 2^(−age / half-life). */
  breachMinutes: number;
  /** Instance-minutes, weighted the same way. */
  instanceMinutes: number;
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

  constructor(
    o: {
      start: number;
      capacityPerInstance: number;
      physics: FleetPhysics;
      halfLifeMinutes: number;
      baselineTargetUtilization: number;
    },
    plannerFor: (point: OperatingPoint) => ScalingPolicy,
  ) {
    this.decay = 2 ** (-1 / o.halfLifeMinutes);
    const make = (point: OperatingPoint | 'baseline', policy: ScalingPolicy): Shadow => ({
      score: { point, breachMinutes: 0, instanceMinutes: 0 },
      policy,
      sim: new FleetSimulation({
        start: o.start,
        capacityPerInstance: o.capacityPerInstance,
        physics: o.physics,
      }),
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
        const m = s.sim.step(observed, s.policy);
        s.score.breachMinutes = s.score.breachMinutes * this.decay + (m.breach ? 1 : 0);
        s.score.instanceMinutes = s.score.instanceMinutes * this.decay + m.inService + m.warming;
      }
    }
  }

  /**
   * The fewest (weighted) breach minutes among the points within the budget; on a tie, the more
   * generous, since the recent past had no surprise the next hour may bring. When no point fits
   * the budget, the cheapest.
   */
  choose(budgetRatio: number): ShadowChoice {
    const [baseline, ...points] = this.shadows.map((s) => s.score);
    const budget = baseline.instanceMinutes * budgetRatio;
    const affordable = points.filter((p) => p.instanceMinutes <= budget);
    const best = affordable.length
      ? affordable.sort(
          (a, b) =>
            Math.round(a.breachMinutes) - Math.round(b.breachMinutes) ||
            b.instanceMinutes - a.instanceMinutes,
        )[0]
      : [...points].sort((a, b) => a.instanceMinutes - b.instanceMinutes)[0];
    return {
      chosen: best.point as OperatingPoint,
      budget,
      scores: this.shadows.map((s) => ({ ...s.score })),
    };
  }
}
