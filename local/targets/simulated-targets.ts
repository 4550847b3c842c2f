import {
  type InstanceWeight,
  type ScalingTarget,
  type ScalingTargetRef,
  TargetNotFoundError,
  type TargetState,
} from '../../layers/core/act/scaling-target.js';

const keyOf = (ref: ScalingTargetRef) =>
  ref.kind === 'asg' ? `asg/${ref.autoScalingGroupName}` : `ecs/${ref.cluster}/${ref.service}`;

/** Scaling targets held in memory, for the local runtime and the loop benchmark: what the actuator set is what it reads. */
export class SimulatedTargets implements ScalingTarget {
  private readonly targets = new Map<string, TargetState>();
  /** Every capacity change, in order. */
  readonly changes: { ref: ScalingTargetRef; capacity: number }[] = [];

  add(ref: ScalingTargetRef, state: TargetState): void {
    this.targets.set(keyOf(ref), { ...state });
  }

  async describe(ref: ScalingTargetRef): Promise<TargetState> {
    const state = this.targets.get(keyOf(ref));
    if (!state) throw new TargetNotFoundError(ref);
    return { ...state };
  }

  /** Replaces a group's overrides and desired capacity, as UpdateAutoScalingGroup does (a group set up without `mixedInstances` is refused). */
  async setMixedInstances(
    ref: ScalingTargetRef,
    weights: readonly InstanceWeight[],
    desired: number,
  ): Promise<void> {
    const state = this.targets.get(keyOf(ref));
    if (!state) throw new TargetNotFoundError(ref);
    if (!state.mixedInstances) throw new TargetNotFoundError(ref, 'has no mixed-instances policy');
    state.mixedInstances = weights.map((w) => ({ ...w }));
    state.capacity = desired;
    state.running = desired;
    this.changes.push({ ref, capacity: desired });
  }

  async setCapacity(ref: ScalingTargetRef, capacity: number): Promise<void> {
    const state = this.targets.get(keyOf(ref));
    if (!state) throw new TargetNotFoundError(ref);
    state.capacity = capacity;
    state.running = capacity;
    this.changes.push({ ref, capacity });
  }
}
