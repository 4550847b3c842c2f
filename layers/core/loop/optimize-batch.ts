import { z } from 'zod';
import { PlanInputError } from '../policy/live-plan.js';
import { TwinConflictError, type TwinStore } from '../store/twin-store.js';
import type { ShadowPolicy } from '../twin/twin.js';
import { PlanBatchEventSchema } from './events.js';
import { dueTwinsOf } from './list-due.js';
import { OptimizeRequestSchema } from './optimize-run.js';
import { optimizeTask } from './optimize-task.js';
import type { StoredResult } from './stored-result.js';
import { withWeeklyCandidate } from './weekly-candidate.js';

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
  /** Twins whose search beat the live policy on the held-out days: the result now runs in shadow. */
  proposed: number;
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
  const result: OptimizeBatchResult = { twins: 0, optimized: 0, alreadyDone: 0, skipped: 0, proposed: 0 };
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
      if (await proposeInShadow(store, twin.id, done, now)) result.proposed++;
      onTwin(twin.id, done);
    } catch (err) {
      if (!(err instanceof PlanInputError)) throw err;
      result.skipped++;
      onTwin(twin.id, { skipped: err.message });
    }
  }
  return result;
}

/** Puts the search's result in shadow when it beat the live policy on the held-out days; true if it did. */
async function proposeInShadow(
  store: TwinStore,
  twinId: string,
  done: StoredResult,
  at: string,
): Promise<boolean> {
  const found = done.summary as {
    best: ShadowPolicy;
    validation?: { instanceHours: number; breachMinutes: number };
    currentValidation?: { instanceHours: number; breachMinutes: number };
  };
  if (!found.validation || !found.currentValidation) return false;
  for (let attempt = 0; attempt < 3; attempt++) {
    const twin = await store.getTwin(twinId);
    if (!twin) return false;
    const shadows = withWeeklyCandidate(
      twin,
      { settings: found.best, validation: found.validation, currentValidation: found.currentValidation },
      at,
    );
    if (!shadows) return false;
    try {
      await store.updateTwin(twinId, twin.version, { shadows });
      return true;
    } catch (e) {
      // the collector refitting the capacity model, or a person editing: read again
      if (!(e instanceof TwinConflictError)) throw e;
    }
  }
  return false;
}
