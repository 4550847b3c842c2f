import type { TwinStore } from '../store/twin-store.js';
import { type OptimizeRequest, optimizeDays, runOptimization } from './optimize-run.js';
import { asked, type StoredResult, storeResult } from './stored-result.js';
import { twinDemand } from './twin-replay.js';

/** Searches the twin's policy settings on its recent days and stores the result as an optimization record. */
export async function optimizeTask(
  store: TwinStore,
  request: OptimizeRequest,
  started: { name: string; now: number },
  progress?: (generation: number, generations: number) => void,
): Promise<StoredResult> {
  const execution = asked(request, started);
  const input = await twinDemand(store, request.twinId, optimizeDays(request), execution.now);
  const result = runOptimization(input, request, progress);
  const recordId = await storeResult(
    store,
    'optimization',
    request,
    request.optimizationId,
    execution,
    result,
  );
  const headline = (s: { instanceHours: number; breachMinutes: number } | undefined) =>
    s && { instanceHours: s.instanceHours, breachMinutes: s.breachMinutes };
  return {
    twinId: request.twinId,
    recordId,
    summary: {
      best: result.best.settings,
      feasible: result.feasible,
      breachBudgetMinutes: result.breachBudgetMinutes,
      train: headline(result.best.train),
      validation: headline(result.best.validation),
      currentTrain: headline(result.current.train),
      currentValidation: headline(result.current.validation),
      generations: result.generations,
      evaluations: result.evaluations,
    },
  };
}
