import { z } from 'zod';

/**
 * What a scenario changes in a replay: instance failures (a count, or a zone's fraction), demand
 * transforms (surge, ramp, flash crowd), warm-up changes and metric outages. Minutes count from
 * the start of the simulated window; every list may hold several entries, and they combine.
 */
export const InstanceFailureSchema = z
  .object({
    kind: z
      .enum(['instances', 'zone-loss'])
      .optional()
      .describe('optional label: instances (give count) or zone-loss (give fraction)'),
    atMinute: z.number().int().min(0),
    count: z.number().int().positive().optional().describe('instances lost'),
    fraction: z
      .number()
      .gt(0)
      .max(1)
      .optional()
      .describe('share of the instances in service lost (a zone of three is 1/3)'),
  })
  .strict()
  .superRefine((f, ctx) => {
    if ((f.count === undefined) === (f.fraction === undefined))
      ctx.addIssue({ code: 'custom', message: 'give exactly one of count or fraction', path: ['count'] });
    else if (f.kind === 'zone-loss' && f.fraction === undefined)
      ctx.addIssue({
        code: 'custom',
        message: 'a zone-loss takes a fraction, not a count',
        path: ['fraction'],
      });
    else if (f.kind === 'instances' && f.count === undefined)
      ctx.addIssue({
        code: 'custom',
        message: 'an instances failure takes a count, not a fraction',
        path: ['count'],
      });
  });
export type InstanceFailure = z.infer<typeof InstanceFailureSchema>;

const windowShape = {
  fromMinute: z.number().int().min(0),
  toMinute: z.number().int().min(1).describe('exclusive'),
};

/** Multipliers up to this: a thousandfold surge is already past any fleet's bounds. */
const MAX_FACTOR = 1000;

export const DemandTransformSchema = z
  .discriminatedUnion('kind', [
    z
      .object({
        kind: z.literal('surge'),
        ...windowShape,
        factor: z.number().min(0).max(MAX_FACTOR).describe('demand inside the window is multiplied by this'),
      })
      .strict(),
    z
      .object({
        kind: z.literal('ramp'),
        ...windowShape,
        toFactor: z
          .number()
          .min(0)
          .max(MAX_FACTOR)
          .describe('the multiplier grows linearly from 1 to this over the window, then stays'),
      })
      .strict(),
    z
      .object({
        kind: z.literal('flash-crowd'),
        atMinute: z.number().int().min(0).describe('the spike starts here'),
        peak: z
          .number()
          .min(1)
          .max(MAX_FACTOR)
          .describe('demand is multiplied by this at the top of the spike'),
        riseMinutes: z
          .number()
          .int()
          .min(0)
          .max(1440)
          .default(5)
          .describe('the multiplier climbs linearly from 1 to peak over these minutes (0: at once)'),
        decayMinutes: z
          .number()
          .int()
          .min(1)
          .max(7 * 1440)
          .default(60)
          .describe('then falls back to 1 over these minutes'),
        decay: z
          .enum(['exponential', 'linear'])
          .default('exponential')
          .describe(
            'exponential: the excess falls as e^(−3x), rescaled to reach 0 at the end; linear: a straight line',
          ),
      })
      .strict(),
  ])
  .superRefine((t, ctx) => {
    if (t.kind !== 'flash-crowd' && t.toMinute <= t.fromMinute)
      ctx.addIssue({ code: 'custom', message: 'toMinute must be after fromMinute', path: ['toMinute'] });
  });
export type DemandTransform = z.infer<typeof DemandTransformSchema>;

export const WarmupChangeSchema = z
  .object({
    atMinute: z.number().int().min(0),
    warmupMinutes: z.number().int().min(0).max(240).describe('for instances launched from atMinute on'),
  })
  .strict();
export type WarmupChange = z.infer<typeof WarmupChangeSchema>;

/**
 * The load metric stops arriving for a while (a CloudWatch or collector outage): a decision
 * inside [fromMinute, toMinute) sees only what it saw just before fromMinute; from toMinute on,
 * the missed minutes are there again (late data arrives), and the fleet itself is untouched.
 */
export const MetricOutageSchema = z
  .object(windowShape)
  .strict()
  .refine((o) => o.toMinute > o.fromMinute, {
    message: 'toMinute must be after fromMinute',
    path: ['toMinute'],
  });
export type MetricOutage = z.infer<typeof MetricOutageSchema>;

/** Entries per list: far more than a scenario needs, few enough that a replay stays cheap. */
const MAX_ENTRIES = 50;

