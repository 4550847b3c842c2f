import { DynamoTwinStore } from '../../../layers/aws/dynamo/dynamo-twin-store.js';
import type { TwinInput } from '../../../layers/core/twin/twin.js';
import { requestCountTwin } from '../../../local/fixtures/twins.js';
import {
  LocalStateMachine,
  lambdaTask,
  type TaskFunction,
} from '../../../local/workflows/local-state-machine.js';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.js';
import { type Moto, motoAvailable, startMoto } from '../../support/moto.js';
import { ScalingFixtures } from '../../support/scaling-fixtures.js';
import { pointHandlersAt } from '../../support/workflow-env.js';

const describeMoto = motoAvailable() ? describe : describe.skip;
const NOW = Date.parse('2026-11-23T12:00:00.000Z');
const MIN = 60_000;

/** Two days of per-minute requests around 300/min: at 100 per instance and 60 %, about 5–6 instances. */
const requests = Array.from({ length: 2 * 1440 }, (_, i) => ({
  t: NOW - (2 * 1440 - i) * MIN,
  v: Math.round(300 + 60 * Math.sin((2 * Math.PI * i) / 1440)),
}));

const twin = (
  id: string,
  target: TwinInput['target'],
  mode: 'forecast-only' | 'forecast-and-scale',
): TwinInput => requestCountTwin(id, 100, { target, policy: { mode, targetUtilization: 0.6, maxStep: 10 } });

