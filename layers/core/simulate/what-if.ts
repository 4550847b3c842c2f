import { z } from 'zod';

/**
 * What a scenario changes in a replay: instance failures, demand transforms and warm-up changes.
 * Minutes count from the start of the simulated window.
 */
export const InstanceFailureSchema = z
  .object({
    atMinute: z.number().int().min(0),
    count: z.number().int().positive().optional().describe('instances lost'),
    fraction: z
      .number()
      .gt(0)
      .max(1)
      .optional()
      .describe('share of the instances in service lost (a zone of three is 1/3)'),
  })
  .refine((f) => (f.count === undefined) !== (f.fraction === undefined), {
    message: 'give exactly one of count or fraction',
    path: ['count'],
  });
export type InstanceFailure = z.infer<typeof InstanceFailureSchema>;

const windowShape = {
  fromMinute: z.number().int().min(0),
  toMinute: z.number().int().min(1).describe('exclusive'),
};

export const DemandTransformSchema = z
  .discriminatedUnion('kind', [
    z.object({
      kind: z.literal('surge'),
      ...windowShape,
      factor: z.number().min(0).max(1000).describe('demand inside the window is multiplied by this'),
    }),
    z.object({
      kind: z.literal('ramp'),
      ...windowShape,
      toFactor: z
        .number()
        .min(0)
        .max(1000)
        .describe('the multiplier grows linearly from 1 to this over the window, then stays'),
    }),
  ])
  .refine((t) => t.toMinute > t.fromMinute, {
    message: 'toMinute must be after fromMinute',
    path: ['toMinute'],
  });
export type DemandTransform = z.infer<typeof DemandTransformSchema>;

export const WarmupChangeSchema = z.object({
  atMinute: z.number().int().min(0),
  warmupMinutes: z.number().int().min(0).max(240).describe('for instances launched from atMinute on'),
});
export type WarmupChange = z.infer<typeof WarmupChangeSchema>;

export const WhatIfSchema = z.object({
  failures: z.array(InstanceFailureSchema).default([]),
  demand: z.array(DemandTransformSchema).default([]),
  warmupChanges: z.array(WarmupChangeSchema).default([]),
});
export type WhatIf = z.infer<typeof WhatIfSchema>;

/** Demand after the transforms, applied in order (a new array; the input is untouched). */
export function transformDemand(demand: Float64Array, transforms: readonly DemandTransform[]): Float64Array {
  const out = Float64Array.from(demand);
  for (const tr of transforms) {
    const from = Math.min(tr.fromMinute, out.length);
    const to = Math.min(tr.toMinute, out.length);
    if (tr.kind === 'surge') {
      for (let m = from; m < to; m++) out[m] *= tr.factor;
    } else {
      const span = tr.toMinute - tr.fromMinute;
      for (let m = from; m < out.length; m++) {
        const progress = Math.min(1, (m - tr.fromMinute) / span);
        out[m] *= 1 + (tr.toFactor - 1) * progress;
      }
    }
  }
  return out;
}
