import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parseEvent } from '../../../functions/shared/parse-input.js';
import { DynamoTwinStore } from '../../../layers/aws/dynamo/dynamo-twin-store.js';
import { isTransient } from '../../../layers/aws/retry.js';
import { actuate } from '../../../layers/core/act/actuate.js';
import type { ScalingTarget } from '../../../layers/core/act/scaling-target.js';
import { actuateBatch } from '../../../layers/core/loop/actuate-batch.js';
import { ActuateEventSchema } from '../../../layers/core/loop/events.js';
import { requestCountTwin } from '../../../local/fixtures/twins.js';
import { SimulatedTargets } from '../../../local/targets/simulated-targets.js';
import { LocalStateMachine, type TaskFunction } from '../../../local/workflows/local-state-machine.js';
import { localLoopTasks } from '../../../local/workflows/loop-tasks.js';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.js';
import {
  type DynamoFault,
  dynamoClientFor,
  FaultLedger,
  FaultyTarget,
  injectDynamoFaults,
  type TargetFault,
} from '../../support/faults.js';

const NOW = Date.parse('2026-11-23T12:00:00.000Z');
const SLOT = '2026-11-23T12:00:00.000Z';
const MIN = 60_000;
/** Two days of per-minute requests around 300/min: at 100 per instance and 60 %, 5–6 instances, from 2. */
const requests = Array.from({ length: 2 * 1440 }, (_, i) => ({
  t: NOW - (2 * 1440 - i) * MIN,
  v: Math.round(300 + 60 * Math.sin((2 * Math.PI * i) / 1440)),
}));
/** p1 only forecasts; the others scale. Two batches of two (the real listing makes batches of 50). */
const MODES = {
  p1: 'forecast-only',
  p2: 'forecast-and-scale',
  p3: 'forecast-and-scale',
  p4: 'forecast-and-scale',
} as const;
const IDS = Object.keys(MODES) as (keyof typeof MODES)[];
const BATCHES = [
  { first: 'p1', last: 'p2', count: 2 },
  { first: 'p3', last: 'p4', count: 2 },
];
const asg = (name: string) => ({ kind: 'asg' as const, autoScalingGroupName: name });
const noWait = {
  retryIntervalOverrides: {
    PlanBatch: 0,
    Actuate: 0,
    RecordFailure: 0,
    RecordActuationFailure: 0,
    ListDueTwins: 0,
  },
};
const recordOf = (kind: string, id: string) => (pk: string, sk: string) =>
  pk === `TWIN#${id}` && sk.startsWith(`${kind}#${SLOT}`);

const ledger = new FaultLedger();

