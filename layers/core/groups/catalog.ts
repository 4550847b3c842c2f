import { z } from 'zod';
import type { RelativeCapacityMeasurement } from './measured-capacity.js';

/**
 * A twin tag naming the instance type a member runs: priced for the group's cost (absent: the
 * reference type), and the type its fitted capacity model measures (absent: it measures none).
 */
export const INSTANCE_TYPE_TAG = 'twinscale:instance-type';

/**
 * One instance type a capacity plan may use. `relativeCapacity` is the load it serves relative
 * to the catalog's reference type (the type the twins' capacity models were measured on): declared
 * (a benchmark), or, when left out, measured on the fleet's own twins where twins of one family run
 * on this type and the reference or a declared type (measured-capacity.ts), else assumed in proportion to vCPUs; the
 * plan and GET /catalog say which.
 */
export const InstanceTypeSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9-]+\.[a-z0-9-]+$/, 'name: an EC2 instance type such as m7g.large'),
    vCPU: z.number().int().positive().max(1024),
    memoryGiB: z.number().positive().max(32_768),
    /** On-demand price per hour, in the catalog's currency. */
    pricePerHour: z.number().positive().max(1000),
    relativeCapacity: z.number().positive().max(1000).optional(),
    /** At most this many of the type in any hour (a quota, a capacity reservation); absent: no limit. */
    maxCount: z.number().int().min(0).max(100_000).optional(),
  })
  .strict();
export type InstanceType = z.infer<typeof InstanceTypeSchema>;

export const InstanceCatalogSchema = z
  .object({
    /** The type a relative capacity of 1 stands for: the twins' capacity models are measured on it. */
    referenceType: z.string().min(1),
    currency: z.string().min(1).max(8).default('USD'),
    types: z.array(InstanceTypeSchema).min(1).max(40),
    note: z.string().max(500).optional(),
    updatedAt: z.string().optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const names = c.types.map((t) => t.name);
    if (new Set(names).size !== names.length)
      ctx.addIssue({ code: 'custom', message: 'types: each name once', path: ['types'] });
    if (!names.includes(c.referenceType))
      ctx.addIssue({
        code: 'custom',
        message: `referenceType: "${c.referenceType}" must be one of the types (${names.join(', ')})`,
        path: ['referenceType'],
      });
  });
export type InstanceCatalog = z.infer<typeof InstanceCatalogSchema>;
export type InstanceCatalogInput = z.input<typeof InstanceCatalogSchema>;

/**
 * Example list prices: Linux on-demand in us-east-1 as published by AWS (mid-2025). Check your
 * region and discounts (Savings Plans, Spot) and PUT /catalog with your own. Relative capacity is
 * declared per vCPU within a generation, the 7th-generation Graviton 3 types ~15 % ahead of the
 * Graviton 2 m6g (AWS's own figure for general compute; measure yours: see the README).
 */
export const DEFAULT_CATALOG: InstanceCatalog = InstanceCatalogSchema.parse({
  referenceType: 'm7g.large',
  currency: 'USD',
  note: 'example list prices (us-east-1, Linux on-demand); replace with your own',
  types: [
    { name: 'm6g.large', vCPU: 2, memoryGiB: 8, pricePerHour: 0.077, relativeCapacity: 0.87 },
    { name: 'm6g.xlarge', vCPU: 4, memoryGiB: 16, pricePerHour: 0.154, relativeCapacity: 1.74 },
    { name: 'm7g.large', vCPU: 2, memoryGiB: 8, pricePerHour: 0.0816, relativeCapacity: 1 },
    { name: 'm7g.xlarge', vCPU: 4, memoryGiB: 16, pricePerHour: 0.1632, relativeCapacity: 2 },
    { name: 'c7g.large', vCPU: 2, memoryGiB: 4, pricePerHour: 0.0725, relativeCapacity: 1 },
    { name: 'c7g.xlarge', vCPU: 4, memoryGiB: 8, pricePerHour: 0.145, relativeCapacity: 2 },
    { name: 'r7g.large', vCPU: 2, memoryGiB: 16, pricePerHour: 0.1071, relativeCapacity: 1 },
    { name: 'r7g.xlarge', vCPU: 4, memoryGiB: 32, pricePerHour: 0.2142, relativeCapacity: 2 },
  ],
});

/** A catalog type with its relative capacity settled: declared, measured, or assumed from vCPUs. */
export interface PlannedType {
  name: string;
  pricePerHour: number;
  relativeCapacity: number;
  relativeCapacitySource: 'declared' | 'measured' | 'vcpu';
  /** Where the value came from, for people: `declared`, `measured (2 twins in family web, against c7g.large)`, `vCPU (…)`. */
  relativeCapacityFrom: string;
  /** What the fleet measured, also when a declaration wins over it. */
  measured?: RelativeCapacityMeasurement;
  maxCount?: number;
}

/**
 * The catalog's types with every relative capacity known: declared wins; else the fleet's
 * measurement (`measured`, from measureRelativeCapacities); else vCPUs over the reference's (the
 * reference counting as its declared value, or 1).
 */
export function plannedTypes(
  catalog: InstanceCatalog,
  measured: ReadonlyMap<string, RelativeCapacityMeasurement> = new Map(),
): PlannedType[] {
  const ref = catalog.types.find((t) => t.name === catalog.referenceType) ?? catalog.types[0];
  const refCapacity = ref.relativeCapacity ?? 1;
  return catalog.types.map((t) => {
    const m = measured.get(t.name);
    const settled: Pick<PlannedType, 'relativeCapacity' | 'relativeCapacitySource' | 'relativeCapacityFrom'> =
      t.relativeCapacity !== undefined
        ? {
            relativeCapacity: t.relativeCapacity,
            relativeCapacitySource: 'declared',
            relativeCapacityFrom: 'declared',
          }
        : m
          ? {
              relativeCapacity: m.relativeCapacity,
              relativeCapacitySource: 'measured',
              relativeCapacityFrom: measuredFrom(m),
            }
          : {
              relativeCapacity: (refCapacity * t.vCPU) / ref.vCPU,
              relativeCapacitySource: 'vcpu',
              relativeCapacityFrom:
                t.name === ref.name
                  ? 'vCPU (the reference type)'
                  : `vCPU (${t.vCPU} against ${ref.vCPU} on ${ref.name})`,
            };
    return {
      name: t.name,
      pricePerHour: t.pricePerHour,
      ...settled,
      ...(m ? { measured: m } : {}),
      ...(t.maxCount !== undefined ? { maxCount: t.maxCount } : {}),
    };
  });
}

const measuredFrom = (m: RelativeCapacityMeasurement): string =>
  `measured (${m.twins.length} twins in ${m.families.length === 1 ? 'family' : 'families'} ${m.families.join(', ')}, ` +
  `against ${m.against.join(', ')})`;