/** Unknown fields are refused, so a misspelt one (`facter`, `outages`) is not silently ignored. */
export const WhatIfSchema = z
  .object({
    failures: z
      .array(InstanceFailureSchema)
      .max(MAX_ENTRIES)
      .default([])
      .describe('instances lost at a minute: a count, or a fraction (a zone)'),
    demand: z
      .array(DemandTransformSchema)
      .max(MAX_ENTRIES)
      .default([])
      .describe('surges, ramps and flash crowds, applied in order'),
    warmupChanges: z
      .array(WarmupChangeSchema)
      .max(MAX_ENTRIES)
      .default([])
      .describe('a slower (or faster) warm-up from a minute on'),
    metricOutages: z
      .array(MetricOutageSchema)
      .max(MAX_ENTRIES)
      .default([])
      .describe('windows in which the policies see no new load data'),
  })
  .strict();
export type WhatIf = z.infer<typeof WhatIfSchema>;

/** Every minute a what-if names, with where (`failures.0.atMinute`), to check it against a window. */
export function whatIfMinutes(w: Partial<WhatIf>): { path: (string | number)[]; minute: number }[] {
  const out: { path: (string | number)[]; minute: number }[] = [];
  for (const [i, f] of (w.failures ?? []).entries())
    out.push({ path: ['failures', i, 'atMinute'], minute: f.atMinute });
  for (const [i, d] of (w.demand ?? []).entries())
    out.push(
      d.kind === 'flash-crowd'
        ? { path: ['demand', i, 'atMinute'], minute: d.atMinute }
        : { path: ['demand', i, 'fromMinute'], minute: d.fromMinute },
    );
  for (const [i, c] of (w.warmupChanges ?? []).entries())
    out.push({ path: ['warmupChanges', i, 'atMinute'], minute: c.atMinute });
  for (const [i, o] of (w.metricOutages ?? []).entries())
    out.push({ path: ['metricOutages', i, 'fromMinute'], minute: o.fromMinute });
  return out;
}

/** e^(−3) : an exponential decay is rescaled by it so that it reaches exactly 0 at its end. */
const E3 = Math.exp(-3);

/**
 * A flash crowd's multiplier `m` minutes after it starts: a linear climb from 1 to `peak` over
 * `riseMinutes`, then the excess over 1 decays to 0 over `decayMinutes` — linearly, or as
 * e^(−3x) (x the share of the decay elapsed) rescaled to (e^(−3x) − e^(−3)) / (1 − e^(−3)), which
 * has shed two thirds of the excess a third of the way in and ends at 0 without a step.
 */
export function flashCrowdMultiplier(
  f: Pick<
    Extract<DemandTransform, { kind: 'flash-crowd' }>,
    'peak' | 'riseMinutes' | 'decayMinutes' | 'decay'
  >,
  m: number,
): number {
  if (m < 0) return 1;
  const excess = f.peak - 1;
  if (m < f.riseMinutes) return 1 + excess * (m / f.riseMinutes);
  const x = (m - f.riseMinutes) / f.decayMinutes;
  if (x >= 1) return 1;
  const left = f.decay === 'linear' ? 1 - x : (Math.exp(-3 * x) - E3) / (1 - E3);
  return 1 + excess * left;
}

/** Demand after the transforms, applied in order (a new array; the input is untouched). */
export function transformDemand(demand: Float64Array, transforms: readonly DemandTransform[]): Float64Array {
  const out = Float64Array.from(demand);
  for (const tr of transforms) {
    if (tr.kind === 'flash-crowd') {
      const end = Math.min(out.length, tr.atMinute + tr.riseMinutes + tr.decayMinutes);
      for (let m = tr.atMinute; m < end; m++) out[m] *= flashCrowdMultiplier(tr, m - tr.atMinute);
      continue;
    }
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

/** Outages merged where they touch or overlap, in order: a decision is frozen until the last one ends. */
export function mergeOutages(outages: readonly MetricOutage[]): MetricOutage[] {
  const sorted = [...outages].sort((a, b) => a.fromMinute - b.fromMinute);
  const out: MetricOutage[] = [];
  for (const o of sorted) {
    const last = out[out.length - 1];
    if (last && o.fromMinute <= last.toMinute) last.toMinute = Math.max(last.toMinute, o.toMinute);
    else out.push({ fromMinute: o.fromMinute, toMinute: o.toMinute });
  }
  return out;
}
