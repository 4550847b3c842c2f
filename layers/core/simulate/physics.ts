import { z } from 'zod';

/**
 * The rules a simulated fleet obeys. The defaults are the benchmark protocol's
 * (shared/bench/PROTOCOL.md, "Scaling track"); a twin sets its own from its service.
 */
export const FleetPhysicsSchema = z
  .object({
    warmupMinutes: z
      .number()
      .int()
      .min(0)
      .max(240)
      .default(5)
      .describe('an instance launched at minute t serves from t + warmupMinutes'),
    minInstances: z.number().int().min(0).max(100_000).default(1),
    maxInstances: z.number().int().min(1).max(100_000).default(400),
    breachUtilization: z
      .number()
      .positive()
      .max(10)
      .default(0.9)
      .describe('a minute whose utilization is above this is a breach'),
    observationLagMinutes: z
      .number()
      .int()
      .min(0)
      .max(60)
      .default(2)
      .describe('a decision at minute t sees demand up to t − lag'),
  })
  .refine((p) => p.minInstances <= p.maxInstances, {
    message: 'minInstances must not exceed maxInstances',
    path: ['minInstances'],
  });
export type FleetPhysics = z.infer<typeof FleetPhysicsSchema>;

export const DEFAULT_PHYSICS: FleetPhysics = FleetPhysicsSchema.parse({});

/** Utilization above this counts as a breach even with float noise (the referee's tolerance). */
export const BREACH_EPS = 1e-9;

/** Instances that serve `demand` at `utilization` of capacity k: rounded up, float noise forgiven. */
export const instancesFor = (demand: number, k: number, utilization: number): number =>
  Math.ceil(demand / (k * utilization) - BREACH_EPS);
