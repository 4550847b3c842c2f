import { DynamoTwinStore } from '../../layers/aws/dynamo/dynamo-twin-store.js';
import { applyMix } from '../../layers/core/act/mixed-instances.js';
import { createApi } from '../../layers/core/api/router.js';
import { seededRandom } from '../../layers/core/seeded-random.js';
import { fittedCapacity, REQUEST_COUNT, requestCountTwin } from '../../local/fixtures/twins.js';
import { SimulatedTargets } from '../../local/targets/simulated-targets.js';
import { apiClient, noWorkflows } from '../support/api-client.js';
import { type LocalDynamo, startDynalite } from '../support/dynalite.js';

const NOW = Date.parse('2026-11-23T12:02:00.000Z');
const MIN = 60_000;
const STEP = 5 * MIN;
const DAY = 1440 * MIN;
const TENANT = { 'twinscale:tenant': 'shop' };

/** 14 days of requests per 5 minutes: a daily swing around `level` per minute, with noise. */
function load(level: number, seed: number) {
  const r = seededRandom(seed);
  const n = (14 * DAY) / STEP;
  return Array.from({ length: n }, (_, i) => {
    const t = NOW - 14 * DAY + i * STEP - (NOW % STEP);
    const daily = 1 + 0.5 * Math.sin((2 * Math.PI * (t % DAY)) / DAY);
    return { t, v: Math.round(5 * level * daily * (1 + 0.1 * (r() - 0.5))) };
  });
}

