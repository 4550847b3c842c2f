import { z } from 'zod';
import type { Controls } from '../store/twin-store.js';
import { ScalingTargetRefSchema, TwinIdSchema } from '../twin/twin.js';
import { clampToSafety } from './actuate.js';
import {
  describeRef,
  type InstanceWeight,
  NotManagedError,
  type ScalingTarget,
  type ScalingTargetRef,
} from './scaling-target.js';

/** A capacity plan's hour for one Auto Scaling group: the types and weights, and the desired capacity in weight units. */
export const MixRequestSchema = z.object({
  twinId: TwinIdSchema,
  target: ScalingTargetRefSchema,
  weights: z
    .array(
      z.object({
        instanceType: z.string().min(1),
        weightedCapacity: z.number().int().min(1).max(999).optional(),
      }),
    )
    .min(1)
    .max(40),
  desired: z.number().int().min(0),
  maxStep: z.number().int().positive(),
  minInstances: z.number().int().min(0).optional(),
  maxInstances: z.number().int().positive().optional(),
});
export type MixRequest = z.infer<typeof MixRequestSchema>;

export const MixResultSchema = z.object({
  /** `recorded-only`: the kill switch was on; nothing was called. */
  action: z.enum(['applied', 'none', 'recorded-only']),
  from: z.number().optional(),
  to: z.number().optional(),
  boundBy: z.enum(['max-step', 'min', 'max']).optional(),
  message: z.string(),
});
export type MixResult = z.infer<typeof MixResultSchema>;

/**
 * The actuator's answer to a mix request from another function (the API, which holds no scaling
 * rights): the result, or the refusal the route reports per twin (its error's name and message).
 */
export const MixAnswerSchema = z.union([
  z.object({ result: MixResultSchema }),
  z.object({ refused: z.object({ name: z.string(), message: z.string() }) }),
]);
export type MixAnswer = z.infer<typeof MixAnswerSchema>;

/** A refusal the actuator answered for a mix request made from another function (the API). */
export class MixRefusedError extends Error {
  override readonly name = 'MixRefusedError';
}

/** Refusals a mix request may meet: answered, not failed, so the caller can tell the twin why. */
export const isMixRefusal = (e: unknown): e is Error =>
  e instanceof NotMixedInstancesError || e instanceof NotManagedError || e instanceof MixRefusedError;

/** A mix applied, as the actuator answers another function: the result, or the refusal; faults still throw. */
export async function mixAnswer(apply: () => Promise<MixResult>): Promise<MixAnswer> {
  try {
    return { result: await apply() };
  } catch (e) {
    if (!isMixRefusal(e)) throw e;
    return { refused: { name: e.name, message: e.message } };
  }
}

/** Weights apply only to an Auto Scaling group with a mixed-instances policy. */
export class NotMixedInstancesError extends Error {
  override readonly name = 'NotMixedInstancesError';
  constructor(ref: ScalingTargetRef) {
    super(
      `${describeRef(ref)} has no mixed-instances policy: instance-type weights apply only to an Auto Scaling group ` +
        'launching from a launch template with overrides; give it one, or size it by its own twin',
    );
  }
}

/**
 * Sets a mixed-instances group's type weights and desired capacity, within the same safety rules
 * as every actuation (actuate.ts): the kill switch, the managed tag, the target's and the
 * policy's bounds and the max step from the current capacity (in weight units: when the weights
 * change, units before and after are compared as they are, an approximation the bounds still cap).
 */
export async function applyMix(
  req: MixRequest,
  p: { target: ScalingTarget & { tagKey?: string }; controls: () => Promise<Controls> },
): Promise<MixResult> {
  const controls = await p.controls();
  if (controls.actuationPaused)
    return {
      action: 'recorded-only',
      message: `kill switch on${controls.reason ? ` (${controls.reason})` : ''}: weights and capacity left as they are`,
    };
  if (req.target.kind !== 'asg') throw new NotMixedInstancesError(req.target);
  const state = await p.target.describe(req.target);
  if (!state.managed) throw new NotManagedError(req.target, p.target.tagKey);
  if (!state.mixedInstances || !p.target.setMixedInstances) throw new NotMixedInstancesError(req.target);
  const { to, boundBy } = clampToSafety({ ...req, decisionId: `mix-${req.twinId}` }, state);
  const bound = boundBy ? { boundBy } : {};
  const from = state.capacity;
  if (to === from && sameWeights(state.mixedInstances, req.weights))
    return { action: 'none', from, to, ...bound, message: `already at ${to} with these weights` };
  await p.target.setMixedInstances(req.target, req.weights, to);
  const w = req.weights.map((x) => `${x.instanceType}×${x.weightedCapacity ?? 1}`).join(', ');
  return { action: 'applied', from, to, ...bound, message: `${from} → ${to} units (${w})` };
}

const sameWeights = (a: readonly InstanceWeight[], b: readonly InstanceWeight[]) => {
  const key = (ws: readonly InstanceWeight[]) =>
    ws
      .map((w) => `${w.instanceType}=${w.weightedCapacity ?? 1}`)
      .sort()
      .join(',');
  return key(a) === key(b);
};
