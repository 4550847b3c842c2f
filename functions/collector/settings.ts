import { z } from 'zod';

/** The collector's configuration, from its environment (set by the CDK stack). */
export const CollectorEnvSchema = z.object({
  TABLE_NAME: z.string().min(3, 'TABLE_NAME: the twin table’s name'),
  RETENTION_DAYS: z.coerce.number().int().min(30).default(35),
  SCHEDULE_MINUTES: z.coerce.number().int().min(1).max(60).default(5),
  OVERLAP_MINUTES: z.coerce.number().int().min(0).max(180).default(10),
  DISCOVERY: z.enum(['true', 'false']).default('true'),
});

/** EventBridge Scheduler's payload; `now` lets a replay or a test fix the clock. */
export const CollectorEventSchema = z.object({ now: z.iso.datetime().optional() }).passthrough().default({});
