import { z } from 'zod';

/** A twin's id appears in keys and URLs: short, lowercase, no separators the store uses. */
export const TwinIdSchema = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,127}$/,
    'twin id: 1–128 characters, lowercase letters, digits and dashes, starting with a letter or digit',
  );

/** A metric's key within its twin (`cpu`, `requests`): it names the stored series. */
export const MetricKeySchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,63}$/, 'metric key: lowercase letters, digits and _, starting with a letter');

/** One CloudWatch metric the collector reads for a twin. */
export const MetricQuerySchema = z.object({
  key: MetricKeySchema,
  /** `load` metrics are what the planner forecasts; `utilization` ones teach the capacity model. */
  role: z.enum(['load', 'utilization']),
  namespace: z.string().min(1),
  metricName: z.string().min(1),
  dimensions: z
    .array(z.object({ name: z.string().min(1), value: z.string().min(1) }))
    .max(30)
    .default([]),
  stat: z.string().min(1).default('Average'),
  /** One-minute data at most: a day of it fits one chunk item with room to spare. */
  periodSeconds: z.number().int().min(60).multipleOf(60).default(60),
});
export type MetricQuery = z.infer<typeof MetricQuerySchema>;

export const ScalingTargetRefSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('asg'), autoScalingGroupName: z.string().min(1) }),
  z.object({ kind: z.literal('ecs'), cluster: z.string().min(1), service: z.string().min(1) }),
]);
export type ScalingTargetRef = z.infer<typeof ScalingTargetRefSchema>;

export const TwinModeSchema = z.enum(['forecast-only', 'forecast-and-scale']);
export type TwinMode = z.infer<typeof TwinModeSchema>;

export const TwinPolicyConfigSchema = z
  .object({
    /** A new twin records decisions without acting until someone turns scaling on. */
    mode: TwinModeSchema.default('forecast-only'),
    targetUtilization: z.number().gt(0).max(1).default(0.6),
    minInstances: z.number().int().min(0).optional(),
    maxInstances: z.number().int().positive().optional(),
    maxStep: z.number().int().positive().default(10),
    /** Forecast quantile of peak demand the plan provisions for. */
    quantile: z.number().min(0.5).max(0.995).default(0.9),
    /** Extra share of the forecast peak provisioned for (0.2: plan for 120 % of it). */
    headroom: z.number().min(0).max(2).default(0),
    /** Scale in only after every decision in this window asked for less. */
    stabilizationMinutes: z.number().int().min(0).max(1440).default(15),
    /** Minutes from launch until a new instance serves (EC2 boot, ECS task start and health checks). */
    warmupMinutes: z.number().int().min(0).max(120).default(5),
  })
  .refine(
    (p) => p.minInstances === undefined || p.maxInstances === undefined || p.minInstances <= p.maxInstances,
    {
      message: 'minInstances must not exceed maxInstances',
      path: ['minInstances'],
    },
  );
export type TwinPolicyConfig = z.infer<typeof TwinPolicyConfigSchema>;

export const CapacityModelRecordSchema = z.object({
  capacityPerInstance: z.number().positive(),
  low: z.number().nonnegative(),
  high: z.number().positive(),
  fittedAt: z.string(),
});

/** The twins this one calls: load on this one becomes load on them (the dependency graph's edges). */
const DependsOnSchema = z.array(TwinIdSchema).max(50);

/** What a caller gives to create a twin. */
export const TwinInputSchema = z
  .object({
    id: TwinIdSchema,
    target: ScalingTargetRefSchema,
    metrics: z.array(MetricQuerySchema).min(1).max(20),
    policy: TwinPolicyConfigSchema.default(TwinPolicyConfigSchema.parse({})),
    capacityModel: CapacityModelRecordSchema.optional(),
    /** How the twin came to be: registered by hand, or found by tag discovery. */
    source: z.enum(['registered', 'discovered']).default('registered'),
    dependsOn: DependsOnSchema.default([]),
  })
  .refine((t) => new Set(t.metrics.map((m) => m.key)).size === t.metrics.length, {
    message: 'metrics: each key must be unique within the twin',
    path: ['metrics'],
  });
export type TwinInput = z.input<typeof TwinInputSchema>;

/** A stored twin: the input plus the optimistic-locking version and timestamps. */
export const TwinSchema = z.object({
  id: TwinIdSchema,
  target: ScalingTargetRefSchema,
  metrics: z.array(MetricQuerySchema),
  policy: TwinPolicyConfigSchema,
  capacityModel: CapacityModelRecordSchema.optional(),
  source: z.enum(['registered', 'discovered']),
  // twins stored before dependencies existed have none
  dependsOn: DependsOnSchema.default([]),
  version: z.number().int().positive(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Twin = z.infer<typeof TwinSchema>;

/** The parts of a twin an update may change; the id and target are fixed. */
export const TwinPatchSchema = z
  .object({
    metrics: z.array(MetricQuerySchema).min(1).max(20),
    policy: TwinPolicyConfigSchema,
    capacityModel: CapacityModelRecordSchema,
    dependsOn: DependsOnSchema,
  })
  .partial()
  .strict();
export type TwinPatch = z.input<typeof TwinPatchSchema>;
