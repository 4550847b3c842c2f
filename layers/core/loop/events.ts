import { z } from 'zod';
import { ActuationRequestSchema } from '../act/scaling-target.js';
import { DecisionRecordSchema } from '../store/records.js';
import { TwinIdSchema } from '../twin/twin.js';

/**
 * The payloads the forecast-and-plan state machine passes between its Lambda tasks
 * (statemachines/forecast-and-plan.asl.json). Each task parses its input with these.
 */

const Instant = z.iso.datetime({ offset: true });

/**
 * The first task's input: the execution's start time, and the execution's input, where the
 * schedule puts its scheduled time (`now`) so that a rerun decides the same slot.
 */
export const ListDueEventSchema = z
  .object({
    now: Instant.optional(),
    input: z.object({ now: Instant.optional() }).passthrough().default({}),
  })
  .default({ input: {} });

export const scheduledTime = (e: z.infer<typeof ListDueEventSchema>): number | undefined => {
  const at = e.input.now ?? e.now;
  return at ? Date.parse(at) : undefined;
};

/**
 * A batch of twins as it travels through the state machine: a range of ids in the store's order
 * and how many twins were due in it. Ranges, not ids: 10,000 twins are 200 ranges of a few
 * hundred bytes, far below Step Functions' 256 KB payload limit, which their ids would not be.
 */
export const TwinBatchSchema = z.object({
  first: TwinIdSchema,
  last: TwinIdSchema,
  count: z.number().int().min(0),
});
export type TwinBatch = z.infer<typeof TwinBatchSchema>;

export const ListDueResultSchema = z.object({
  now: z.iso.datetime(),
  batches: z.array(TwinBatchSchema),
});
export type ListDueResult = z.infer<typeof ListDueResultSchema>;

/** One Distributed Map child: its batch, and the slot being decided (the Map's ItemSelector). */
export const PlanBatchEventSchema = z.object({
  now: z.iso.datetime(),
  twins: TwinBatchSchema,
});
export type PlanBatchEvent = z.infer<typeof PlanBatchEventSchema>;

/** A decision waiting for its actuation; recorded once the actuator knows what it did. */
export const PendingActuationSchema = z.object({
  request: ActuationRequestSchema,
  record: DecisionRecordSchema.omit({ action: true, result: true }),
});
export type PendingActuation = z.infer<typeof PendingActuationSchema>;

export const PlanBatchResultSchema = z.object({
  /** Twins with a load metric found in the batch's range (the state machine's count of the batch). */
  twins: z.number().int(),
  planned: z.number().int(),
  failed: z.number().int(),
  actuations: z.array(PendingActuationSchema),
});
export type PlanBatchResult = z.infer<typeof PlanBatchResultSchema>;

export const ActuateEventSchema = z.object({ actuations: z.array(PendingActuationSchema) });

export const ActuateResultSchema = z.object({
  scaled: z.number().int(),
  unchanged: z.number().int(),
  recordedOnly: z.number().int(),
  failed: z.number().int(),
});
export type ActuateResult = z.infer<typeof ActuateResultSchema>;

/** A batch whose task failed after its retries: Step Functions' Catch output beside the batch. */
export const RecordFailureEventSchema = PlanBatchEventSchema.extend({
  error: z.object({ Error: z.string(), Cause: z.string().optional() }),
  /** Present when actuation failed: the decisions that were being carried out. */
  plan: z.object({ actuations: z.array(PendingActuationSchema) }).optional(),
});
export type RecordFailureEvent = z.infer<typeof RecordFailureEventSchema>;
