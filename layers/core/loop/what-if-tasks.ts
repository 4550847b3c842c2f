import type { RecordOf } from '../store/records.js';
import type { TwinStore } from '../store/twin-store.js';
import { type OptimizeRequest, runOptimization } from './optimize-run.js';
import { runScenario, type ScenarioRequest, twinDemand } from './twin-replay.js';

/** What both workflows return: where the full result was stored, and its headline. */
export interface StoredResult {
  twinId: string;
  recordId: string;
  summary: Record<string, unknown>;
}

/** The time a request is about: when it was asked for, or else when its execution started. */
const asked = (request: { requestedAt?: string }, execution: { name: string; now: number }) => ({
  ...execution,
  now: request.requestedAt ? Date.parse(request.requestedAt) : execution.now,
});

/** Runs a scenario on the twin and stores it as a scenario record (once per id: a retry stores it once). */
export async function scenarioTask(
  store: TwinStore,
  request: ScenarioRequest,
  started: { name: string; now: number },
): Promise<StoredResult> {
  const execution = asked(request, started);
  const input = await twinDemand(store, request.twinId, request.days, execution.now);
  const result = runScenario(input, request.whatIf);
  const recordId = await storeResult(store, 'scenario', request, request.scenarioId, execution, result);
  const breaches = (o: typeof result.asItWas) =>
    Object.fromEntries(o.map((p) => [p.policy, p.scores.breachMinutes]));
  return {
    twinId: request.twinId,
    recordId,
    summary: { breachMinutesAsItWas: breaches(result.asItWas), breachMinutesWhatIf: breaches(result.whatIf) },
  };
}

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

/** Stores a workflow's result under the id asked for, or the execution's name; returns the id. */
async function storeResult(
  store: TwinStore,
  kind: 'scenario' | 'optimization',
  request: { twinId: string },
  id: string | undefined,
  execution: { name: string; now: number },
  result: object,
): Promise<string> {
  const recordId = id ?? execution.name;
  const record = { id: recordId, at: new Date(execution.now).toISOString(), input: request, result };
  await store.putRecord(request.twinId, kind, record as RecordOf<typeof kind>);
  return recordId;
}
