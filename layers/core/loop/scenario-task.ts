import { compareStrategies } from '../compliance/strategy-comparison.js';
import type { TwinStore } from '../store/twin-store.js';
import { asked, type StoredResult, storeResult } from './stored-result.js';
import {
  type ComparisonRequest,
  livePolicyOf,
  REMEDIATION_COMPARISON,
  runScenario,
  type ScenarioRequest,
  twinDemand,
  withForecast,
} from './twin-replay.js';

/** Runs a scenario on the twin and stores it as a scenario record (once per id: a retry stores it once). */
export async function scenarioTask(
  store: TwinStore,
  request: ScenarioRequest,
  started: { name: string; now: number },
): Promise<StoredResult> {
  if (request.kind === REMEDIATION_COMPARISON) return comparisonTask(store, request, started);
  const execution = asked(request, started);
  const input = await twinDemand(store, request.twinId, request.days, execution.now);
  const result = runScenario(withForecast(input, request.forecastHours), request);
  const recordId = await storeResult(store, 'scenario', request, request.scenarioId, execution, result);
  const breaches = (o: typeof result.asItWas) =>
    Object.fromEntries(o.map((p) => [p.policy, p.scores.breachMinutes]));
  return {
    twinId: request.twinId,
    recordId,
    summary: {
      breachMinutesAsItWas: breaches(result.asItWas),
      breachMinutesWhatIf: breaches(result.whatIf),
      holds: Object.fromEntries(result.verdicts.map((v) => [v.policy, v.holds])),
    },
  };
}

/** Compares two remediation strategies on the twin's days (and scenarios); stored as a scenario record. */
async function comparisonTask(
  store: TwinStore,
  request: ComparisonRequest,
  started: { name: string; now: number },
): Promise<StoredResult> {
  const execution = asked(request, started);
  const input = await twinDemand(store, request.twinId, request.days, execution.now);
  const { twin } = input;
  const [a, b] = request.strategies;
  const result = compareStrategies({
    ...input,
    metrics: twin.metrics,
    livePolicy: livePolicyOf(twin),
    policy: { maxStep: twin.policy.maxStep, targetUtilization: twin.policy.targetUtilization },
    rule: request.rule,
    strategies: [a, b],
    scenarios: request.scenarios,
    evaluationMinutes: request.evaluationMinutes,
    pricePerInstanceHour: request.pricePerInstanceHour,
  });
  const recordId = await storeResult(store, 'scenario', request, request.comparisonId, execution, result);
  const { A, B, verdict } = result.total;
  return {
    twinId: request.twinId,
    recordId,
    summary: {
      kind: REMEDIATION_COMPARISON,
      violationMinutes: { A: A.violationMinutes, B: B.violationMinutes },
      instanceHours: { A: A.instanceHours, B: B.instanceHours },
      better: verdict.better,
    },
  };
}
