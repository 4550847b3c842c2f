import { DynamoTwinStore } from '../../layers/aws/dynamo/dynamo-twin-store.js';
import { createApi } from '../../layers/core/api/router.js';
import { inParallel } from '../../layers/core/in-parallel.js';
import { planBatch } from '../../layers/core/loop/plan-batch.js';
import { seededRandom } from '../../layers/core/seeded-random.js';
import type { TwinStore } from '../../layers/core/store/twin-store.js';
import { REQUEST_COUNT, requestCountTwin } from '../../local/fixtures/twins.js';
import { SimulatedTargets } from '../../local/targets/simulated-targets.js';
import { apiClient, noWorkflows } from '../support/api-client.js';
import { type LocalDynamo, startDynalite } from '../support/dynalite.js';

const NOW = Date.parse('2026-11-23T12:00:00.000Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

const CPU = {
  key: 'cpu',
  role: 'utilization',
  namespace: 'AWS/EC2',
  metricName: 'CPUUtilization',
  stat: 'Average',
} as const;

/** The truth: CPU % = 5 + 0.95 × requests per instance and minute; 100 a minute fill an instance. */
const IDLE = 5;
const CAPACITY = 100;

/** Three days of minutes before NOW, and the hour after it. */
const minutes = Array.from({ length: 3 * 1440 + 60 }, (_, i) => NOW - 3 * DAY + i * MIN);
/** Requests a minute: 200 ± 150 over the day, and a wobble. */
const requestsAt = (t: number) => {
  const i = (t - minutes[0]) / MIN;
  return Math.round(200 + 150 * Math.sin((2 * Math.PI * i) / 1440) + 15 * Math.sin(i * 2.3));
};
/** The fleet: 4 to 7 instances, a step every 3 hours (so load per instance varies apart from load). */
const instancesAt = (t: number) => 4 + (Math.floor(t / (3 * HOUR)) % 4);
/** One-minute CPU on the true line, ±4 % of seeded noise, and a spike of +30 % one minute in fifty. */
const noise = (() => {
  const random = seededRandom(7);
  return minutes.map(() => 8 * (random() - 0.5) + (random() < 0.02 ? 30 : 0));
})();
const cpuAt = (t: number, i: number) =>
  IDLE + ((100 - IDLE) / CAPACITY) * (requestsAt(t) / instancesAt(t)) + noise[i];

/** The store, noting each multi-day read (CPU over a day, decisions by pages of 100) and its cycle. */
function counted(store: TwinStore, cycle: () => number) {
  const longReads: string[] = [];
  const at = () => new Date(cycle()).toISOString().slice(11, 16);
  const proxy = new Proxy(store, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (name === 'readSamples')
        return (id: string, metric: string, from: number, to: number) => {
          if (metric === 'cpu' && to - from > DAY) longReads.push(`${at()} cpu`);
          return target.readSamples(id, metric, from, to);
        };
      if (name === 'listRecords')
        return (id: string, kind: string, page?: { limit?: number }) => {
          if (kind === 'decision' && page?.limit === 100) longReads.push(`${at()} decisions`);
          return (value as TwinStore['listRecords']).call(target, id, kind as 'decision', page);
        };
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { proxy, longReads };
}

describe('planBatch capacity model upkeep, on dynalite', () => {
  let db: LocalDynamo;

  beforeAll(async () => {
    db = await startDynalite();
  });
  afterAll(async () => {
    await db?.stop();
  });

  /**
   * A twin with requests and CPU and no capacity model: three days of load and fleet (a decision
   * record every 5 minutes, as the planner leaves them) and CPU from `cpuFrom` on.
   */
  async function setUp(cpuFrom: number) {
    const store = new DynamoTwinStore(db.client, { tableName: await db.newTable() });
    await store.createTwin(
      requestCountTwin('web', CAPACITY, { metrics: [REQUEST_COUNT, CPU], capacityModel: undefined }),
    );
    await store.appendSamples(
      'web',
      'requests',
      minutes.map((t) => ({ t, v: requestsAt(t) })),
    );
    await store.appendSamples(
      'web',
      'cpu',
      minutes.flatMap((t, i) => (t >= cpuFrom ? [{ t, v: cpuAt(t, i) }] : [])),
    );
    const slots = Array.from({ length: 3 * 288 }, (_, i) => NOW - 3 * DAY + i * 5 * MIN);
    await inParallel(slots, 16, async (t) => {
      const at = new Date(t).toISOString();
      const n = instancesAt(t);
      await store.putRecord('web', 'decision', {
        id: `seeded-${t}`,
        at,
        desired: n,
        previous: n,
        reason: {},
        action: 'recorded-only',
      });
    });
    const targets = new SimulatedTargets();
    targets.add(
      { kind: 'asg', autoScalingGroupName: 'web' },
      { capacity: instancesAt(NOW), running: instancesAt(NOW), min: 1, max: 40, managed: true },
    );
    return { store, targets };
  }

  async function cycle(store: TwinStore, targets: SimulatedTargets, now: number) {
    await planBatch(
      { store, target: targets, isTransient: () => false, scheduleMinutes: 5 },
      { now: new Date(now).toISOString(), twins: { first: 'web', last: 'web', count: 1 } },
    );
  }

  test('a twin without a capacity model gets one fitted at the first hourly check, close to the truth, and the what-if routes accept it', async () => {
    // Prepare
    const { store, targets } = await setUp(minutes[0]);
    const api = createApi({ store, workflows: noWorkflows, now: () => NOW });
    const { call } = apiClient(() => api);
    const refused = await call('POST', '/twins/web/scenarios', {});
    // Act
    await cycle(store, targets, NOW);
    // Assess
    expect(refused.status).toBe(409);
    expect(refused.body.message).toMatch(/the forecast-and-plan loop fits one in its hourly check/);
    const twin = await store.getTwin('web');
    const model = twin?.capacityModel;
    expect(model?.capacityPerInstance).toBeGreaterThan(0.9 * CAPACITY);
    expect(model?.capacityPerInstance).toBeLessThan(1.1 * CAPACITY);
    expect(Math.abs((model?.idleUtilization ?? 0) - IDLE)).toBeLessThan(1.5);
    expect(model?.fittedAt).toBe(new Date(NOW).toISOString());
    const fits = (await call('GET', '/twins/web/capacity-fits')).body.items;
    expect(fits).toEqual([
      expect.objectContaining({
        at: '2026-11-23T12:00:00.000Z',
        metric: 'cpu',
        trigger: 'no-line',
        outcome: 'fitted',
        model,
      }),
    ]);
    expect(fits[0].slots).toBeGreaterThan(800);
    expect(fits[0].message).toContain('fitted on 864 slots of the last 3 days');
    const started = await call('POST', '/twins/web/scenarios', {});
    expect(started.status).toBe(202);
  }, 120_000);

  test('a model set by hand through the API serves until the loop fits one; a fit 3× from it is stored, its interval being tight', async () => {
    // Prepare
    const { store, targets } = await setUp(minutes[0]);
    const api = createApi({ store, workflows: noWorkflows, now: () => NOW - HOUR });
    const { call, fields } = apiClient(() => api);
    const badInterval = await call('PUT', '/twins/web/capacity-model', {
      capacityPerInstance: 300,
      low: 310,
      high: 330,
    });
    const put = await call('PUT', '/twins/web/capacity-model', {
      capacityPerInstance: 300,
      low: 270,
      high: 330,
    });
    // Act
    await cycle(store, targets, NOW);
    // Assess
    expect([badInterval.status, fields(badInterval)]).toEqual([400, ['body.low']]);
    expect([put.status, put.body.capacityModel]).toEqual([
      200,
      { capacityPerInstance: 300, low: 270, high: 330, fittedAt: '2026-11-23T11:00:00.000Z' },
    ]);
    const [fit] = (await store.listRecords('web', 'capacity-fit')).items;
    expect(fit).toMatchObject({ trigger: 'no-line', outcome: 'fitted', capacityBefore: 300 });
    expect(fit.message).toContain(
      'replacing the model of 2026-11-23T11:00:00.000Z (300.0 per instance, no line)',
    );
    expect((await store.getTwin('web'))?.capacityModel).toEqual(fit.model);
  }, 120_000);

  test('a twin with too little CPU gets a record saying why, and no second attempt within the day', async () => {
    // Prepare: CPU only for the two hours before NOW (24 slots), then on through the next hour
    const { store, targets } = await setUp(NOW - 2 * HOUR);
    let now = NOW;
    const { proxy, longReads } = counted(store, () => now);
    // Act: the hourly checks at 12:00 and 13:00 (by 13:00 there would be enough to fit)
    await cycle(proxy, targets, now);
    now += HOUR;
    await cycle(proxy, targets, now);
    // Assess
    const fits = (await store.listRecords('web', 'capacity-fit')).items;
    expect(fits).toEqual([
      expect.objectContaining({
        at: '2026-11-23T12:00:00.000Z',
        trigger: 'no-line',
        outcome: 'failed',
        slots: 24,
        problem: '24 usable samples: the capacity fit needs at least 30',
      }),
    ]);
    expect(fits[0].message).toContain('the twin has no model yet, and the next attempt is a day later');
    expect((await store.getTwin('web'))?.capacityModel).toBeUndefined();
    // one multi-day read, the 12:00 attempt's: CPU and the decisions' nine pages
    expect(new Set(longReads)).toEqual(new Set(['12:00 cpu', '12:00 decisions']));
  }, 120_000);
});
