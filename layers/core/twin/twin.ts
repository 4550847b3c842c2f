import { z } from 'zod';
import { LoadPriorSchema } from '../forecast/prior.js';

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

/** The policy settings that decide capacity: what a candidate may set differently from the live policy. */
const planning = TwinPolicyConfigSchema.shape;

/**
 * A candidate's settings: a partial policy, merged over the live one each time it is planned (a
 * setting it leaves out follows the live policy, even as that changes). `mode` is the live
 * policy's, and the warm-up is the service's own, so neither is here.
 */
export const ShadowPolicySchema = z
  .object({
    targetUtilization: planning.targetUtilization.unwrap().optional(),
    quantile: planning.quantile.unwrap().optional(),
    headroom: planning.headroom.unwrap().optional(),
    stabilizationMinutes: planning.stabilizationMinutes.unwrap().optional(),
    maxStep: planning.maxStep.unwrap().optional(),
    minInstances: planning.minInstances,
    maxInstances: planning.maxInstances,
  })
  .strict()
  .refine(
    (p) => p.minInstances === undefined || p.maxInstances === undefined || p.minInstances <= p.maxInstances,
    { message: 'minInstances must not exceed maxInstances', path: ['minInstances'] },
  );
export type ShadowPolicy = z.infer<typeof ShadowPolicySchema>;

/**
 * A candidate's id: short, so that `<decision record id>.<shadow id>` stays a valid record id;
 * not `compare`, which is the comparison's path segment beside `/shadows/{shadowId}`.
 */
export const ShadowIdSchema = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,47}$/,
    'shadow id: 1–48 characters, lowercase letters, digits and dashes, starting with a letter or digit',
  )
  .refine((id) => id !== 'compare', 'shadow id: "compare" is reserved (GET /twins/{id}/shadows/compare)');

/** A twin carries at most this many candidates: each costs a record write every planning cycle. */
export const MAX_SHADOWS = 5;

/** A candidate policy planned in shadow beside the live one: recorded every cycle, never actuated. */
export const ShadowSchema = z.object({
  id: ShadowIdSchema,
  policy: ShadowPolicySchema,
  note: z.string().max(500).optional(),
  addedAt: z.iso.datetime(),
  addedBy: z.string().min(1).max(200).optional(),
});
export type Shadow = z.infer<typeof ShadowSchema>;

const ShadowsSchema = z
  .array(ShadowSchema)
  .max(MAX_SHADOWS)
  .refine((list) => new Set(list.map((s) => s.id)).size === list.length, {
    message: 'shadows: each id must be unique within the twin',
  });

/** The policy a candidate plans with: its settings over the live policy's. */
export const shadowPolicyOf = (live: TwinPolicyConfig, shadow: Pick<Shadow, 'policy'>): TwinPolicyConfig => ({
  ...live,
  ...Object.fromEntries(Object.entries(shadow.policy).filter(([, v]) => v !== undefined)),
});

/**
 * The capacity model as the twin stores it: the capacity per instance and its interval, and, when
 * it was fitted from the twin's own metrics (capacity.ts `fitCapacityModel`), the line itself,
 * which lets the loop predict CPU from load and compare (utilization drift). A model set by hand
 * (or none) has no line: for a twin with a utilization metric the loop's hourly check fits one
 * from the last days of load, CPU and fleet and stores it here (twin/capacity-upkeep.ts), and
 * refits a line once it is a week old; until then the utilization drift watch skips the twin.
 */
export const CapacityModelRecordSchema = z.object({
  capacityPerInstance: z.number().positive(),
  low: z.number().nonnegative(),
  high: z.number().positive(),
  fittedAt: z.string(),
  /** CPU % at zero load: the line's intercept. */
  idleUtilization: z.number().optional(),
  /** CPU % per unit of load per instance (per minute): the line's slope. */
  utilizationPerLoad: z.number().positive().optional(),
  /** CPU % where the response flattens; null when the data never bend. */
  kneeUtilization: z.number().nullable().optional(),
  /** The fit's robust residual σ, in CPU %. */
  residualSigma: z.number().nonnegative().optional(),
  /** Share of CPU's variance the fit explains. */
  explained: z.number().optional(),
  /** Samples the fit was made from. */
  points: z.number().int().nonnegative().optional(),
});
export type CapacityModelRecord = z.infer<typeof CapacityModelRecordSchema>;