describeMoto('forecast-and-plan state machine, run locally with the real handlers', () => {
  let moto: Moto;
  let db: LocalDynamo;
  let fx: ScalingFixtures;
  let store: DynamoTwinStore;
  let tasks: Record<string, TaskFunction>;

  const machine = (overrides: Partial<Record<string, TaskFunction>> = {}) =>
    new LocalStateMachine('forecast-and-plan', { ...tasks, ...overrides } as Record<string, TaskFunction>);
  const at = (minutes: number) => ({ now: new Date(NOW + minutes * MIN).toISOString() });
  const noWait = {
    retryIntervalOverrides: {
      PlanBatch: 0,
      Actuate: 0,
      RecordFailure: 0,
      RecordActuationFailure: 0,
      ListDueTwins: 0,
    },
  };
  const decisions = async (id: string) => (await store.listRecords(id, 'decision')).items;

  beforeAll(async () => {
    [moto, db] = await Promise.all([startMoto(), startDynalite()]);
    fx = new ScalingFixtures(moto);
    await fx.setUp();
    const table = await db.newTable();
    store = new DynamoTwinStore(db.client, { tableName: table });
    pointHandlersAt(db, moto, table);
    // One at a time: jest's ESM loader races on concurrent dynamic imports of shared modules.
    const list = await import('../../../functions/list-due-twins/handler.js');
    const plan = await import('../../../functions/plan-batch/handler.js');
    const actuator = await import('../../../functions/actuator/handler.js');
    const failure = await import('../../../functions/record-failure/handler.js');
    tasks = {
      ListDueTwinsFunctionArn: lambdaTask('list-due-twins', list.handler),
      PlanBatchFunctionArn: lambdaTask('plan-batch', plan.handler),
      ActuatorFunctionArn: lambdaTask('actuator', actuator.handler),
      RecordFailureFunctionArn: lambdaTask('record-failure', failure.handler),
    };
  });

  afterAll(async () => {
    fx?.destroy();
    await Promise.all([moto?.stop(), db?.stop()]);
  });

  test('with no twins, the run lists none and ends', async () => {
    await expect(machine().run(at(0))).resolves.toEqual({ now: '2026-11-23T12:00:00.000Z', batches: [] });
  });

  test('happy path: every twin decided and recorded; scale-mode twins scaled, forecast-only ones left alone', async () => {
    await fx.group('steady', { min: 1, max: 20, desired: 2, managed: true });
    await fx.group('rising', { min: 1, max: 20, desired: 2, managed: true });
    await fx.group('legacy', { min: 1, max: 20, desired: 2, managed: false });
    await fx.service('api', { min: 1, max: 30, managed: true });
    await store.createTwin(twin('steady', { kind: 'asg', autoScalingGroupName: 'steady' }, 'forecast-only'));
    await store.createTwin(
      twin('rising', { kind: 'asg', autoScalingGroupName: 'rising' }, 'forecast-and-scale'),
    );
    await store.createTwin(
      twin('legacy', { kind: 'asg', autoScalingGroupName: 'legacy' }, 'forecast-and-scale'),
    );
    await store.createTwin(
      twin('api', { kind: 'ecs', cluster: 'prod', service: 'api' }, 'forecast-and-scale'),
    );
    for (const id of ['steady', 'rising', 'legacy', 'api'])
      await store.appendSamples(id, 'requests', requests);

    const out = await machine().run(at(0));
    expect(out).toEqual({ now: '2026-11-23T12:00:00.000Z', batches: [{ twins: 4, failed: 0 }] });

    const [steady] = await decisions('steady');
    expect(steady).toMatchObject({ action: 'recorded-only', previous: 2, reason: { quantile: 0.9 } });
    expect(steady.desired).toBeGreaterThanOrEqual(5);
    expect(await fx.groupCapacity('steady')).toBe(2);

    const [rising] = await decisions('rising');
    expect(rising).toMatchObject({ action: 'scaled', previous: 2, result: `2 → ${rising.desired}` });
    expect(await fx.groupCapacity('rising')).toBe(rising.desired);

    const [api] = await decisions('api');
    expect(api.action).toBe('scaled');
    expect((await fx.serviceFloor('api')).min).toBe(api.desired);

    const [legacy] = await decisions('legacy');
    expect(legacy).toMatchObject({
      action: 'failed',
      result: expect.stringContaining('not tagged twinscale:managed=true'),
    });
    expect(await fx.groupCapacity('legacy')).toBe(2);

    const [forecast] = (await store.listRecords('steady', 'forecast')).items;
    expect(forecast.points).toHaveLength(12);
  });

  test('a transient failure is retried and the batch then succeeds, deciding once', async () => {
    const real = tasks.PlanBatchFunctionArn;
    let calls = 0;
    const flaky: TaskFunction = async (input) => {
      if (++calls === 1) throw Object.assign(new Error('Rate exceeded'), { name: 'TransientError' });
      return real(input);
    };
    const out = await machine({ PlanBatchFunctionArn: flaky }).run(at(5), { overrides: noWait });
    expect(calls).toBe(2);
    expect(out).toMatchObject({ batches: [{ twins: 4, failed: 0 }] });
    const [rising] = await decisions('rising');
    expect(rising).toMatchObject({
      at: '2026-11-23T12:05:00.000Z',
      action: expect.stringMatching(/scaled|none/),
    });
  });

  test('when actuation keeps failing, scale-mode twins keep their plan in a failed record; the others are untouched', async () => {
    const broken: TaskFunction = async () => {
      throw Object.assign(new Error('socket hang up'), { name: 'Lambda.ServiceException' });
    };
    await fx.setGroupCapacity('rising', 2); // so that its plan is a change the actuator must make
    const out = await machine({ ActuatorFunctionArn: broken }).run(at(15), { overrides: noWait });
    expect(out).toMatchObject({ batches: [{ twins: 4, failed: 4 }] });
    const [rising] = await decisions('rising');
    expect(rising).toMatchObject({
      at: '2026-11-23T12:15:00.000Z',
      action: 'failed',
      result: expect.stringContaining('the capacity may have changed'),
      reason: { stage: 'actuate', planned: expect.any(Number), quantile: 0.9 },
    });
    const [steady] = await decisions('steady');
    expect(steady).toMatchObject({ at: '2026-11-23T12:15:00.000Z', action: 'recorded-only' });
  });

  test('a twin already at its planned capacity is recorded as held, without calling the actuator', async () => {
    const sent: string[] = [];
    const counting: TaskFunction = async (input) => {
      sent.push(
        ...(input as { actuations: { request: { twinId: string } }[] }).actuations.map(
          (a) => a.request.twinId,
        ),
      );
      return tasks.ActuatorFunctionArn(input);
    };
    await machine().run(at(20)); // rising back to its plan after the failed actuation
    await machine({ ActuatorFunctionArn: counting }).run(at(25));
    const [rising] = await decisions('rising');
    const capacity = await fx.groupCapacity('rising');
    expect(rising).toMatchObject({
      at: '2026-11-23T12:25:00.000Z',
      action: 'none',
      result: `already at ${capacity}`,
    });
    expect(sent).not.toContain('rising');
    // an untagged target still goes to the actuator, whose refusal is the record
    expect(sent).toContain('legacy');
    expect((await decisions('legacy'))[0]).toMatchObject({ action: 'failed' });
  });

  test('with the kill switch on, nothing reaches the actuator and every decision is recorded only', async () => {
    const sent: unknown[] = [];
    const counting: TaskFunction = async (input) => {
      sent.push(input);
      return tasks.ActuatorFunctionArn(input);
    };
    await fx.setGroupCapacity('rising', 2);
    await store.putControls({ actuationPaused: true, reason: 'incident 42' });
    try {
      await machine({ ActuatorFunctionArn: counting }).run(at(30));
    } finally {
      await store.putControls({ actuationPaused: false });
    }
    expect(sent).toEqual([]);
    const [rising] = await decisions('rising');
    expect(rising).toMatchObject({
      at: '2026-11-23T12:30:00.000Z',
      action: 'recorded-only',
      result: 'kill switch on (incident 42): capacity left as it is',
    });
    expect(await fx.groupCapacity('rising')).toBe(2);
  });

  test('a batch that keeps failing is recorded on each of its twins, and the run goes on', async () => {
    const broken: TaskFunction = async () => {
      throw Object.assign(new Error('model exploded'), { name: 'RangeError' });
    };
    const out = await machine({ PlanBatchFunctionArn: broken }).run(at(10), { overrides: noWait });
    expect(out).toMatchObject({ batches: [{ twins: 4, failed: 4 }] });
    for (const id of ['steady', 'rising', 'legacy', 'api']) {
      const latest = (await decisions(id)).find((d) => d.at === '2026-11-23T12:10:00.000Z');
      expect(latest).toMatchObject({
        at: '2026-11-23T12:10:00.000Z',
        action: 'failed',
        result: 'model exploded',
      });
    }
    expect(await fx.groupCapacity('steady')).toBe(2);
  });
});
