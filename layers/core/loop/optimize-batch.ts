import { z } from 'zod';
import { PlanInputError } from '../policy/live-plan.js';
import type { TwinStore } from '../store/twin-store.js';
import { PlanBatchEventSchema } from './events.js';
import { dueTwinsOf } from './list-due.js';
import { OptimizeRequestSchema } from './optimize-run.js';
import { optimizeTask } from './optimize-task.js';
import type { StoredResult } from './stored-result.js';

/** One child of the scheduled optimization's Distributed Map: a range of twins, and the run's time. */
export const OptimizeBatchEventSchema = z.object({
  batch: PlanBatchEventSchema,
  execution: z.object({ name: z.string().min(1), startTime: z.iso.datetime({ offset: true }) }),
});
export type OptimizeBatchEvent = z.infer<typeof OptimizeBatchEventSchema>;

export interface OptimizeBatchResult {
  twins: number;
  optimized: number;
  /** Optimized by an earlier attempt of this run (a retried child does not redo them). */
  alreadyDone: number;
  /** Twins that cannot be optimized yet (no capacity model, too little history): `onTwin` hears why. */
  skipped: number;
}

/** The scheduled run's record id on every twin: one per run, so a retry finds what it already did. */
export const scheduledOptimizationId = (now: string) => `scheduled-${now}`;

/**
 * Optimizes each twin of a range in turn, on the days before the run's time, storing each result
 * as an optimization record. Twins not ready to be simulated are skipped (counted; `onTwin` hears
 * why: the output stays small at any number of twins); anything else fails the child, whose retry
 * skips the twins already done.
 */
export async function optimizeBatch(
  store: TwinStore,
  e: OptimizeBatchEvent,
  onTwin: (twinId: string, done: StoredResult | { skipped: string }) => void = () => {},
): Promise<OptimizeBatchResult> {
  const { now } = e.batch;
  const id = scheduledOptimizationId(now);
  const result: OptimizeBatchResult = { twins: 0, optimized: 0, alreadyDone: 0, skipped: 0 };
  for (const twin of await dueTwinsOf(store, e.batch.twins)) {
    result.twins++;
    if (await store.getRecord(twin.id, 'optimization', now, id)) {
      result.alreadyDone++;
      continue;
    }
    try {
      const done = await optimizeTask(
        store,
        OptimizeRequestSchema.parse({ twinId: twin.id, optimizationId: id, requestedAt: now }),
        { name: e.execution.name, now: Date.parse(now) },
      );
      result.optimized++;
      onTwin(twin.id, done);
    } catch (err) {
      if (!(err instanceof PlanInputError)) throw err;
      result.skipped++;
      onTwin(twin.id, { skipped: err.message });
    }
  }
  return result;
}
