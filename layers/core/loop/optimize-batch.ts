import { z } from 'zod';
import { PlanInputError } from '../policy/live-plan.js';
import { TwinConflictError, type TwinStore } from '../store/twin-store.js';
import type { ShadowPolicy } from '../twin/twin.js';
import { PlanBatchEventSchema } from './events.js';
import { dueTwinsOf } from './list-due.js';
import { OptimizeRequestSchema } from './optimize-run.js';
import { optimizeTask } from './optimize-task.js';
import type { StoredResult } from './stored-result.js';
import { TransientError } from './transient-error.js';
import { WEEKLY_SHADOW_ID, withWeeklyCandidate } from './weekly-candidate.js';

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
  /** Twins whose search failed otherwise (a bug, bad data): counted, logged, the others go on. */
  failed: number;
  /** Twins whose search beat the live policy on the held-out days: the result now runs in shadow. */
  proposed: number;
}

/** The scheduled run's record id on every twin: one per run, so a retry finds what it already did. */
export const scheduledOptimizationId = (now: string) => `scheduled-${now}`;

/** What the batch needs besides the store: which errors are worth retrying the child for, and a listener. */
export interface OptimizeBatchPorts {
  /** Throttling and timeouts: they fail the child, whose retry resumes after the twins done. */
  isTransient: (e: unknown) => boolean;
  onTwin?: (twinId: string, outcome: StoredResult | { skipped: string } | { failed: string }) => void;
}

/**
 * Optimizes each twin of a range in turn, on the days before the run's time, storing each result
 * as an optimization record, and proposes in shadow each result that beat the live policy. Twins
 * not ready to be simulated are skipped and any other twin's error is counted as failed (`onTwin`
 * hears why; the output stays small at any number of twins); a transient error fails the child,
 * whose retry skips the twins whose record is stored and proposes any result not yet proposed.
 */
export async function optimizeBatch(
  store: TwinStore,
  e: OptimizeBatchEvent,
  p: OptimizeBatchPorts,
): Promise<OptimizeBatchResult> {
  const { now } = e.batch;
  const id = scheduledOptimizationId(now);
  const result: OptimizeBatchResult = {
    twins: 0,
    optimized: 0,
    alreadyDone: 0,
    skipped: 0,
    failed: 0,
    proposed: 0,
  };
  for (const twin of await dueTwinsOf(store, e.batch.twins)) {
    result.twins++;
    try {
      let record = await store.getRecord(twin.id, 'optimization', now, id);
      if (record) result.alreadyDone++;
      else {
        const done = await optimizeTask(
          store,
          OptimizeRequestSchema.parse({ twinId: twin.id, optimizationId: id, requestedAt: now }),
          { name: e.execution.name, now: Date.parse(now) },
        );
        result.optimized++;
        p.onTwin?.(twin.id, done);
        record = await store.getRecord(twin.id, 'optimization', now, id);
      }
      if (record && (await proposeInShadow(store, twin.id, record.result as unknown as SearchOutcome, now)))
        result.proposed++;
    } catch (err) {
      if (p.isTransient(err)) throw new TransientError(err);
      const message = (err as Error)?.message ?? String(err);
      if (err instanceof PlanInputError) result.skipped++;
      else result.failed++;
      p.onTwin?.(twin.id, err instanceof PlanInputError ? { skipped: message } : { failed: message });
    }
  }
  return result;
}

/** The parts of a stored optimization result a proposal reads. */
interface SearchOutcome {
  feasible?: boolean;
  best?: { settings: ShadowPolicy; validation?: { instanceHours: number; breachMinutes: number } };
  current?: { validation?: { instanceHours: number; breachMinutes: number } };
}

/**
 * Puts the search's result in shadow when it kept to its budget on the train days and beat the
 * live policy on the held-out days; true if this call proposed it (a retry finding it already
 * proposed for this run says false).
 */
async function proposeInShadow(
  store: TwinStore,
  twinId: string,
  found: SearchOutcome,
  at: string,
): Promise<boolean> {
  const validation = found.best?.validation;
  const currentValidation = found.current?.validation;
  if (!found.feasible || !found.best || !validation || !currentValidation) return false;
  for (let attempt = 0; attempt < 3; attempt++) {
    const twin = await store.getTwin(twinId);
    if (!twin) return false;
    if (twin.shadows.some((x) => x.id === WEEKLY_SHADOW_ID && x.addedAt === at)) return false;
    const shadows = withWeeklyCandidate(
      twin,
      { settings: found.best.settings, validation, currentValidation },
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