describe('forecast-and-plan (the ASL file, run locally) under faults: decided once, acted once, failures on the twins', () => {
  let db: LocalDynamo;
  let client: DynamoDBClient;
  let store: DynamoTwinStore;
  let table: string;
  let fleet: SimulatedTargets;

  beforeAll(async () => {
    db = await startDynalite();
  });
  beforeEach(async () => {
    table = await db.newTable();
    client = dynamoClientFor(db.endpoint);
    store = new DynamoTwinStore(client, { tableName: table });
    fleet = new SimulatedTargets();
    for (const id of IDS) {
      fleet.add(asg(id), { capacity: 2, running: 2, min: 1, max: 20, managed: true });
      const policy = { mode: MODES[id], targetUtilization: 0.6, maxStep: 10 };
      await store.createTwin(requestCountTwin(id, 100, { policy }));
      await store.appendSamples(id, 'requests', requests);
    }
  });
  afterEach(() => client.destroy());
  afterAll(async () => {
    ledger.write('forecast-and-plan');
    await db?.stop();
  });

  /** The state machine with the local loop tasks, counting each task's invocations and the errors it threw. */
  function machine(target: ScalingTarget, o: { idempotent?: boolean } = {}) {
    const tasks = localLoopTasks({
      store,
      dynamo: client,
      tableName: table,
      target,
      scheduleMinutes: 5,
      alerts: { publish: async () => undefined },
    });
    if (o.idempotent === false)
      // the control: the same actuator without Powertools idempotency
      tasks.ActuatorFunctionArn = async (e) =>
        actuateBatch(
          { store, isTransient, act: (r) => actuate(r, { target, controls: () => store.getControls() }) },
          parseEvent(ActuateEventSchema, e).actuations,
        );
    const seen = { invoked: {} as Record<string, number>, errors: [] as string[] };
    const counted = (name: string, fn: TaskFunction): TaskFunction => {
      return async (input) => {
        seen.invoked[name] = (seen.invoked[name] ?? 0) + 1;
        try {
          return await fn(input);
        } catch (e) {
          // what Step Functions' history and Lambda's Errors metric show for the invocation
          seen.errors.push(`${name}: ${(e as Error).name}`);
          throw e;
        }
      };
    };
    const bindings: Record<string, TaskFunction> = {
      ListDueTwinsFunctionArn: async () => ({ now: SLOT, batches: BATCHES }),
      PlanBatchFunctionArn: counted('PlanBatch', tasks.PlanBatchFunctionArn),
      ActuatorFunctionArn: counted('Actuate', tasks.ActuatorFunctionArn),
      RecordFailureFunctionArn: counted('RecordFailure', tasks.RecordFailureFunctionArn),
    };
    const run = () => new LocalStateMachine('forecast-and-plan', bindings).run({}, { overrides: noWait });
    return { run, seen };
  }

  const decision = async (id: string) => {
    const all = (await store.listRecords(id, 'decision')).items;
    expect(all).toHaveLength(1);
    expect(all[0].at).toBe(SLOT);
    return all[0];
  };
  const capacity = async (id: string) => (await fleet.describe(asg(id))).capacity;
  /** Every twin forecast once for the slot. */
  const expectOneForecastEach = async () => {
    for (const id of IDS) expect((await store.listRecords(id, 'forecast')).items).toHaveLength(1);
  };
  /** A scale-mode twin scaled exactly once, to its decision, from 2. */
  const expectScaledOnce = async (target: FaultyTarget, id: string) => {
    const d = await decision(id);
    expect(d).toMatchObject({ action: 'scaled', previous: 2, result: `2 → ${d.desired}` });
    expect(target.changesOf(id)).toEqual([d.desired]);
    expect(await capacity(id)).toBe(d.desired);
  };

  test('a batch failing half-way (a forecast written, its acknowledgement lost; a throttled describe) is retried whole: each twin decided and scaled once', async () => {
    const faults = injectDynamoFaults(
      client,
      [{ op: 'PutItem', kind: 'lost-ack', key: recordOf('FORECAST', 'p2'), times: 1 }],
      ledger,
    );
    const target = new FaultyTarget(
      fleet,
      [{ op: 'describe', kind: 'throttle', name: 'p3', calls: [1] }],
      ledger,
    );
    const { run, seen } = machine(target);

    const out = await run();
    expect(faults.fired()).toBe(1);
    expect(out).toMatchObject({
      batches: [
        { twins: 2, failed: 0 },
        { twins: 2, failed: 0 },
      ],
    });
    // visible: each batch's first invocation failed (the execution's history, Lambda's Errors), then retried
    expect(seen.invoked.PlanBatch).toBe(4);
    expect(seen.errors.sort()).toEqual(['PlanBatch: TransientError', 'PlanBatch: TransientError']);
    // p1's decision was recorded by the first attempt and not again by the second
    expect(await decision('p1')).toMatchObject({ action: 'recorded-only' });
    await expectOneForecastEach();
    for (const id of ['p2', 'p3', 'p4']) await expectScaledOnce(target, id);
    expect(target.calls.setCapacity).toBe(3);
    ledger.survived();
  });

  test('a batch that keeps failing is caught and recorded on its twins; the other batch is decided and scaled', async () => {
    injectDynamoFaults(
      client,
      [{ op: 'PutItem', kind: 'throttle', key: recordOf('FORECAST', 'p3') }],
      ledger,
    );
    const target = new FaultyTarget(fleet, [], ledger);
    const { run, seen } = machine(target);

    const out = await run();
    expect(out).toMatchObject({
      batches: [
        { twins: 2, failed: 0 },
        { twins: 2, failed: 2 },
      ],
    });
    expect(seen.invoked).toMatchObject({ PlanBatch: 3, RecordFailure: 1 });
    for (const id of ['p3', 'p4'])
      expect(await decision(id)).toMatchObject({
        action: 'failed',
        reason: { stage: 'plan', error: 'TransientError' },
        result: expect.stringContaining('ProvisionedThroughputExceededException'),
      });
    expect(target.changesOf('p3')).toEqual([]);
    expect(await capacity('p4')).toBe(2);
    expect(await decision('p1')).toMatchObject({ action: 'recorded-only' });
    await expectScaledOnce(target, 'p2');
    ledger.survived();
  });

  /** p2's decision record is written, then its acknowledgement is lost; meanwhile the group's own policy scales it out to 9. */
  const ackLostThenScaledOut = (): DynamoFault => ({
    op: 'PutItem',
    kind: 'lost-ack',
    key: recordOf('DECISION', 'p2'),
    times: 1,
    onFault: () => fleet.setCapacity(asg('p2'), 9),
  });

  test('the actuator retried after it acted: Powertools idempotency answers the first result, the group is not touched again', async () => {
    injectDynamoFaults(client, [ackLostThenScaledOut()], ledger);
    const target = new FaultyTarget(fleet, [], ledger);
    const { run, seen } = machine(target);

    await run();
    expect(seen.errors).toEqual(['Actuate: TransientError']);
    expect(seen.invoked.Actuate).toBe(3);
    const d = await decision('p2');
    expect(d).toMatchObject({ action: 'scaled', result: `2 → ${d.desired}` });
    // acted once: the scale-out that happened meanwhile stands
    expect(target.changesOf('p2')).toEqual([d.desired]);
    expect(await capacity('p2')).toBe(9);
    for (const id of ['p3', 'p4']) await expectScaledOnce(target, id);
    ledger.survived();
  });

  test('control: without idempotency the same fault acts twice and undoes the scale-out (what the test above guards against)', async () => {
    injectDynamoFaults(client, [ackLostThenScaledOut()], new FaultLedger());
    const target = new FaultyTarget(fleet, [], new FaultLedger());
    await machine(target, { idempotent: false }).run();
    const d = await decision('p2');
    expect(target.changesOf('p2')).toEqual([d.desired, d.desired]);
    expect(await capacity('p2')).toBe(d.desired);
  });

  test('capacity set, then a timeout; a throttled describe in the actuator: the retry acts only where nothing was done, and says so', async () => {
    const faults: TargetFault[] = [
      { op: 'setCapacity', kind: 'lost-ack', name: 'p3', times: 1 },
      // call 1 is the planner's, call 2 the actuator's
      { op: 'describe', kind: 'throttle', name: 'p4', calls: [2] },
    ];
    const target = new FaultyTarget(fleet, faults, ledger);
    const { run, seen } = machine(target);

    await run();
    expect(seen.errors).toEqual(['Actuate: TransientError']);
    const p3 = await decision('p3');
    // the first attempt's change is the only one; the retry found the group there already
    expect(target.changesOf('p3')).toEqual([p3.desired]);
    expect(await capacity('p3')).toBe(p3.desired);
    expect(p3).toMatchObject({
      action: 'none',
      previous: 2,
      result: `already at ${p3.desired}; it was 2 when planned: changed since, by an earlier attempt or another actor`,
    });
    await expectScaledOnce(target, 'p4');
    await expectScaledOnce(target, 'p2');
    ledger.survived();
  });

  test('the idempotency store throttled before acting: retried as transient, then each twin scaled once', async () => {
    injectDynamoFaults(
      client,
      [{ op: 'PutItem', kind: 'throttle', key: (pk) => pk === 'IDEMPOTENCY', times: 1 }],
      ledger,
    );
    const target = new FaultyTarget(fleet, [], ledger);
    const { run, seen } = machine(target);

    await run();
    expect(seen.errors).toEqual(['Actuate: TransientError']);
    for (const id of ['p2', 'p3', 'p4']) await expectScaledOnce(target, id);
    ledger.survived();
  });

  test("the idempotency store throttled after acting: the in-progress decision is never redone, and its twin's record says to check the capacity", async () => {
    injectDynamoFaults(
      client,
      [{ op: 'UpdateItem', kind: 'throttle', key: (pk) => pk === 'IDEMPOTENCY', times: 1 }],
      ledger,
    );
    const target = new FaultyTarget(fleet, [], ledger);
    const { run, seen } = machine(target);

    const out = (await run()) as { batches: { failed: number }[] };
    // the retries meet the in-progress record (IdempotencyAlreadyInProgressError) until they run out
    expect(seen.errors).toEqual(expect.arrayContaining(['Actuate: TransientError']));
    expect(seen.invoked.RecordFailure).toBe(1);
    expect(out.batches.filter((b) => b.failed > 0)).toHaveLength(1);
    const records = await Promise.all(['p2', 'p3', 'p4'].map(decision));
    const failed = records.filter((d) => d.action === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      reason: { stage: 'actuate' },
      result: expect.stringContaining('the capacity may have changed: check the target'),
    });
    // acted once each, the unacknowledged one included
    for (const [i, id] of ['p2', 'p3', 'p4'].entries()) {
      expect(target.changesOf(id)).toHaveLength(1);
      // a failed record keeps the plan in its reason
      expect(await capacity(id)).toBe(records[i].desired ?? records[i].reason.desired);
    }
    ledger.survived();
  });
});
