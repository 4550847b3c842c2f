import { DynamoTwinStore } from '../../../layers/aws/dynamo/dynamo-twin-store.js';
import type { OptimizationResult } from '../../../layers/core/loop/optimize-run.js';
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
    const l = await import('../../../functions/list-due-twins/handler.js');
    scenario = new LocalStateMachine('scenario', { ScenarioFunctionArn: lambdaTask('scenario', s.handler) });
    optimize = new LocalStateMachine('optimize', {
      OptimizeFunctionArn: lambdaTask('optimize', o.handler),
      ListDueTwinsFunctionArn: lambdaTask('list-due-twins', l.handler),
    });
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

  test('an optimization searches the policy on the train day, checks the winner on the day after, and stores both', async () => {
    const request = { twinId: 'web', trainDays: 1, validationDays: 1, population: 8, generations: 4 };
    const out = (await optimize.run(request, { context })) as {
      recordId: string;
      summary: { feasible: boolean; evaluations: number };
    };
    expect(out.recordId).toBe('exec-1');
    expect(out.summary.feasible).toBe(true);
    const [stored] = (await store.listRecords('web', 'optimization')).items;
    const result = stored.result as unknown as OptimizationResult;
    expect(result.windows).toEqual({
      trainDays: 1,
      validationDays: 1,
      trainFrom: new Date(START + 6 * 1440 * MIN).toISOString(),
      validationFrom: new Date(START + 7 * 1440 * MIN).toISOString(),
      to: context.Execution.StartTime,
    });
    // the twin's policy as it is (the defaults) is what the winner is compared with
    expect(result.current.settings).toEqual({
      quantile: 0.9,
      targetUtilization: 0.6,
      headroom: 0,
      stabilizationMinutes: 15,
      maxStep: 10,
    });
    // the budget: the twin's current policy's breach minutes on the train day
    expect(result.breachBudgetMinutes).toBe(result.current.train.breachMinutes);
    expect(result.best.train.breachMinutes).toBeLessThanOrEqual(result.breachBudgetMinutes);
    expect(result.best.train.instanceHours).toBeLessThanOrEqual(result.current.train.instanceHours);
    expect([result.best.validation?.minutes, result.current.validation?.minutes]).toEqual([1440, 1440]);
    expect(result.paretoFront.length).toBeGreaterThan(0);
    expect([result.seed, result.evaluations]).toEqual([1, out.summary.evaluations]);
  });

  test('bad input fails the execution with a message naming the field', async () => {
    await expect(scenario.run({ twinId: 'Web!', days: 0 }, { context })).rejects.toThrow(/twinId[\s\S]*days/);
    await expect(optimize.run({ twinId: 'ghost' }, { context })).rejects.toThrow(
      'twin "ghost" does not exist',
    );
  });
});
