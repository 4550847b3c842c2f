import { DynamoTwinStore } from '../../layers/aws/dynamo/dynamo-twin-store.js';
import { idempotentActuate } from '../../layers/aws/idempotent-actuate.js';
import { AwsScalingTarget } from '../../layers/aws/scaling/aws-scaling-target.js';
import type { ActuationRequest } from '../../layers/core/act/scaling-target.js';
import { NotManagedError, type ScalingTarget } from '../../layers/core/act/scaling-target.js';
import { actuateBatch } from '../../layers/core/loop/actuate-batch.js';
import { planBatch } from '../../layers/core/loop/plan-batch.js';
import { requestCountTwin } from '../../local/fixtures/twins.js';
import { localLambdaContext } from '../../local/workflows/local-state-machine.js';
import { type LocalDynamo, startDynalite } from '../support/dynalite.js';
import { type Moto, motoAvailable, startMoto } from '../support/moto.js';
import { ScalingFixtures } from '../support/scaling-fixtures.js';

const describeMoto = motoAvailable() ? describe : describe.skip;

/** The real adapter, counting the calls that change capacity. */
class CountingTarget implements ScalingTarget {
  sets = 0;
  describes = 0;
  constructor(private readonly inner: ScalingTarget) {}
  describe(ref: Parameters<ScalingTarget['describe']>[0]) {
    this.describes++;
    return this.inner.describe(ref);
  }
  setCapacity(ref: Parameters<ScalingTarget['setCapacity']>[0], capacity: number) {
    this.sets++;
    return this.inner.setCapacity(ref, capacity);
  }
}

