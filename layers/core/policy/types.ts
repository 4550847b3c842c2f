import type { FleetPhysics } from '../simulate/physics.js';

/** What a policy may see when it decides the desired capacity for minute `minute`. */
export interface PolicyView {
  /** The minute being decided, counted from the first minute of `observed`. */
  readonly minute: number;
  /** Per-minute demand observed so far: minutes 0 … minute − lag, nothing later. */
  readonly observed: Float64Array;
  /** In-service instances at an earlier minute, or undefined before the fleet existed. */
  inServiceAt(minute: number): number | undefined;
  /** The fleet now, before this decision (after any failure at this minute). */
  readonly inService: number;
  readonly warming: number;
  /** The previous decision, undefined for the first one. */
  readonly previousDesired: number | undefined;
  /** Demand one instance serves per minute at 100 % utilization. */
  readonly capacityPerInstance: number;
  readonly physics: FleetPhysics;
}

/** Why a decision is what it is: the inputs, and which rule set the final number. */
export interface DecisionReason {
  /** The rule that set the final value: the forecast plan or the guardrail that bound it. */
  boundBy: 'plan' | 'reactive-floor' | 'stabilization' | 'max-step' | 'min-instances' | 'max-instances';
  /** Capacity the forecast asked for before the guardrails. */
  planned?: number;
  /** Demand per minute the plan provisioned for (the forecast quantile's peak over the window). */
  forecastPeak?: number;
  quantile?: number;
  /** Minutes from the decision covered by the plan, [from, to). */
  window?: [number, number];
  reactiveFloor?: number;
  lastObservedDemand?: number;
  targetUtilization?: number;
  model?: string;
  /** Set when the capacity per instance was not the twin's own (a family prior's): where it came from. */
  capacityFrom?: string;
}

export interface Decision {
  desired: number;
  reason?: DecisionReason;
}

/** A scaling policy, called once per minute in order. */
export interface ScalingPolicy {
  readonly name: string;
  decide(view: PolicyView): Decision;
}
