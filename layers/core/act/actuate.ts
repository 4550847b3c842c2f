import type { Controls } from '../store/twin-store.js';
import {
  type ActuationRequest,
  BoundsConflictError,
  NotManagedError,
  type ScalingTarget,
  type TargetState,
} from './scaling-target.js';

export interface ActuationResult {
  /** `recorded-only`: the kill switch was on; nothing was called. */
  action: 'scaled' | 'none' | 'recorded-only';
  from?: number;
  to?: number;
  /** The limit that changed the planned number, if one did. */
  boundBy?: 'max-step' | 'min' | 'max';
  message: string;
}

export interface ActuationPorts {
  target: ScalingTarget & { tagKey?: string };
  /** Read on every call: the kill switch must stop an actuation already under way. */
  controls: () => Promise<Controls>;
}

/**
 * Sets one target's capacity to a decision, within the safety rules the planner already kept
 * (checked again here, against the target as it is now): the target's own bounds and the
 * policy's, the max step from the current capacity, the managed tag, the kill switch.
 */
export async function actuate(req: ActuationRequest, p: ActuationPorts): Promise<ActuationResult> {
  const controls = await p.controls();
  if (controls.actuationPaused) return pausedResult(controls);
  const state = await p.target.describe(req.target);
  if (!state.managed) throw new NotManagedError(req.target, p.target.tagKey);
  const { to, boundBy } = clampToSafety(req, state);
  const from = state.capacity;
  // No undefined fields: the idempotency store keeps this result as a DynamoDB item.
  const bound = boundBy ? { boundBy } : {};
  if (to === from) return { action: 'none', from, to, ...bound, message: `already at ${to}` };
  await p.target.setCapacity(req.target, to);
  return { action: 'scaled', from, to, ...bound, message: `${from} → ${to}` };
}

/**
 * What `actuate` would answer without changing anything, when that is already known from the
 * target as the planner read it: the kill switch is on, or the target is managed and already
 * where the decision would put it. Most cycles hold capacity, and this spares them the
 * actuator's call and its two idempotency writes. Anything else (a change, a refusal, a
 * conflict of bounds) is undefined: the actuator decides, against the target as it is then.
 */
export function outcomeWithoutActing(
  req: ActuationRequest,
  state: TargetState,
  controls: Controls,
): ActuationResult | undefined {
  if (controls.actuationPaused) return pausedResult(controls);
  if (!state.managed) return undefined;
  const lo = Math.max(state.min, req.minInstances ?? 0);
  const hi = Math.min(state.max, req.maxInstances ?? Number.POSITIVE_INFINITY);
  if (lo > hi) return undefined;
  const { to, boundBy } = clampToSafety(req, state);
  if (to !== state.capacity) return undefined;
  return { action: 'none', from: to, to, ...(boundBy ? { boundBy } : {}), message: `already at ${to}` };
}

const pausedResult = (controls: Controls): ActuationResult => ({
  action: 'recorded-only',
  message: `kill switch on${controls.reason ? ` (${controls.reason})` : ''}: capacity left as it is`,
});

/**
 * The decision within the max step of the current capacity, then within both sets of bounds
 * (bounds win over the step: a fleet below its minimum goes to the minimum at once).
 */
export function clampToSafety(
  req: ActuationRequest,
  state: TargetState,
): { to: number; boundBy?: ActuationResult['boundBy'] } {
  const lo = Math.max(state.min, req.minInstances ?? 0);
  const hi = Math.min(state.max, req.maxInstances ?? Number.POSITIVE_INFINITY);
  if (lo > hi) throw new BoundsConflictError(req.target, lo, hi);
  // a NaN desired capacity (a broken plan, a bad request) holds the fleet where it is: a NaN
  // compares false with everything, so it would pass every check below untouched
  let to = Number.isNaN(req.desired) ? state.capacity : req.desired;
  let boundBy: ActuationResult['boundBy'];
  if (Math.abs(to - state.capacity) > req.maxStep) {
    to = state.capacity + Math.sign(to - state.capacity) * req.maxStep;
    boundBy = 'max-step';
  }
  // whole instances: a fraction rounds up (still within the step from a whole capacity); no -0
  to = Math.ceil(to) + 0;
  if (to < lo) return { to: lo, boundBy: 'min' };
  if (to > hi) return { to: hi, boundBy: 'max' };
  return { to, boundBy };
}
