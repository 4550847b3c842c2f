import type { TwinStore } from '../store/twin-store.js';
import { asked, type StoredResult, storeResult } from './stored-result.js';
import { runScenario, type ScenarioRequest, twinDemand, withForecast } from './twin-replay.js';

/** Runs a scenario on the twin and stores it as a scenario record (once per id: a retry stores it once). */
export async function scenarioTask(
  store: TwinStore,
  request: ScenarioRequest,
  started: { name: string; now: number },
): Promise<StoredResult> {
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
