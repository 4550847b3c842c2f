import { DynamoTwinStore } from '../../../layers/aws/dynamo/dynamo-twin-store.js';
import { optimizeBatch, scheduledOptimizationId } from '../../../layers/core/loop/optimize-batch.js';
import { TransientError } from '../../../layers/core/loop/transient-error.js';
import { beatsOnValidation, WEEKLY_SHADOW_ID } from '../../../layers/core/loop/weekly-candidate.js';

type Scores = { instanceHours: number; breachMinutes: number };

import { requestCountTwin } from '../../../local/fixtures/twins.js';
import { LocalStateMachine, lambdaTask } from '../../../local/workflows/local-state-machine.js';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.js';
import { pointHandlersAt } from '../../support/workflow-env.js';

const MIN = 60_000;
const START = Date.parse('2026-11-12T00:00:00.000Z');
const NOW = '2026-11-22T03:00:00.000Z';
/** Ten days of a daily wave of requests per minute, to the scheduled time. */
const requests = Array.from({ length: (Date.parse(NOW) - START) / MIN }, (_, i) => ({
  t: START + i * MIN,
  v: Math.round(350 - 250 * Math.cos((2 * Math.PI * i) / 1440)),
}));

describe('the weekly policy search: every twin, through the optimize file’s Distributed Map (real handlers, dynalite)', () => {
  let db: LocalDynamo;
  let store: DynamoTwinStore;
  let optimize: LocalStateMachine;
  let calls = 0;
  const run = (name: string) =>
    optimize.run({ now: NOW }, { context: { Execution: { Name: name, StartTime: NOW } } as never });

  beforeAll(async () => {
    db = await startDynalite();
    const table = await db.newTable();
    store = new DynamoTwinStore(db.client, { tableName: table });
    pointHandlersAt(db, undefined, table);
    const o = await import('../../../functions/optimize/handler.js');
    const l = await import('../../../functions/list-due-twins/handler.js');
    const task = lambdaTask('optimize', o.handler);
    optimize = new LocalStateMachine('optimize', {
      OptimizeFunctionArn: async (input) => {
        calls++;
        return task(input);
      },
      ListDueTwinsFunctionArn: lambdaTask('list-due-twins', l.handler),
    });
    for (const id of ['api', 'web']) {
      await store.createTwin(requestCountTwin(id, 20));
      await store.appendSamples(id, 'requests', requests);
    }
    // registered by hand without a capacity model: nothing to simulate yet
    await store.createTwin({ ...requestCountTwin('fresh', 20), capacityModel: undefined });
    await store.appendSamples('fresh', 'requests', requests);
  });

  afterAll(() => db?.stop());

  test('each ready twin gets the run’s optimization record; a twin that cannot be simulated is skipped, counted', async () => {
    const out = (await run('weekly-1')) as { batches: { proposed: number }[] };
    expect(out.batches).toEqual([
      { twins: 3, optimized: 2, alreadyDone: 0, skipped: 1, failed: 0, proposed: expect.any(Number) },
    ]);
    let proposed = 0;
    for (const id of ['api', 'web']) {
      const record = await store.getRecord(id, 'optimization', NOW, scheduledOptimizationId(NOW));
      expect(record).toMatchObject({ input: { twinId: id, requestedAt: NOW } });
      // the result runs in shadow exactly when it beat the live policy on the held-out days
      const r = record?.result as unknown as {
        best: { settings: object; validation: Scores };
        current: { validation: Scores };
      };
      const shadow = (await store.getTwin(id))?.shadows.find((x) => x.id === WEEKLY_SHADOW_ID);
      if (beatsOnValidation(r.best.validation, r.current.validation)) {
        proposed++;
        expect(shadow).toMatchObject({
          policy: r.best.settings,
          addedBy: 'weekly-optimization',
          addedAt: NOW,
        });
      } else expect(shadow).toBeUndefined();
    }
    expect(out.batches[0].proposed).toBe(proposed);
    // the seeded search on this load beats the live policy on both twins: the proposal path ran
    expect(proposed).toBe(2);
    expect((await store.listRecords('fresh', 'optimization')).items).toEqual([]);
  }, 120_000);

  test('a rerun of the same scheduled time (a retried child, a redelivered schedule) redoes nothing', async () => {
    const before = calls;
    const out = (await run('weekly-1-again')) as { batches: unknown[] };
    expect(calls).toBe(before + 1);
    expect(out.batches).toEqual([
      { twins: 3, optimized: 0, alreadyDone: 2, skipped: 1, failed: 0, proposed: 0 },
    ]);
    expect((await store.listRecords('web', 'optimization')).items).toHaveLength(1);
  }, 120_000);

  test('a child that stopped between storing a result and proposing it proposes it on its retry', async () => {
    const web = await store.getTwin('web');
    await store.updateTwin('web', web?.version ?? 0, { shadows: [] });
    const out = (await run('weekly-1-retried')) as { batches: unknown[] };
    expect(out.batches).toEqual([
      { twins: 3, optimized: 0, alreadyDone: 2, skipped: 1, failed: 0, proposed: 1 },
    ]);
    expect((await store.getTwin('web'))?.shadows.map((x) => x.id)).toEqual([WEEKLY_SHADOW_ID]);
  }, 120_000);

  test('throttling fails the child for its retry; any other twin error is counted and the others go on', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const batch = { now: NOW, twins: { first: 'api', last: 'web', count: 2 } };
    const event = { batch, execution: { name: 'x', startTime: NOW } };
    const failing = (error: Error) =>
      new Proxy(store, {
        get: (target, key) =>
          key === 'getRecord'
            ? async (twinId: string) => {
                if (twinId === 'api') throw error;
                return undefined;
              }
            : Reflect.get(target, key, target),
      });
    const isTransient = (e: unknown) => (e as Error).name === 'ThrottlingException';
    await expect(optimizeBatch(failing(throttled), event, { isTransient })).rejects.toBeInstanceOf(
      TransientError,
    );
    const heard: string[] = [];
    const out = await optimizeBatch(failing(new RangeError('bad data')), event, {
      isTransient,
      onTwin: (id, o) => heard.push(`${id}: ${JSON.stringify(o)}`),
    });
    expect(out).toMatchObject({ twins: 3, failed: 1, skipped: 1 });
    expect(heard).toContainEqual(expect.stringContaining('api: {"failed":"bad data"}'));
  }, 120_000);
});
