import { DynamoTwinStore } from '../../layers/aws/dynamo/dynamo-twin-store.js';
import { actuate } from '../../layers/core/act/actuate.js';
import { actuateBatch } from '../../layers/core/loop/actuate-batch.js';
import { planBatch } from '../../layers/core/loop/plan-batch.js';
import type { TwinStore } from '../../layers/core/store/twin-store.js';
import type { Shadow, TwinInput } from '../../layers/core/twin/twin.js';
import { requestCountTwin } from '../../local/fixtures/twins.js';
import { SimulatedTargets } from '../../local/targets/simulated-targets.js';
import { type LocalDynamo, startDynalite } from '../support/dynalite.js';

const NOW = Date.parse('2026-11-23T12:00:00.000Z');
const MIN = 60_000;

/** Two days of per-minute requests around 300/min: at 100 per instance and 60 %, about 5–6 instances. */
const requests = Array.from({ length: 2 * 1440 }, (_, i) => ({
  t: NOW - (2 * 1440 - i) * MIN,
  v: Math.round(300 + 60 * Math.sin((2 * Math.PI * i) / 1440)),
}));

const ADDED = '2026-11-23T11:00:00.000Z';
const shadow = (id: string, policy: Shadow['policy']): Shadow => ({ id, policy, addedAt: ADDED });

/** A twin that scales its group, with candidates beside its live policy. */
const twin = (id: string, shadows: Shadow[]): TwinInput =>
  requestCountTwin(id, 100, {
    policy: { mode: 'forecast-and-scale', targetUtilization: 0.6, maxStep: 10 },
    shadows,
  });

/** The store, counting the reads of candidates' records. */
function countingShadowReads(store: TwinStore): { store: TwinStore; reads: () => number } {
  let reads = 0;
  const counted = Object.create(store) as TwinStore;
  counted.listRecords = (twinId, kind, page) => {
    if (kind === 'shadow-decision') reads++;
    return store.listRecords(twinId, kind, page);
  };
  return { store: counted, reads: () => reads };
}

