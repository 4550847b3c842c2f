import { z } from 'zod';

const Counts = z.record(z.string(), z.number().int().min(0));

const DemandPeaks = z.object({
  p10: z.number(),
  p50: z.number(),
  p90: z.number(),
  quantile: z.number(),
  sumOfP90: z.number(),
});

export const PlanCheckSchema = z.object({
  passed: z.boolean(),
  warmupMinutes: z.number(),
  breachUtilization: z.number(),
  scenarios: z.array(
    z.object({
      scenario: z.string(),
      quantile: z.number(),
      minutes: z.number(),
      breachMinutes: z.number(),
      unservedPct: z.number(),
      peakUtilization: z.number(),
      minHeadroomPct: z.number(),
    }),
  ),
});

/** What became of applying a plan to one member's Auto Scaling group. */
export const PlanApplicationSchema = z.object({
  twinId: z.string(),
  at: z.string(),
  /** The plan hour applied (ISO 8601). */
  hour: z.string(),
  action: z.enum(['applied', 'none', 'recorded-only']),
  weights: z.array(z.object({ instanceType: z.string(), weightedCapacity: z.number().int() })),
  desired: z.number().int().min(0),
  from: z.number().int().optional(),
  boundBy: z.enum(['max-step', 'min', 'max']).optional(),
  message: z.string(),
});
export type PlanApplication = z.infer<typeof PlanApplicationSchema>;

/** A catalog type as a plan uses it (catalog.ts `PlannedType`). */
export const PlannedTypeSchema = z.object({
  name: z.string(),
  pricePerHour: z.number(),
  relativeCapacity: z.number(),
  relativeCapacitySource: z.enum(['declared', 'measured', 'vcpu']),
  /** Where the value came from, in words; plans stored before measurement have none. */
  relativeCapacityFrom: z.string().optional(),
  /** The fleet's measurement (measured-capacity.ts), also when a declaration won over it. */
  measured: z
    .object({
      relativeCapacity: z.number(),
      twins: z.array(z.string()),
      families: z.array(z.string()),
      against: z.array(z.string()),
    })
    .optional(),
  maxCount: z.number().optional(),
});

/**
 * A tenant group's capacity plan for a day: a recommendation, stored so the dashboard and the
 * apply route read the latest. Capacities are in reference instances (groups/group-forecast.ts).
 */
export const CapacityPlanRecordSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/),
  at: z.iso.datetime(),
  tenant: z.string(),
  /** `recommended` when the simulator's check passed; `failed-check` otherwise (see `check`). */
  status: z.enum(['recommended', 'failed-check']),
  quantile: z.number(),
  targetUtilization: z.number(),
  firstHour: z.string(),
  unit: z.literal('reference-instances'),
  currency: z.string(),
  referenceType: z.string(),
  types: z.array(PlannedTypeSchema),
  hours: z.array(
    z.object({
      hour: z.string(),
      demand: DemandPeaks,
      required: z.number(),
      counts: Counts,
      capacity: z.number(),
      cost: z.number(),
    }),
  ),
  /** Each member's own requirement per hour (its quantile peak ÷ target utilization), for apply. */
  members: z.array(
    z.object({
      twinId: z.string(),
      capacityPerInstance: z.number(),
      model: z.string(),
      required: z.array(z.number()),
    }),
  ),
  skipped: z.array(z.object({ twinId: z.string(), reason: z.string() })),
  correlation: z.object({
    method: z.enum(['estimated', 'assumed-perfect']),
    points: z.number(),
    twins: z.array(z.string()),
    matrix: z.array(z.array(z.number())),
  }),
  cost: z.number(),
  shares: z.record(z.string(), z.number()),
  singleType: z.object({ type: z.string(), cost: z.number() }).nullable(),
  search: z.object({ evaluations: z.number(), generations: z.number(), seed: z.number() }),
  check: PlanCheckSchema,
  applications: z.array(PlanApplicationSchema).default([]),
});
export type CapacityPlanRecord = z.infer<typeof CapacityPlanRecordSchema>;
