import { z } from 'zod';
import { ScalingTargetRefSchema, TwinIdSchema } from '../twin/twin.js';

/**
 * A scaling target as the actuator sees it. For an Auto Scaling group `capacity` is the desired
 * capacity; for an ECS service it is the scalable target's minimum, the floor under the service's
 * own target tracking.
 */
export interface TargetState {
  capacity: number;
  /** Instances or tasks running now (for an ECS service above its floor, more than `capacity`). */
  running: number;
  /** The target's own bounds. */
  min: number;
  max: number;
  /** Tagged `twinscale:managed=true`: the only resources Twinscale may change. */
  managed: boolean;
  /**
   * The instance types it runs or may launch (an Auto Scaling group's instances and its
   * mixed-instances overrides), sorted; absent when not known (an ECS service, a group with no
   * instances whose types live only in its launch template or configuration).
   */
  instanceTypes?: string[];
  /** Its tags, key to value, when they were read (compliance rules on required tags read these). */
  tags?: Record<string, string>;
  /**
   * An Auto Scaling group with a mixed-instances policy: its overrides' types and weights (absent:
   * not such a group). With weights, `capacity`, `min` and `max` count weight units, not instances.
   */
  mixedInstances?: InstanceWeight[];
}

/** A mixed-instances override: the type, and how many units of capacity one instance counts for. */
export interface InstanceWeight {
  instanceType: string;
  /** WeightedCapacity, 1–999; absent: 1. */
  weightedCapacity?: number;
}

/** The port: EC2 Auto Scaling and ECS / Application Auto Scaling in AWS, simulated fleets locally. */
export interface ScalingTarget {
  describe(ref: ScalingTargetRef): Promise<TargetState>;
  setCapacity(ref: ScalingTargetRef, capacity: number): Promise<void>;
  /**
   * Replaces a mixed-instances group's overrides with these types and weights and sets its desired
   * capacity (in weight units) in one call. Absent: the target cannot (ECS, or an adapter without it).
   */
  setMixedInstances?(
    ref: ScalingTargetRef,
    weights: readonly InstanceWeight[],
    desired: number,
  ): Promise<void>;
}

export type ScalingTargetRef = z.infer<typeof ScalingTargetRefSchema>;

export const MANAGED_TAG = { key: 'twinscale:managed', value: 'true' } as const;

/** Whether a resource's tags put it under Twinscale (the tag key is a deployment setting). */
export const isManaged = (
  tags: readonly { key?: string; value?: string }[],
  tagKey: string = MANAGED_TAG.key,
) => tags.some((t) => t.key === tagKey && t.value === MANAGED_TAG.value);

export class NotManagedError extends Error {
  override readonly name = 'NotManagedError';
  constructor(ref: ScalingTargetRef, tagKey: string = MANAGED_TAG.key) {
    super(
      `${describeRef(ref)} is not tagged ${tagKey}=${MANAGED_TAG.value}: ` +
        'Twinscale changes only resources carrying that tag; add it to let the twin scale it',
    );
  }
}

/** The policy's bounds and the target's own leave no capacity allowed: one of them must change. */
export class BoundsConflictError extends Error {
  override readonly name = 'BoundsConflictError';
  constructor(ref: ScalingTargetRef, lo: number, hi: number) {
    super(
      `${describeRef(ref)}: the lower bound ${lo} is above the upper bound ${hi} ` +
        '(the larger of its own minimum and the policy’s minInstances, the smaller of its maximum and maxInstances): ' +
        'lower the policy’s minInstances or raise the target’s maximum',
    );
  }
}

export class TargetNotFoundError extends Error {
  override readonly name = 'TargetNotFoundError';
  constructor(ref: ScalingTargetRef, what = 'does not exist (or is not visible with these credentials)') {
    super(`${describeRef(ref)} ${what}`);
  }
}

export const describeRef = (ref: ScalingTargetRef): string =>
  ref.kind === 'asg'
    ? `Auto Scaling group "${ref.autoScalingGroupName}"`
    : `ECS service "${ref.service}" in cluster "${ref.cluster}"`;

/** What the planner hands the actuator for one twin. */
export const ActuationRequestSchema = z.object({
  twinId: TwinIdSchema,
  /** Idempotency: the same decision id never acts twice. */
  decisionId: z.string().min(1),
  target: ScalingTargetRefSchema,
  desired: z.number().int().min(0),
  maxStep: z.number().int().positive(),
  minInstances: z.number().int().min(0).optional(),
  maxInstances: z.number().int().positive().optional(),
});
export type ActuationRequest = z.infer<typeof ActuationRequestSchema>;
