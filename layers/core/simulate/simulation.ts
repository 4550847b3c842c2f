import type { DecisionReason, PolicyView, ScalingPolicy } from '../policy/types.js';
import { Fleet } from './fleet.js';
import { BREACH_EPS, type FleetPhysics } from './physics.js';
import { type InstanceFailure, type MetricOutage, mergeOutages, type WarmupChange } from './what-if.js';

export interface SimulationOptions {
  /** First simulated minute of the demand array; earlier minutes are history only. */
  start: number;
  /** Demand one instance serves per minute at 100 % utilization. */
  capacityPerInstance: number;
  physics: FleetPhysics;
  failures?: readonly InstanceFailure[];
  warmupChanges?: readonly WarmupChange[];
  /** Windows in which the policy's observed demand stops growing (see MetricOutageSchema). */
  metricOutages?: readonly MetricOutage[];
}

/** One simulated minute. */
export interface MinuteOutcome {
  desired: number;
  inService: number;
  warming: number;
  utilization: number;
  breach: boolean;
  unserved: number;
  reason: DecisionReason | undefined;
}

// In-service history kept for policies that look back (target tracking reads 15 minutes).
const HISTORY = 1440;

/**
 * A simulated fleet advanced one minute at a time by a policy. Each step needs the demand of
 * the minute it simulates; the policy sees only up to that minute minus the observation lag.
 * Batch replays and the twin's shadow fleets (which follow live demand) both run on it.
 */
export class FleetSimulation {
  /** The next minute to simulate, an index into the demand array. */
  next: number;
  private fleet: Fleet | undefined;
  private previousDesired: number | undefined;
  private readonly inServiceRing = new Int32Array(HISTORY);
  private readonly failures = new Map<number, InstanceFailure[]>();
  private readonly warmups: Map<number, number>;
  private readonly outages: MetricOutage[];
  private readonly view;

  constructor(private readonly o: SimulationOptions) {
    if (!(o.capacityPerInstance > 0))
      throw new RangeError(`capacityPerInstance must be positive, got ${o.capacityPerInstance}`);
    this.next = o.start;
    for (const f of o.failures ?? [])
      this.failures.set(f.atMinute, [...(this.failures.get(f.atMinute) ?? []), f]);
    this.warmups = new Map((o.warmupChanges ?? []).map((w) => [w.atMinute, w.warmupMinutes]));
    this.outages = mergeOutages(o.metricOutages ?? []);
    const sim = this;
    this.view = {
      minute: 0,
      observed: new Float64Array(0) as Float64Array,
      inServiceAt(m: number): number | undefined {
        if (m < o.start || m >= sim.next || sim.next - m > HISTORY) return undefined;
        return sim.inServiceRing[m % HISTORY];
      },
      inService: 0,
      warming: 0,
      previousDesired: undefined as number | undefined,
      capacityPerInstance: o.capacityPerInstance,
      physics: o.physics,
    };
  }

  /** Simulates minute `next` (demand must reach it) and moves on. */
  step(demand: Float64Array, policy: ScalingPolicy): MinuteOutcome {
    const t = this.next;
    if (t >= demand.length) throw new RangeError(`minute ${t} has no demand yet (${demand.length} minutes)`);
    const { physics, capacityPerInstance: k } = this.o;
    const i = t - this.o.start;
    const warmup = this.warmups.get(i);
    if (this.fleet && warmup !== undefined) this.fleet.setWarmup(warmup);
    for (const f of this.failures.get(i) ?? []) {
      if (!this.fleet) break;
      this.fleet.fail(i, f.count ?? Math.round((f.fraction ?? 0) * this.fleet.state(i).inService));
    }
    const now = this.fleet?.state(i) ?? { inService: 0, warming: 0 };
    const v = this.view;
    v.minute = t;
    v.observed = demand.subarray(0, Math.max(0, this.seenUpTo(t, i)));
    v.inService = now.inService;
    v.warming = now.warming;
    v.previousDesired = this.previousDesired;
    const decision = policy.decide(v as PolicyView);
    const x = decision.desired;
    const desired = Math.min(
      physics.maxInstances,
      Math.max(physics.minInstances, Math.trunc(Number.isFinite(x) ? x : 0)),
    );
    if (!this.fleet) this.fleet = new Fleet(desired, warmup ?? physics.warmupMinutes);
    else this.fleet.scaleTo(i, desired);
    this.previousDesired = desired;
    const { inService, warming } = this.fleet.state(i);
    this.inServiceRing[t % HISTORY] = inService;
    this.next = t + 1;
    const d = demand[t];
    const utilization = inService > 0 ? d / (k * inService) : d > 0 ? Number.POSITIVE_INFINITY : 0;
    return {
      desired,
      inService,
      warming,
      utilization,
      breach: inService > 0 ? utilization > physics.breachUtilization + BREACH_EPS : d > 0,
      unserved: Math.max(0, d - k * inService),
      reason: decision.reason,
    };
  }

  /**
   * How many minutes of demand the decision at minute t (window minute i) sees: up to t − lag,
   * or, inside a metric outage, what the decision just before the outage saw.
   */
  private seenUpTo(t: number, i: number): number {
    const lag = this.o.physics.observationLagMinutes;
    for (const out of this.outages) {
      if (i < out.fromMinute) break;
      if (i < out.toMinute) return this.o.start + out.fromMinute - lag;
    }
    return t - lag + 1;
  }
}
