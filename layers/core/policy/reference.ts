import { instancesFor } from '../simulate/physics.js';
import { feasibleOracle, oracleNeed } from '../simulate/replay.js';
import type { Decision, PolicyView, ScalingPolicy } from './types.js';

/**
 * The protocol's reference policies (shared/bench/PROTOCOL.md, "Reference policies"), so every
 * result is reported beside what the reactive default and AWS-style predictive scaling achieve.
 */

export interface TargetTrackingOptions {
  /** Target utilization T of in-service instances. */
  target: number;
  /** Scale out when this many latest observed minutes are all above T. */
  scaleOutMinutes: number;
  /** Scale in when this many latest observed minutes are all below scaleInRatio × T. */
  scaleInMinutes: number;
  scaleInRatio: number;
}

export const TARGET_TRACKING_DEFAULTS: TargetTrackingOptions = {
  target: 0.6,
  scaleOutMinutes: 3,
  scaleInMinutes: 15,
  scaleInRatio: 0.9,
};

/**
 * EC2 Auto Scaling target tracking, emulated: its utilization is observed on its own fleet, and
 * before the replay it assumes the fleet the first observed demand needs at the target.
 */
class TargetTracking {
  private desired: number | undefined;
  private assumedBefore = 0;

  constructor(private readonly o: TargetTrackingOptions) {}

  decide(v: PolicyView): number {
    const { observed: d, capacityPerInstance: k } = v;
    const last = d.length - 1;
    if (last < 0) return this.desired ?? v.physics.minInstances; // nothing observed yet
    const needNow = instancesFor(d[last], k, this.o.target);
    if (this.desired === undefined) {
      this.assumedBefore = needNow;
      this.desired = needNow;
    }
    if (this.allAbove(v, last, this.o.scaleOutMinutes, this.o.target)) {
      this.desired = Math.max(this.desired, needNow);
    } else if (this.allBelow(v, last, this.o.scaleInMinutes, this.o.scaleInRatio * this.o.target)) {
      this.desired = needNow;
    }
    return this.desired;
  }

  // Plain loops, no closures: the simulator calls this every simulated minute.
  private utilization(v: PolicyView, m: number): number {
    return v.observed[m] / (v.capacityPerInstance * (v.inServiceAt(m) ?? this.assumedBefore));
  }

  private allAbove(v: PolicyView, last: number, count: number, threshold: number): boolean {
    if (last - count + 1 < 0) return false;
    for (let m = last; m > last - count; m--) if (!(this.utilization(v, m) > threshold)) return false;
    return true;
  }

  private allBelow(v: PolicyView, last: number, count: number, threshold: number): boolean {
    if (last - count + 1 < 0) return false;
    for (let m = last; m > last - count; m--) if (!(this.utilization(v, m) < threshold)) return false;
    return true;
  }
}

export function targetTrackingPolicy(options: Partial<TargetTrackingOptions> = {}): ScalingPolicy {
  const tt = new TargetTracking({ ...TARGET_TRACKING_DEFAULTS, ...options });
  return { name: 'target-tracking', decide: (v): Decision => ({ desired: tt.decide(v) }) };
}

export interface PredictiveHourlyOptions extends TargetTrackingOptions {
  /** Days of history averaged into an hour's forecast. */
  days: number;
  /** Minutes before the hour at which the floor is set (and from which it holds). */
  leadMinutes: number;
}

/**
 * EC2 Auto Scaling predictive scaling, emulated: hours count from the first decision; the floor
 * for hour [H, H + 60) is set at H − lead from the mean demand of the same hour on each of the
 * last `days` days that exist, and holds from H − lead to H + 60 − lead. Target tracking runs
 * on top, and the fleet gets the larger of the two.
 */
export function predictiveHourlyPolicy(options: Partial<PredictiveHourlyOptions> = {}): ScalingPolicy {
  const o = { ...TARGET_TRACKING_DEFAULTS, days: 7, leadMinutes: 5, ...options };
  const tt = new TargetTracking(o);
  let firstMinute: number | undefined;
  let floorHour = Number.NaN;
  let floor = 0;
  return {
    name: 'predictive-hourly',
    decide(v) {
      firstMinute ??= v.minute;
      const hour = Math.floor((v.minute + o.leadMinutes - firstMinute) / 60);
      if (hour !== floorHour) {
        floorHour = hour;
        floor = hourFloor(v, firstMinute + hour * 60, o);
      }
      return { desired: Math.max(floor, tt.decide(v)) };
    },
  };
}

function hourFloor(v: PolicyView, hourStart: number, o: PredictiveHourlyOptions): number {
  let sum = 0;
  let days = 0;
  for (let day = 1; day <= o.days; day++) {
    const from = hourStart - day * 1440;
    if (from < 0) break;
    let s = 0;
    for (let m = from; m < from + 60; m++) s += v.observed[m];
    sum += s / 60;
    days++;
  }
  return days > 0 ? instancesFor(sum / days, v.capacityPerInstance, o.target) : 0;
}

/**
 * Perfect foresight: the least-cost schedule that never breaches under the warm-up. It reads the
 * future from `demand` (the same array the replay runs on), which no real policy can.
 */
export function oraclePolicy(demand: Float64Array, start: number): ScalingPolicy {
  let schedule: Int32Array | undefined;
  return {
    name: 'oracle',
    decide(v) {
      schedule ??= feasibleOracle(
        oracleNeed(demand.subarray(start), v.capacityPerInstance, v.physics),
        v.physics.warmupMinutes,
      );
      return { desired: schedule[v.minute - start] };
    },
  };
}