describeMoto('actuator on EC2 Auto Scaling and ECS (moto_server), idempotent on dynalite', () => {
  let moto: Moto;
  let db: LocalDynamo;
  let fx: ScalingFixtures;
  let store: DynamoTwinStore;
  let target: CountingTarget;
  let act: ReturnType<typeof idempotentActuate>['act'];
  let n = 0;

  const asg = (name: string, desired: number, maxStep = 100, extra: Partial<ActuationRequest> = {}) => ({
    twinId: `asg-${name}`.toLowerCase(),
    decisionId: `asg-${name}:${++n}`,
    target: { kind: 'asg' as const, autoScalingGroupName: name },
    desired,
    maxStep,
    ...extra,
  });
  const ecs = (service: string, desired: number, maxStep = 100) => ({
    twinId: `ecs-prod-${service}`,
    decisionId: `ecs-${service}:${++n}`,
    target: { kind: 'ecs' as const, cluster: 'prod', service },
    desired,
    maxStep,
  });

  beforeAll(async () => {
    [moto, db] = await Promise.all([startMoto(), startDynalite()]);
    fx = new ScalingFixtures(moto);
    await fx.setUp();
    await fx.group('web', { min: 1, max: 10, desired: 2, managed: true });
    await fx.group('legacy', { min: 1, max: 10, desired: 2, managed: false });
    await fx.service('api', { min: 1, max: 8, managed: true });
    await fx.service('cron', { min: 1, max: 8, managed: false });
  });

  beforeEach(async () => {
    const table = await db.newTable();
    store = new DynamoTwinStore(db.client, { tableName: table });
    target = new CountingTarget(new AwsScalingTarget(fx.clients));
    const actuator = idempotentActuate(db.client, table, { target, controls: () => store.getControls() });
    actuator.registerLambdaContext(localLambdaContext('actuator'));
    act = actuator.act;
  });

  afterAll(async () => {
    fx?.destroy();
    await Promise.all([moto?.stop(), db?.stop()]);
  });

  test('an Auto Scaling group rises within the max step, then stops at its own maximum', async () => {
    await expect(act(asg('web', 9, 3))).resolves.toMatchObject({
      action: 'scaled',
      from: 2,
      to: 5,
      boundBy: 'max-step',
    });
    expect(await fx.groupCapacity('web')).toBe(5);
    await expect(act(asg('web', 50))).resolves.toMatchObject({ to: 10, boundBy: 'max' });
    expect(await fx.groupCapacity('web')).toBe(10);
    await expect(act(asg('web', 0))).resolves.toMatchObject({ to: 1, boundBy: 'min' });
    expect(await fx.groupCapacity('web')).toBe(1);
    await expect(act(asg('web', 4, 100, { maxInstances: 3 }))).resolves.toMatchObject({
      to: 3,
      boundBy: 'max',
    });
    expect(await fx.groupCapacity('web')).toBe(3);
  });

  test('an ECS service gets its floor raised and lowered through Application Auto Scaling', async () => {
    await expect(act(ecs('api', 4))).resolves.toMatchObject({ action: 'scaled', from: 1, to: 4 });
    expect(await fx.serviceFloor('api')).toEqual({ min: 4, max: 8 });
    await act(ecs('api', 2));
    expect(await fx.serviceFloor('api')).toEqual({ min: 2, max: 8 });
    await expect(act(ecs('api', 20))).resolves.toMatchObject({ to: 8, boundBy: 'max' });
    expect(await fx.serviceFloor('api')).toEqual({ min: 8, max: 8 });
  });

  test('untagged resources are refused with the tag to add, and left as they are', async () => {
    await expect(act(asg('legacy', 5))).rejects.toThrow(
      'Auto Scaling group "legacy" is not tagged twinscale:managed=true',
    );
    await expect(act(ecs('cron', 5))).rejects.toBeInstanceOf(NotManagedError);
    expect(await fx.groupCapacity('legacy')).toBe(2);
    expect(await fx.serviceFloor('cron')).toEqual({ min: 1, max: 8 });
    expect(target.sets).toBe(0);
  });

  test('a retried decision acts once and returns the first result', async () => {
    await act(asg('web', 2));
    const request = asg('web', 6);
    const first = await act(request);
    const again = await act({ ...request });
    expect(first).toMatchObject({ action: 'scaled', to: 6 });
    expect(again).toEqual(first);
    expect(target.sets).toBe(2);
    expect(await fx.groupCapacity('web')).toBe(6);
  });

  test('the kill switch stops every actuation before any call to the target', async () => {
    await act(asg('web', 3));
    const before = { sets: target.sets, describes: target.describes };
    await store.putControls({ actuationPaused: true, reason: 'incident 42' });
    await expect(act(asg('web', 9))).resolves.toEqual({
      action: 'recorded-only',
      message: 'kill switch on (incident 42): capacity left as it is',
    });
    await expect(act(ecs('api', 7))).resolves.toMatchObject({ action: 'recorded-only' });
    expect(target).toMatchObject(before);
    expect(await fx.groupCapacity('web')).toBe(3);
    await store.putControls({ actuationPaused: false });
    await expect(act(asg('web', 4))).resolves.toMatchObject({ action: 'scaled', to: 4 });
  });

  test('forecast-only: the decision is recorded and no capacity is changed', async () => {
    await store.createTwin(
      requestCountTwin('asg-web', 10, { target: { kind: 'asg', autoScalingGroupName: 'web' } }),
    );
    const now = Date.parse('2026-11-23T12:00:00.000Z');
    const samples = Array.from({ length: 600 }, (_, i) => ({ t: now - (600 - i) * 60_000, v: 50 }));
    await store.appendSamples('asg-web', 'requests', samples);
    const before = await fx.groupCapacity('web');
    const result = await planBatch(
      { store, target, isTransient: () => false, scheduleMinutes: 5 },
      { now: new Date(now).toISOString(), twins: { first: 'asg-web', last: 'asg-web', count: 1 } },
    );
    expect(result).toEqual({ twins: 1, planned: 1, failed: 0, actuations: [] });
    const [decision] = (await store.listRecords('asg-web', 'decision')).items;
    expect(decision).toMatchObject({ action: 'recorded-only', previous: before });
    expect(decision.desired).toBeGreaterThan(before ?? 0);
    expect(target.sets).toBe(0);
    expect(await fx.groupCapacity('web')).toBe(before);
  });

  test('a batch records every decision with what was done; a refusal fails only its twin', async () => {
    const record = (id: string, desired: number) => ({
      id,
      at: '2026-11-23T12:00:00.000Z',
      desired,
      previous: 1,
      reason: { boundBy: 'plan' },
    });
    const result = await actuateBatch({ store, act, isTransient: () => false }, [
      { request: asg('web', 5), record: record('decision-a', 5) },
      { request: asg('legacy', 5), record: record('decision-b', 5) },
    ]);
    expect(result).toEqual({ scaled: 1, unchanged: 0, recordedOnly: 0, failed: 1 });
    const [web] = (await store.listRecords('asg-web', 'decision')).items;
    expect(web).toMatchObject({ desired: 5, action: 'scaled', result: expect.stringMatching(/→ 5$/) });
    const [legacy] = (await store.listRecords('asg-legacy', 'decision')).items;
    expect(legacy).toMatchObject({ action: 'failed', result: expect.stringContaining('not tagged') });
  });
});
