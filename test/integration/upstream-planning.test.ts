import { DynamoTwinStore } from '../../layers/aws/dynamo/dynamo-twin-store.js';
import { createApi } from '../../layers/core/api/router.js';
import { planBatch } from '../../layers/core/loop/plan-batch.js';
import { seededRandom } from '../../layers/core/seeded-random.js';
import type { TwinStore } from '../../layers/core/store/twin-store.js';
import { requestCountTwin } from '../../local/fixtures/twins.js';
import { SimulatedTargets } from '../../local/targets/simulated-targets.js';
import { apiClient, noWorkflows } from '../support/api-client.js';
import { type LocalDynamo, startDynalite } from '../support/dynalite.js';

const NOW = Date.parse('2026-11-23T12:00:00.000Z');
const MIN = 60_000;
const LAG = 20;
/** The upstream's load steps up by 800 ten minutes before NOW: the downstream sees it 10 minutes after. */
const STEP_AT = NOW - 10 * MIN;
const START = NOW - 2 * 1440 * MIN;
const MINUTES = 2 * 1440 + 60;

const rnd = seededRandom(11);
const frontNoise = Array.from({ length: MINUTES + LAG }, () => (rnd() - 0.5) * 80);
const backNoise = Array.from({ length: MINUTES }, () => (rnd() - 0.5) * 10);
/** front's requests per minute at minute i from START (i may be negative, down to −LAG). */
const frontAt = (i: number) => {
  const t = START + i * MIN;
  return 1000 + 400 * Math.sin((2 * Math.PI * i) / 1440) + frontNoise[i + LAG] + (t >= STEP_AT ? 800 : 0);
};
const minutes = Array.from({ length: MINUTES }, (_, i) => i);
const front = minutes.map((i) => ({ t: START + i * MIN, v: Math.round(frontAt(i)) }));
/** back = 0.5 × front 20 minutes earlier + 100 of its own */
const back = minutes.map((i) => ({
  t: START + i * MIN,
  v: Math.round(0.5 * frontAt(i - LAG) + 100 + backNoise[i]),
}));

/** The store, with every call that names a twin listed as `method twinId [kind]`. */
function recording(store: TwinStore): { store: TwinStore; calls: string[] } {
  const calls: string[] = [];
  const wrapped = Object.create(store) as TwinStore;
  for (const m of ['getTwin', 'readSamples', 'listRecords'] as const) {
    const original = store[m].bind(store) as (...a: unknown[]) => Promise<unknown>;
    (wrapped as unknown as Record<string, unknown>)[m] = (...a: unknown[]) => {
      calls.push([m, a[0], m === 'getTwin' ? '' : a[1]].join(' ').trim());
      return original(...a);
    };
  }
  return { store: wrapped, calls };
}

