import {
  type ScalingTarget,
  type ScalingTargetRef,
  TargetNotFoundError,
} from '../../layers/core/act/scaling-target.js';
import { Fleet } from '../../layers/core/simulate/fleet.js';

const keyOf = (ref: ScalingTargetRef) =>
  ref.kind === 'asg' ? `asg/${ref.autoScalingGroupName}` : `ecs/${ref.cluster}/${ref.service}`;

export interface SimulatedFleetSettings {
  capacity: number;
  min: number;
  max: number;
  warmupMinutes: number;
}

/**
 * Scaling targets backed by the simulator's fleets: capacity set by the actuator launches
 * instances that serve only after their warm-up, as EC2 and ECS do. Minutes are the caller's clock.
 */
export class SimulatedFleets implements ScalingTarget {
  private readonly fleets = new Map<string, { fleet: Fleet; min: number; max: number }>();

  constructor(private readonly minuteNow: () => number) {}

  add(ref: ScalingTargetRef, s: SimulatedFleetSettings): void {
    this.fleets.set(keyOf(ref), { fleet: new Fleet(s.capacity, s.warmupMinutes), min: s.min, max: s.max });
  }

  private get(ref: ScalingTargetRef) {
    const f = this.fleets.get(keyOf(ref));
    if (!f) throw new TargetNotFoundError(ref);
    return f;
  }

  /** Instances in service and warming at a minute. */
  state(ref: ScalingTargetRef, minute = this.minuteNow()) {
    const f = this.get(ref);
    return { capacity: f.fleet.total, ...f.fleet.state(minute) };
  }

  async describe(ref: ScalingTargetRef) {
    const f = this.get(ref);
    const { inService } = f.fleet.state(this.minuteNow());
    return { capacity: f.fleet.total, running: inService, min: f.min, max: f.max, managed: true };
  }

  async setCapacity(ref: ScalingTargetRef, capacity: number): Promise<void> {
    this.get(ref).fleet.scaleTo(this.minuteNow(), capacity);
  }
}