describe('planBatch with shadow candidates, on dynalite', () => {
  let db: LocalDynamo;
  let store: DynamoTwinStore;
  let targets: SimulatedTargets;

  /** One cycle at `minutes` past NOW: plan, then carry out what the plan asks of the targets. */
  async function cycle(
    first: string,
    last: string,
    minutes: number,
    over: Partial<{ store: TwinStore }> = {},
  ) {
    const s = over.store ?? store;
    const planned = await planBatch(
      { store: s, target: targets, isTransient: () => false, scheduleMinutes: 5 },
      { now: new Date(NOW + minutes * MIN).toISOString(), twins: { first, last, count: 1 } },
    );
    await actuateBatch(
      {
        store,
        isTransient: () => false,
        act: (request) => actuate(request, { target: targets, controls: () => store.getControls() }),
      },
      planned.actuations,
    );
    return planned;
  }
  const shadowRecords = async (id: string) => (await store.listRecords(id, 'shadow-decision')).items;
  const decisions = async (id: string) => (await store.listRecords(id, 'decision')).items;

  beforeAll(async () => {
    db = await startDynalite();
  });

  beforeEach(async () => {
    store = new DynamoTwinStore(db.client, { tableName: await db.newTable() });
    targets = new SimulatedTargets();
  });

  afterAll(async () => {
    await db?.stop();
  });

  test('each candidate is planned on the live data and recorded once per slot; only the live decision is actuated', async () => {
    await store.createTwin(twin('web', [shadow('eager', { targetUtilization: 0.3 })]));
    await store.appendSamples('web', 'requests', requests);
    targets.add(
      { kind: 'asg', autoScalingGroupName: 'web' },
      { capacity: 2, running: 2, min: 1, max: 40, managed: true },
    );

    const planned = await cycle('web', 'web', 0);

    const [live] = await decisions('web');
    const [eager] = await shadowRecords('web');
    expect(eager).toMatchObject({
      id: 'decision-2026-11-23T12:00:00.000Z.eager',
      at: live.at,
      shadowId: 'eager',
      shadowAddedAt: ADDED,
      previous: 2,
      reason: {
        targetUtilization: 0.3,
        model: live.reason.model,
        lastObservedDemand: live.reason.lastObservedDemand,
      },
    });
    // the same forecast peak, planned at half the utilization: 100 per instance at 30 %
    expect(eager.reason.forecastPeak).toBe(live.reason.forecastPeak);
    expect(eager.desired).toBe(Math.ceil((live.reason.forecastPeak as number) / 30));
    expect(eager.desired).toBeGreaterThan(live.desired ?? 0);
    expect(planned.actuations.map((a) => a.request.desired)).toEqual([live.desired]);
    expect(live).toMatchObject({ action: 'scaled', result: `2 → ${live.desired}` });
    expect(targets.changes.map((c) => c.capacity)).toEqual([live.desired]);
  });

  test("a candidate's max step counts from its own last decision, not from the fleet the live policy moved", async () => {
    await store.createTwin(twin('web', [shadow('slow', { maxStep: 1 })]));
    await store.appendSamples('web', 'requests', requests);
    targets.add(
      { kind: 'asg', autoScalingGroupName: 'web' },
      { capacity: 2, running: 2, min: 1, max: 40, managed: true },
    );

    for (const minutes of [0, 5, 10]) await cycle('web', 'web', minutes);

    const slow = (await shadowRecords('web')).reverse();
    expect(slow.map((r) => [r.previous, r.desired])).toEqual([
      [2, 3],
      [3, 4],
      [4, 5],
    ]);
    expect(slow.map((r) => r.reason.boundBy)).toEqual(['max-step', 'max-step', 'max-step']);
    // meanwhile the live policy took the fleet to its plan at once
    expect((await targets.describe({ kind: 'asg', autoScalingGroupName: 'web' })).capacity).toBeGreaterThan(
      5,
    );
  });

  test('a candidate that cannot be planned is recorded with why; the live decision stands', async () => {
    await store.createTwin(
      twin('web', [shadow('huge', { minInstances: 50 }), shadow('fine', { targetUtilization: 0.5 })]),
    );
    await store.appendSamples('web', 'requests', requests);
    targets.add(
      { kind: 'asg', autoScalingGroupName: 'web' },
      { capacity: 2, running: 2, min: 1, max: 20, managed: true },
    );

    const planned = await cycle('web', 'web', 0);

    expect(planned).toMatchObject({ planned: 1, failed: 0 });
    const byId = Object.fromEntries((await shadowRecords('web')).map((r) => [r.shadowId, r]));
    expect(byId.huge).toMatchObject({
      reason: { error: 'BoundsConflictError' },
      result: expect.stringContaining('lower bound 50'),
    });
    expect(byId.huge.desired).toBeUndefined();
    expect(byId.fine.desired).toBeGreaterThan(0);
    const [live] = await decisions('web');
    expect(live).toMatchObject({ action: 'scaled' });
  });

  test('a twin without candidates reads and writes nothing more', async () => {
    await store.createTwin(twin('plain', []));
    await store.appendSamples('plain', 'requests', requests);
    targets.add(
      { kind: 'asg', autoScalingGroupName: 'plain' },
      { capacity: 2, running: 2, min: 1, max: 40, managed: true },
    );
    const counted = countingShadowReads(store);

    await cycle('plain', 'plain', 0, { store: counted.store });

    expect(counted.reads()).toBe(0);
    expect(await shadowRecords('plain')).toEqual([]);
    expect(await decisions('plain')).toHaveLength(1);
  });

  test('a candidate removed and added again under the same id starts afresh from the fleet', async () => {
    await store.createTwin(twin('web', [shadow('slow', { maxStep: 1 })]));
    await store.appendSamples('web', 'requests', requests);
    targets.add(
      { kind: 'asg', autoScalingGroupName: 'web' },
      { capacity: 2, running: 2, min: 1, max: 40, managed: true },
    );
    await cycle('web', 'web', 0);
    const current = (await store.getTwin('web'))!;
    await store.updateTwin('web', current.version, {
      shadows: [{ ...current.shadows[0], addedAt: '2026-11-23T12:02:00.000Z' }],
    });

    await cycle('web', 'web', 5);

    const [again] = await shadowRecords('web');
    const fleet = (await decisions('web')).at(-1)?.desired;
    expect(again).toMatchObject({ shadowAddedAt: '2026-11-23T12:02:00.000Z', previous: fleet });
  });
});
