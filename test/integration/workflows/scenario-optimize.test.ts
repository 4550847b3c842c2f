import { DynamoTwinStore } from '../../../layers/aws/dynamo/dynamo-twin-store.js';
import { CANDIDATE_SETTINGS } from '../../../layers/core/loop/optimize-run.js';
import { requestCountTwin } from '../../../local/fixtures/twins.js';
import { LocalStateMachine, lambdaTask } from '../../../local/workflows/local-state-machine.js';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.js';
import { pointHandlersAt } from '../../support/workflow-env.js';

const MIN = 60_000;
const START = Date.parse('2026-11-15T00:00:00.000Z');
/** Eight days of a daily wave of requests per minute, peaking at 600 in the afternoon. */
const requests = Array.from({ length: 8 * 1440 }, (_, i) => ({
  t: START + i * MIN,
  v: Math.round(350 - 250 * Math.cos((2 * Math.PI * i) / 1440)),
}));

describe('scenario and optimize state machines, run locally with the real handlers (dynalite)', () => {
  let db: LocalDynamo;
  let store: DynamoTwinStore;
  let scenario: LocalStateMachine;
  let optimize: LocalStateMachine;
  const context = {
    Execution: { Name: 'exec-1', StartTime: new Date(START + 8 * 1440 * MIN).toISOString() },
  };

  beforeAll(async () => {
    db = await startDynalite();
    const table = await db.newTable();
    store = new DynamoTwinStore(db.client, { tableName: table });
    pointHandlersAt(db, undefined, table);
    const s = await import('../../../functions/scenario/handler.js');
    const o = await import('../../../functions/optimize/handler.js');
    scenario = new LocalStateMachine('scenario', { ScenarioFunctionArn: lambdaTask('scenario', s.handler) });
    optimize = new LocalStateMachine('optimize', { OptimizeFunctionArn: lambdaTask('optimize', o.handler) });
    await store.createTwin(requestCountTwin('web', 20));
    await store.appendSamples('web', 'requests', requests);
  });

  afterAll(() => db?.stop());

  test('a scenario replays the day as it was and with half the fleet lost at its peak, and stores both', async () => {
    const out = await scenario.run(
      { twinId: 'web', scenarioId: 'zone-loss', whatIf: { failures: [{ atMinute: 720, fraction: 0.5 }] } },
      { context },
    );
    expect(out).toMatchObject({ twinId: 'web', recordId: 'zone-loss' });
    const [stored] = (await store.listRecords('web', 'scenario')).items;
    expect(stored.id).toBe('zone-loss');
    const result = stored.result as {
      asItWas: { policy: string; scores: { breachMinutes: number } }[];
      whatIf: typeof result.asItWas;
    };
    expect(result.asItWas.map((p) => p.policy)).toEqual(['twin', 'target-tracking']);
    for (let i = 0; i < 2; i++)
      expect(result.whatIf[i].scores.breachMinutes).toBeGreaterThan(result.asItWas[i].scores.breachMinutes);
    // each policy's verdict is stored with the result, and the execution's output says which hold
    const { verdicts } = stored.result as { verdicts: { policy: string; holds: boolean }[] };
    expect(verdicts.map((v) => v.policy)).toEqual(['twin', 'target-tracking']);
    expect(out).toMatchObject({
      summary: { holds: Object.fromEntries(verdicts.map((v) => [v.policy, v.holds])) },
    });
  });

  test('an optimization replays every candidate and stores the best within the budget', async () => {
    const out = (await optimize.run({ twinId: 'web', days: 1 }, { context })) as { recordId: string };
    expect(out.recordId).toBe('exec-1');
    const [stored] = (await store.listRecords('web', 'optimization')).items;
    const result = stored.result as {
      candidates: unknown[];
      best: { scores: { instanceHours: number; breachMinutes: number } };
      budgetInstanceHours: number;
      baseline: { scores: { breachMinutes: number } };
    };
    expect(result.candidates).toHaveLength(CANDIDATE_SETTINGS.length);
    expect(result.best.scores.instanceHours).toBeLessThanOrEqual(result.budgetInstanceHours);
    expect(result.best.scores.breachMinutes).toBeLessThanOrEqual(result.baseline.scores.breachMinutes);
  });

  test('bad input fails the execution with a message naming the field', async () => {
    await expect(scenario.run({ twinId: 'Web!', days: 0 }, { context })).rejects.toThrow(/twinId[\s\S]*days/);
    await expect(optimize.run({ twinId: 'ghost' }, { context })).rejects.toThrow(
      'twin "ghost" does not exist',
    );
  });
});