describe('tenant groups and capacity plans through the API (dynalite)', () => {
  let db: LocalDynamo;
  let store: DynamoTwinStore;
  let targets: SimulatedTargets;
  let api: ReturnType<typeof createApi>;
  let withApply = true;
  const { call, fields } = apiClient(() => api);

  beforeAll(async () => {
    db = await startDynalite();
  });

  beforeEach(async () => {
    store = new DynamoTwinStore(db.client, { tableName: await db.newTable() });
    targets = new SimulatedTargets();
    withApply = true;
    const metrics = [{ ...REQUEST_COUNT, periodSeconds: 300 }];
    for (const [id, level, seed] of [
      ['shop-web', 1200, 1],
      ['shop-api', 600, 2],
    ] as const) {
      await store.createTwin(
        requestCountTwin(id, 100, { metrics, tags: TENANT, policy: { maxStep: 4, maxInstances: 40 } }),
      );
      await store.appendSamples(id, 'requests', load(level, seed));
    }
    await store.createTwin(requestCountTwin('blog', 100, { metrics }));
    targets.add(
      { kind: 'asg', autoScalingGroupName: 'shop-web' },
      {
        capacity: 40,
        running: 40,
        min: 2,
        max: 60,
        managed: true,
        mixedInstances: [{ instanceType: 'm7g.large' }],
      },
    );
    targets.add(
      { kind: 'asg', autoScalingGroupName: 'shop-api' },
      { capacity: 10, running: 10, min: 1, max: 40, managed: true },
    );
    const ports = { store, workflows: noWorkflows, now: () => NOW };
    api = createApi({
      ...ports,
      applyMix: (req) =>
        withApply
          ? applyMix(req, { target: targets, controls: () => store.getControls() })
          : Promise.reject(new Error('unused')),
    });
  });

  afterAll(async () => {
    await db?.stop();
  });

  const plan = async (body: Record<string, unknown> = {}) =>
    call('POST', '/groups/shop/capacity-plan', { seed: 5, ...body });

  test('GET /groups lists the tenants with their members; untagged twins belong to none', async () => {
    const r = await call('GET', '/groups');

    expect(r).toEqual({
      status: 200,
      body: { tagKey: 'twinscale:tenant', items: [{ tenant: 'shop', members: ['shop-api', 'shop-web'] }] },
    });
  });

  test('GET /groups/{tenant}: the day ahead hour by hour, never wider than the sum of quantiles; cost and SLO', async () => {
    await store.putRecord('shop-web', 'decision', {
      id: 'd1',
      at: new Date(NOW - 6 * 60 * MIN).toISOString(),
      desired: 20,
      reason: {},
      action: 'recorded-only',
    });

    const r = await call('GET', '/groups/shop');

    expect(r.status).toBe(200);
    const { forecast, cost, slo } = r.body;
    expect(forecast.hours).toHaveLength(24);
    expect(forecast.firstHour).toBe('2026-11-23T13:00:00.000Z');
    expect(forecast.correlation).toMatchObject({ method: 'estimated', twins: ['shop-api', 'shop-web'] });
    for (const h of forecast.hours) {
      expect(h.p90).toBeLessThanOrEqual(h.sumOfP90 + 1e-9);
      expect(h.p50).toBeGreaterThan(5);
    }
    // 6 hours at 20 m7g.large (the reference type) at $0.0816
    const web = cost.members.find((m: { twinId: string }) => m.twinId === 'shop-web');
    expect(web).toMatchObject({ instanceType: 'm7g.large', pricePerHour: 0.0816 });
    // the first 5-minute sample of the day opens the window: 20 instances over 5 h 55 min to 6 h
    expect(web.outcome.instanceHours).toBeGreaterThan(118);
    expect(web.outcome.instanceHours).toBeLessThanOrEqual(120);
    expect(cost.cost).toBeCloseTo(web.outcome.instanceHours * 0.0816, 2);
    expect(slo).toMatchObject({ breachMinutes: expect.any(Number), unservedPct: expect.any(Number) });
    expect(r.body.latestPlan).toBeNull();
  });

  test('members on bigger instance types count in reference instances: capacity per instance over the type’s relative capacity', async () => {
    // the same load on two tenants: one on the reference type at 100 an instance, one on
    // c7g.xlarge (2 reference instances) at 200 an instance: both need the same reference capacity
    const metrics = [{ ...REQUEST_COUNT, periodSeconds: 300 }];
    await store.createTwin(
      requestCountTwin('small-a', 100, { metrics, tags: { 'twinscale:tenant': 'small' } }),
    );
    await store.createTwin(
      requestCountTwin('big-a', 200, {
        metrics,
        tags: { 'twinscale:tenant': 'big', 'twinscale:instance-type': 'c7g.xlarge' },
      }),
    );
    for (const id of ['small-a', 'big-a']) await store.appendSamples(id, 'requests', load(900, 7));

    const small = (await call('GET', '/groups/small')).body.forecast.hours;
    const big = (await call('GET', '/groups/big')).body.forecast.hours;

    for (let h = 0; h < 24; h++) expect(big[h].p50).toBeCloseTo(small[h].p50, 6);
  });

  test('POST capacity-plan: a stored recommendation meeting the quantile every hour, no dearer than one type', async () => {
    const started = performance.now();
    const r = await plan();
    const ms = performance.now() - started;

    expect(r.status).toBe(201);
    const p = r.body;
    expect(p).toMatchObject({ tenant: 'shop', status: 'recommended', quantile: 0.9, targetUtilization: 0.6 });
    expect(p.hours).toHaveLength(24);
    for (const h of p.hours) {
      expect(h.capacity).toBeGreaterThanOrEqual(h.required - 1e-6);
      expect(h.required).toBeCloseTo(h.demand.quantile / 0.6, 2);
    }
    expect(p.cost).toBeLessThanOrEqual(p.singleType.cost);
    expect(p.check.scenarios.map((s: { breachMinutes: number }) => s.breachMinutes)).toEqual([0, 0]);
    expect((await call('GET', '/groups/shop')).body.latestPlan.id).toBe(p.id);
    expect(
      (await call('GET', '/groups/shop/capacity-plans')).body.items.map((x: { id: string }) => x.id),
    ).toEqual([p.id]);
    console.info(`capacity plan (2 members, 8 types): ${ms.toFixed(0)} ms, ${p.search.evaluations} genomes`);
    expect(ms).toBeLessThan(10_000);
  });

  test('a plan at 95 % utilization fails the simulator check and is stored as such', async () => {
    const r = await plan({ targetUtilization: 0.95 });

    expect(r.status).toBe(201);
    expect(r.body.status).toBe('failed-check');
    expect(r.body.check.passed).toBe(false);
  });

  test('bad bodies are 400s naming the fields', async () => {
    const r = await plan({
      quantile: 0.3,
      targetUtilization: 2,
      catalog: { referenceType: 'x1.large', types: [] },
      extra: 1,
    });

    expect(r.status).toBe(400);
    expect(fields(r)).toEqual([
      'body.catalog.referenceType',
      'body.catalog.types',
      'body.extra',
      'body.quantile',
      'body.targetUtilization',
    ]);
  });

  test('a catalog that cannot supply the peak: 422 saying which hour and by how much', async () => {
    const r = await plan({
      catalog: {
        referenceType: 'm7g.large',
        types: [{ name: 'm7g.large', vCPU: 2, memoryGiB: 8, pricePerHour: 0.0816, maxCount: 3 }],
      },
    });

    expect(r.status).toBe(422);
    expect(r.body.error).toBe('infeasible');
    expect(r.body.message).toMatch(
      /^hour \d+ needs [\d.]+ reference instances, and the catalog supplies at most 3 /,
    );
  });

  test('PUT /catalog stores it, GET /catalog reads it back; before that the example list', async () => {
    expect((await call('GET', '/catalog')).body).toMatchObject({
      source: 'default',
      referenceType: 'm7g.large',
    });
    const catalog = {
      referenceType: 'c7g.large',
      types: [
        { name: 'c7g.large', vCPU: 2, memoryGiB: 4, pricePerHour: 0.0725 },
        { name: 'c7g.xlarge', vCPU: 4, memoryGiB: 8, pricePerHour: 0.145 },
      ],
    };

    expect((await call('PUT', '/catalog', catalog)).status).toBe(200);
    const read = await call('GET', '/catalog');
    const bad = await call('PUT', '/catalog', { ...catalog, referenceType: 'm5.large' });

    expect(read.body).toMatchObject({ ...catalog, source: 'stored', currency: 'USD' });
    expect(bad.status).toBe(400);
    expect(fields(bad)).toEqual(['body.referenceType']);
  });

  test('relative capacity left out is measured on twins of one family on two types; GET /catalog and the plan say where each came from', async () => {
    // two storefronts outside the tenant: the same family and load metric, on large and xlarge,
    // with capacity models fitted from their own load and CPU (a line, not a number set by hand)
    const fitted = (c: number) => ({ ...fittedCapacity(c), idleUtilization: 5, utilizationPerLoad: 60 / c });
    for (const [id, type, capacity] of [
      ['storefront-eu', 'c7g.large', 100],
      ['storefront-us', 'c7g.xlarge', 190],
    ] as const)
      await store.createTwin(
        requestCountTwin(id, capacity, {
          family: 'storefront',
          tags: { 'twinscale:instance-type': type },
          capacityModel: fitted(capacity),
        }),
      );
    const types = [
      { name: 'c7g.large', vCPU: 2, memoryGiB: 4, pricePerHour: 0.0725 },
      { name: 'c7g.xlarge', vCPU: 4, memoryGiB: 8, pricePerHour: 0.145 },
      { name: 'c7g.2xlarge', vCPU: 8, memoryGiB: 16, pricePerHour: 0.29 },
    ];
    await call('PUT', '/catalog', { referenceType: 'c7g.large', types });

    const read = await call('GET', '/catalog');
    const p = await plan();
    await call('PUT', '/catalog', {
      referenceType: 'c7g.large',
      types: types.map((t) => (t.name === 'c7g.xlarge' ? { ...t, relativeCapacity: 2 } : t)),
    });
    const declared = await call('GET', '/catalog');

    // the catalog reads back as put (a client may PUT it back unchanged); asPlanned beside it
    expect(read.body.types).toEqual(types);
    const from = (t: { name: string; relativeCapacity: number; relativeCapacityFrom: string }) => [
      t.name,
      t.relativeCapacity,
      t.relativeCapacityFrom,
    ];
    expect(read.body.asPlanned.map(from)).toEqual([
      ['c7g.large', 1, 'vCPU (the reference type)'],
      ['c7g.xlarge', 1.9, 'measured (2 twins in family storefront, against c7g.large)'],
      ['c7g.2xlarge', 4, 'vCPU (8 against 2 on c7g.large)'],
    ]);
    expect(p.status).toBe(201);
    expect(p.body.types.map(from)).toEqual(read.body.asPlanned.map(from));
    expect(p.body.types[1].relativeCapacitySource).toBe('measured');
    expect(declared.body.asPlanned[1]).toMatchObject({
      relativeCapacity: 2,
      relativeCapacitySource: 'declared',
      measured: { relativeCapacity: 1.9, twins: ['storefront-eu', 'storefront-us'] },
    });
  });

  test('apply: weights and desired on the mixed-instances group within the max step; the other member refused', async () => {
    await plan();

    const r = await call('POST', '/groups/shop/capacity-plan/apply', {});

    expect(r.status).toBe(200);
    const [api, web] = r.body.results;
    expect(api).toMatchObject({
      twinId: 'shop-api',
      refused: expect.stringMatching(/no mixed-instances policy/),
    });
    // about 19 units asked for from 40: the max step (4) holds it at 36
    expect(web).toMatchObject({
      twinId: 'shop-web',
      action: 'applied',
      from: 40,
      desired: 36,
      boundBy: 'max-step',
    });
    const state = await targets.describe({ kind: 'asg', autoScalingGroupName: 'shop-web' });
    expect(state.capacity).toBe(web.desired);
    expect(state.mixedInstances).toEqual(web.weights);
    expect(web.weights.every((w: { weightedCapacity: number }) => w.weightedCapacity >= 1)).toBe(true);
    expect((await call('GET', '/groups/shop')).body.latestPlan.applications).toHaveLength(1);
  });

  test('apply refused: a member not in a mixed-instances group (409), unmanaged, or scaled by its loop', async () => {
    await plan();
    const apiOnly = await call('POST', '/groups/shop/capacity-plan/apply', { twinId: 'shop-api' });
    targets.add(
      { kind: 'asg', autoScalingGroupName: 'shop-web' },
      { capacity: 20, running: 20, min: 2, max: 60, managed: false, mixedInstances: [] },
    );
    const unmanaged = await call('POST', '/groups/shop/capacity-plan/apply', { twinId: 'shop-web' });
    const twin = await store.getTwin('shop-web');
    await store.updateTwin('shop-web', twin?.version ?? 0, {
      policy: { ...twin!.policy, mode: 'forecast-and-scale' },
    });
    const scaled = await call('POST', '/groups/shop/capacity-plan/apply', { twinId: 'shop-web' });

    expect(apiOnly.status).toBe(409);
    expect(apiOnly.body.message).toMatch(
      /shop-api: Auto Scaling group "shop-api" has no mixed-instances policy/,
    );
    expect(unmanaged.status).toBe(409);
    expect(unmanaged.body.message).toMatch(/is not tagged twinscale:managed=true/);
    expect(scaled.status).toBe(409);
    expect(scaled.body.message).toMatch(/forecast-and-scale mode/);
    expect(targets.changes).toEqual([]);
  });

  test('apply with the kill switch on records only; without scaling rights the API says 501', async () => {
    await plan();
    await store.putControls({ actuationPaused: true, reason: 'game day' });

    const paused = await call('POST', '/groups/shop/capacity-plan/apply', { twinId: 'shop-web' });
    api = createApi({ store, workflows: noWorkflows, now: () => NOW });
    const noRights = await call('POST', '/groups/shop/capacity-plan/apply', {});

    expect(paused.body.results[0]).toMatchObject({
      action: 'recorded-only',
      message: expect.stringMatching(/game day/),
    });
    expect(targets.changes).toEqual([]);
    expect(noRights.status).toBe(501);
  });

  test('an unknown tenant, or a group without a plan, is a 404', async () => {
    expect((await call('GET', '/groups/nobody')).status).toBe(404);
    expect((await call('POST', '/groups/shop/capacity-plan/apply', {})).status).toBe(404);
  });
});