/**
 * A call this twin makes, with what is known of it: `callRatio` calls to `to` per unit of this
 * twin's load, arriving `lagMinutes` later. What is left out is estimated from the load series.
 */
export const DeclaredEdgeSchema = z
  .object({
    to: TwinIdSchema,
    callRatio: z.number().positive().max(1_000_000).optional(),
    lagMinutes: z.number().int().min(0).max(120).optional(),
  })
  .strict();
export type DeclaredEdge = z.infer<typeof DeclaredEdgeSchema>;

/**
 * The twins this one calls: load on this one becomes load on them (the dependency graph's edges).
 * A plain id is an edge with nothing declared about it (and how twins stored before call ratios
 * wrote it); it is stored as given, so an old twin reads back the same.
 */
const StoredDependsOnSchema = z.array(z.union([TwinIdSchema, DeclaredEdgeSchema])).max(50);

const edgeTarget = (e: string | DeclaredEdge): string => (typeof e === 'string' ? e : e.to);

/** What a caller may declare: each called twin once. */
export const DependsOnSchema = StoredDependsOnSchema.refine(
  (list) => new Set(list.map(edgeTarget)).size === list.length,
  { message: 'dependsOn: each twin may appear once' },
);

/** A twin's declared edges, plain ids read as edges with nothing declared. */
export const declaredEdgesOf = (twin: { dependsOn: readonly (string | DeclaredEdge)[] }): DeclaredEdge[] =>
  twin.dependsOn.map((e) => (typeof e === 'string' ? { to: e } : e));

/**
 * A twin that calls this one: the reverse of the caller's `dependsOn` edge, kept on the called
 * (downstream) twin so that its planner finds its upstreams without reading any other twin's
 * item. Derived, never given: written when the caller's dependencies are put, when either twin is
 * created, and removed when the caller is deleted (layers/core/graph/sync-upstreams.ts).
 * `ratio` is in per-minute demand of this twin per unit of the caller's, arriving `lagMinutes`
 * later. A declared call ratio has confidence 1; otherwise ratio and lag are estimated from the
 * two load series (graph/discover.ts) with the estimator's confidence, or null when there was too
 * little data then (the planner estimates them from the data it reads, each cycle).
 */
export const UpstreamEdgeSchema = z.object({
  from: TwinIdSchema,
  ratio: z.number().positive().nullable(),
  lagMinutes: z.number().min(0).max(120).nullable(),
  confidence: z.number().min(0).max(1),
  source: z.enum(['declared', 'estimated']),
  /** When the edge was last written (ISO 8601). */
  updatedAt: z.string(),
});
export type UpstreamEdge = z.infer<typeof UpstreamEdgeSchema>;

/** Upstreams a twin may carry: each one that the planner reads costs reads every cycle, so it reads only the strongest few. */
export const MAX_UPSTREAMS = 500;

/**
 * A twin's tags, key to value: set when it is created (by hand, or copied from the resource's own
 * tags by discovery) and changed by a patch. Tenant groups read one key (groups/membership.ts,
 * `twinscale:tenant` by default); the same limits as AWS resource tags.
 */
export const TwinTagsSchema = z
  .record(z.string().min(1).max(128), z.string().max(256))
  .refine((t) => Object.keys(t).length <= 50, { message: 'tags: at most 50' });
export type TwinTags = z.infer<typeof TwinTagsSchema>;

/**
 * The family a twin belongs to (issue 10's cold start): twins of one family share the shape of
 * their load (an ECS task definition family, the `twinscale:family` tag, the same deployable unit
 * in another environment). A young twin plans with a prior computed from its family's members
 * (forecast/prior.ts, loop/family-prior.ts).
 */
export const FamilySchema = z
  .string()
  .min(1)
  .max(255)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.:/-]*$/,
    'family: letters, digits and _ . : / -, starting with a letter or digit',
  );

