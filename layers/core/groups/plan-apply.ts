import type { MixRequest } from '../act/mixed-instances.js';
import type { InstanceWeight } from '../act/scaling-target.js';
import { HOUR_MS } from '../series/grid.js';
import type { Twin } from '../twin/twin.js';
import type { CapacityPlanRecord } from './plan-record.js';

/** A plan that cannot be applied as asked (expired, failed its check, a twin not in it, a twin the loop scales). */
export class PlanApplyError extends Error {
  override readonly name = 'PlanApplyError';
}

// WeightedCapacity: a whole number from 1 to 999 (EC2 Auto Scaling's limit)
const MAX_WEIGHT = 999;

/**
 * What a plan asks of one member's group at `now`: the plan's types (those it uses in any hour)
 * as overrides weighted by relative capacity, the smallest counting 1, and the member's own
 * requirement in the plan hour holding `now` (before the first hour: the first, applied ahead of
 * it) in those units. The group's allocation strategy then picks instances; the weights tell it
 * how much each counts.
 */
export function mixForTwin(
  plan: CapacityPlanRecord,
  twin: Pick<Twin, 'id' | 'target' | 'policy'>,
  now: number,
): { hour: string; request: MixRequest } {
  if (plan.status !== 'recommended')
    throw new PlanApplyError(
      `plan ${plan.id} failed the simulator's check: make a new one (a lower target utilization) before applying`,
    );
  if (twin.policy.mode === 'forecast-and-scale')
    throw new PlanApplyError(
      `twin "${twin.id}" is in forecast-and-scale mode: its loop sets the group's desired capacity every cycle and would undo a plan; ` +
        'set its mode to forecast-only (PUT /twins/{id}/policy) to let a capacity plan size it',
    );
  const member = plan.members.find((m) => m.twinId === twin.id);
  if (!member)
    throw new PlanApplyError(
      `twin "${twin.id}" has no part in plan ${plan.id} (it was skipped or joined later)`,
    );
  const first = Date.parse(plan.firstHour);
  const h = Math.max(0, Math.floor((now - first) / HOUR_MS));
  if (h >= plan.hours.length)
    throw new PlanApplyError(
      `plan ${plan.id} ended at ${new Date(first + plan.hours.length * HOUR_MS).toISOString()}: make a new one`,
    );
  const used = plan.types.filter((t) => plan.hours.some((x) => (x.counts[t.name] ?? 0) > 0));
  const types = used.length
    ? used
    : [...plan.types]
        .sort((a, b) => a.pricePerHour / a.relativeCapacity - b.pricePerHour / b.relativeCapacity)
        .slice(0, 1);
  const unit = Math.min(...types.map((t) => t.relativeCapacity));
  const weights: InstanceWeight[] = types.map((t) => ({
    instanceType: t.name,
    weightedCapacity: Math.max(1, Math.min(MAX_WEIGHT, Math.round(t.relativeCapacity / unit))),
  }));
  return {
    hour: plan.hours[h].hour,
    request: {
      twinId: twin.id,
      target: twin.target,
      weights,
      desired: Math.ceil(member.required[h] / unit - 1e-9),
      maxStep: twin.policy.maxStep,
      ...(twin.policy.minInstances !== undefined ? { minInstances: twin.policy.minInstances } : {}),
      ...(twin.policy.maxInstances !== undefined ? { maxInstances: twin.policy.maxInstances } : {}),
    },
  };
}