describe('planBatch with upstreams (forecast propagation), on dynalite', () => {
  let db: LocalDynamo;
  let store: DynamoTwinStore;
  let targets: SimulatedTargets;

  const plan = (at: number, first: string, last: string, s: TwinStore = store) =>
    planBatch(
      { store: s, target: targets, isTransient: () => false, scheduleMinutes: 5 },
      { now: new Date(at).toISOString(), twins: { first, last, count: 1 } },
    );
  const latestForecast = async (id: string) =>
    (await store.listRecords(id, 'forecast', { limit: 1 })).items[0];

  beforeAll(async () => {
    db = await startDynalite();
  });

  beforeEach(async () => {
    store = new DynamoTwinStore(db.client, { tableName: await db.newTable() });
    targets = new SimulatedTargets();
    // solo: the same load as back, planned on its own model alone
    for (const [id, samples] of [
      ['front', front],
      ['back', back],
      ['solo', back],
    ] as const) {
      await store.createTwin(requestCountTwin(id, 100));
      await store.appendSamples(id, 'requests', samples);
      targets.add(
        { kind: 'asg', autoScalingGroupName: id },
        { capacity: 10, running: 10, min: 1, max: 100, managed: true },
      );
    }
    // front calls back, ratio and lag left for the data to say (an hour before NOW)
    const api = createApi({ store, workflows: noWorkflows, now: () => NOW - 60 * MIN });
    const put = await apiClient(() => api).call('PUT', '/twins/front/dependencies', { dependsOn: ['back'] });
    expect(put.status).toBe(200);
  });

  afterAll(async () => {
    await db?.stop();
  });

  it("combines the downstream's forecast with the upstream's, and records the weights", async () => {
    // Prepare: an hour of cycles, all three twins in one batch (the downstream may plan before
    // its upstream in a cycle: it then uses the upstream's forecast of the cycle before)
    for (let m = -60; m <= 0; m += 5) await plan(NOW + m * MIN, 'back', 'solo');

    // Act
    const [b, s, f] = await Promise.all(['back', 'solo', 'front'].map(latestForecast));

    // Assess: the edge as estimated when it was put
    expect((await store.getTwin('back'))?.upstreams).toEqual([
      expect.objectContaining({ from: 'front', source: 'estimated', lagMinutes: LAG }),
    ]);
    expect(b.propagated?.upstreams).toEqual([{ id: 'front', weight: expect.any(Number) }]);
    expect(b.propagated?.upstreams[0].weight).toBeGreaterThan(0.3);
    expect(b.model).toMatch(/propagated \+ front/);
    expect(s.propagated).toBeUndefined();
    expect(f.propagated).toBeUndefined();
    // the step reaches back 10 minutes from now: for the lag's slots the propagated p50 reads it
    // off front's observed load, while the own model has not seen it (later slots lean on front's
    // forecast, weighted by its recent error, which the step itself has just inflated)
    const stepped = 0.5 * 1800 + 100;
    for (const h of [2, 3]) {
      expect(b.points[h].t).toBe(NOW + h * 5 * MIN);
      expect(b.points[h].p50 - s.points[h].p50).toBeGreaterThan(300);
      expect(Math.abs(b.points[h].p50 - stepped) / stepped).toBeLessThan(0.1);
      expect(s.points[h].p50).toBeLessThan(0.7 * stepped);
    }
    // before the step arrives, the two agree
    expect(Math.abs(b.points[0].p50 - s.points[0].p50)).toBeLessThan(60);
  });

  it('skips an upstream with no fresh forecast: the own model alone, the cycle planned', async () => {
    // Prepare: front has never been planned
    const planned = await plan(NOW, 'back', 'back');

    const b = await latestForecast('back');
    const s = (await plan(NOW, 'solo', 'solo')) && (await latestForecast('solo'));

    expect(planned).toMatchObject({ planned: 1, failed: 0 });
    expect(b.propagated).toEqual({ own: 1, upstreams: [{ id: 'front', weight: 0 }] });
    expect(b.points.map((p) => p.p50)).toEqual(s.points.map((p) => p.p50));
  });

  /** Stores back's edge from front as given (as if estimated `hoursAgo` hours before NOW). */
  const setEdge = async (edge: { ratio: number; confidence: number }, hoursAgo: number) => {
    const twin = await store.getTwin('back');
    if (!twin) throw new Error('back is missing');
    const updatedAt = new Date(NOW - hoursAgo * 60 * MIN).toISOString();
    await store.updateTwin('back', twin.version, {
      upstreams: [{ ...twin.upstreams[0], ...edge, updatedAt }],
    });
  };
  const edgeOfBack = async () => (await store.getTwin('back'))?.upstreams[0];

  it('stores the cycle’s estimate of an edge once the stored one is a day old, not before', async () => {
    // Prepare: an estimate from when front called back four times as much
    await setEdge({ ratio: 2, confidence: 0.9 }, 23);
    await plan(NOW - 5 * MIN, 'front', 'front');

    // Act
    await plan(NOW, 'back', 'back');
    const young = await edgeOfBack();
    await setEdge({ ratio: 2, confidence: 0.9 }, 25);
    await plan(NOW, 'back', 'back');
    const refreshed = await edgeOfBack();

    // Assess
    expect(young).toMatchObject({ ratio: 2, confidence: 0.9 });
    expect(refreshed).toMatchObject({
      from: 'front',
      source: 'estimated',
      lagMinutes: LAG,
      updatedAt: new Date(NOW).toISOString(),
    });
    expect(refreshed?.ratio).toBeCloseTo(0.5, 1);
    expect(refreshed?.confidence).toBeGreaterThan(0.5);
  });

  it('reads an edge estimated too weak again once a day, and takes it up when the data now tell', async () => {
    await setEdge({ ratio: 0.5, confidence: 0.1 }, 1);
    const skipping = recording(store);
    await plan(NOW, 'back', 'back', skipping.store);

    await setEdge({ ratio: 0.5, confidence: 0.1 }, 25);
    const rereading = recording(store);
    await plan(NOW, 'back', 'back', rereading.store);

    expect(skipping.calls.filter((c) => c.includes('front'))).toEqual([]);
    expect(rereading.calls).toContain('readSamples front requests');
    expect((await edgeOfBack())?.confidence).toBeGreaterThan(0.5);
  });

  it('reads nothing more for a twin without upstreams; a downstream reads its upstream', async () => {
    const solo = recording(store);
    const downstream = recording(store);

    await plan(NOW, 'solo', 'solo', solo.store);
    await plan(NOW, 'back', 'back', downstream.store);

    expect(solo.calls.sort()).toEqual([
      'listRecords solo decision',
      'listRecords solo forecast',
      'readSamples solo requests',
    ]);
    expect(downstream.calls.filter((c) => c.includes('front')).sort()).toEqual([
      'getTwin front',
      'listRecords front forecast',
      'readSamples front requests',
    ]);
  });
});