/** The tag that puts a resource (and its twin, through its tags) in a family. */
export const FAMILY_TAG_KEY = 'twinscale:family';

/** A twin's family: its `family` field, else its `twinscale:family` tag. */
export const familyOfTwin = (twin: { family?: string; tags?: Record<string, string> }): string | undefined =>
  twin.family ?? twin.tags?.[FAMILY_TAG_KEY];

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
    /** Candidate policies planned in shadow (usually added later with POST /twins/{id}/shadows). */
    shadows: ShadowsSchema.default([]),
    tags: TwinTagsSchema.optional(),
    /** Its family, for a prior while it is young (absent: its `twinscale:family` tag, if any). */
    family: FamilySchema.optional(),
  })
  .refine((t) => new Set(t.metrics.map((m) => m.key)).size === t.metrics.length, {
    message: 'metrics: each key must be unique within the twin',
    path: ['metrics'],
  });
export type TwinInput = z.input<typeof TwinInputSchema>;

/**
 * Set by the forecast-and-plan loop when the live service drifted from its twin
 * (layers/core/twin/drift-watch.ts): until `widenUntil` the planner widens the forecast band
 * (live-plan.ts), then the loop clears it once the residuals have settled.
 */
const DriftEpisodeSchema = z.object({
  /** When the drift was flagged (ISO 8601). */
  since: z.string(),
  widenUntil: z.string(),
  metric: z.string(),
  direction: z.enum(['up', 'down']),
});
export type DriftEpisode = z.infer<typeof DriftEpisodeSchema>;

/**
 * The top-level fields are the widening the planner applies (its `widenUntil` the latest of the
 * open episodes) and the latest episode flagged. Load and utilization drift are watched apart
 * and may overlap: while more than one metric's episode is open, `episodes` lists each (absent:
 * the top-level one is the only one), so settling one never clears the other's.
 */
export const CalibrationSchema = DriftEpisodeSchema.extend({
  /** The band's half-widths are multiplied by this while widened. */
  bandScale: z.number().min(1).max(10),
  episodes: z.array(DriftEpisodeSchema).min(2).optional(),
});
export type Calibration = z.infer<typeof CalibrationSchema>;

/** A stored twin: the input plus the optimistic-locking version and timestamps. */
export const TwinSchema = z.object({
  id: TwinIdSchema,
  target: ScalingTargetRefSchema,
  metrics: z.array(MetricQuerySchema),
  policy: TwinPolicyConfigSchema,
  capacityModel: CapacityModelRecordSchema.optional(),
  source: z.enum(['registered', 'discovered']),
  // twins stored before dependencies existed have none
  dependsOn: StoredDependsOnSchema.default([]),
  // twins stored before shadow evaluation have no candidates
  shadows: ShadowsSchema.default([]),
  // null once a drift has settled
  calibration: CalibrationSchema.nullish(),
  // derived from the callers' dependsOn; twins stored before propagation have none
  upstreams: z.array(UpstreamEdgeSchema).max(MAX_UPSTREAMS).default([]),
  // twins stored before tenant groups have none
  tags: TwinTagsSchema.optional(),
  family: FamilySchema.optional(),
  /**
   * The family's prior while the twin is young (loop/family-prior.ts keeps it, daily): shape,
   * noise, capacity per instance, when and from which members. Absent: no family, or no member
   * with enough history yet.
   */
  prior: LoadPriorSchema.optional(),
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
    shadows: ShadowsSchema,
    /** Written by the loop's drift watch; null clears it. */
    calibration: CalibrationSchema.nullable(),
    /** Written when a caller's dependencies change (graph/sync-upstreams.ts), never through the API. */
    upstreams: z.array(UpstreamEdgeSchema).max(MAX_UPSTREAMS),
    tags: TwinTagsSchema,
    family: FamilySchema,
    /** Written by the loop (loop/family-prior.ts), never through the API. */
    prior: LoadPriorSchema,
  })
  .partial()
  .strict();
export type TwinPatch = z.input<typeof TwinPatchSchema>;
