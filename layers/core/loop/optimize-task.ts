import type { TwinStore } from '../store/twin-store.js';
import { type OptimizeRequest, runOptimization } from './optimize-run.js';
import { asked, type StoredResult, storeResult } from './stored-result.js';
import { twinDemand } from './twin-replay.js';

/** Searches the twin's policy settings on its recent days and stores the result as an optimization record. */
export async function optimizeTask(
  store: TwinStore,
  request: OptimizeRequest,
  started: { name: string; now: number },
  progress?: (done: number, total: number) => void,
): Promise<StoredResult> {
  const execution = asked(request, started);
  const input = await twinDemand(store, request.twinId, request.days, execution.now);
  const result = runOptimization(input, request.budgetRatio, progress);
  const recordId = await storeResult(
    store,
    'optimization',
    request,
    request.optimizationId,
    execution,
    result,
  );
  return {
    twinId: request.twinId,
    recordId,
    summary: {
      best: result.best.settings,
      breachMinutes: result.best.scores.breachMinutes,
      instanceHours: result.best.scores.instanceHours,
      baselineBreachMinutes: result.baseline.scores.breachMinutes,
      baselineInstanceHours: result.baseline.scores.instanceHours,
    },
  };
}
