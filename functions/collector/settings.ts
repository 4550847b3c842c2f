import { z } from 'zod';
import { TwinModeSchema } from '../../layers/core/twin/twin.js';
import { ManagedTagEnvSchema, TableEnvSchema } from '../shared/wiring.js';

/** The collector's configuration, from its environment (set by the CDK stack). */
// Bounds and defaults live in the domain schemas (CollectorSettingsSchema, the store's settings),
// which check these values when the handler wires them in.
export const CollectorEnvSchema = TableEnvSchema.extend({
  SCHEDULE_MINUTES: z.coerce.number().optional(),
  OVERLAP_MINUTES: z.coerce.number().optional(),
  UTILIZATION_EVERY_MINUTES: z.coerce.number().optional(),
  DISCOVERY: z.enum(['true', 'false']).default('true'),
  /** Mode of newly discovered twins. */
  DEFAULT_MODE: TwinModeSchema.default('forecast-only'),
}).extend(ManagedTagEnvSchema.shape);

/** EventBridge Scheduler's payload; `now` lets a replay or a test fix the clock. */
export const CollectorEventSchema = z.object({ now: z.iso.datetime().optional() }).passthrough().default({});
