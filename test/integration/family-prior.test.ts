import { DynamoTwinStore } from '../../layers/aws/dynamo/dynamo-twin-store.js';
import { planBatch } from '../../layers/core/loop/plan-batch.js';
import { seededRandom } from '../../layers/core/seeded-random.js';
import type { TwinStore } from '../../layers/core/store/twin-store.js';
import { requestCountTwin } from '../../local/fixtures/twins.js';
import { SimulatedTargets } from '../../local/targets/simulated-targets.js';
import { type LocalDynamo, startDynalite } from '../support/dynalite.js';

// 09:00 UTC on a Monday: the family's morning ramp
const NOW = Date.parse('2026-11-23T09:00:00.000Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** The family's shape: a daily wave, lowest at 00:00, highest at 12:00 UTC. */
const shape = (t: number) => 1 + 0.6 * Math.sin((2 * Math.PI * ((t % DAY) / HOUR - 6)) / 24);

/** Requests a minute at `level` × the shape, ±3 % seeded noise, over [from, to). */
function load(level: number, from: number, to: number, seed: number) {
  const random = seededRandom(seed);
  const out: { t: number; v: number }[] = [];
  for (let t = from; t < to; t += MIN)
    out.push({ t, v: Math.round(level * shape(t) * (1 + 0.06 * (random() - 0.5))) });
  return out;
}

describe('planBatch with a family prior, on dynalite', () => {
  let db: LocalDynamo;

  beforeAll(async () => {
    db = await startDynalite();
  });
  afterAll(async () => {
    await db?.stop();
  });

  /** Two members of family `web` with a week of load (capacities 100 and 140), and a new twin. */
  async function setUp(newTwin: Parameters<TwinStore['createTwin']>[0]) {
    const store = new DynamoTwinStore(db.client, { tableName: await db.newTable() });
    const targets = new SimulatedTargets();
    for (const [id, level, capacity] of [
      ['web-eu', 200, 100],
      ['web-ap', 500, 140],
    ] as const) {
      await store.createTwin(requestCountTwin(id, capacity, { family: 'web' }));
      await store.appendSamples(id, 'requests', load(level, NOW - 7 * DAY, NOW, capacity));
    }
    await store.createTwin(newTwin);
    // the new twin: two hours of history at three times the family's smaller level
    await store.appendSamples(newTwin.id, 'requests', load(600, NOW - 2 * HOUR, NOW, 3));
    targets.add(
      { kind: 'asg', autoScalingGroupName: newTwin.id },
      { capacity: 10, running: 10, min: 1, max: 100, managed: true },
    );
    return { store, targets };
  }

  const cycle = (store: TwinStore, targets: SimulatedTargets, id: string) =>
    planBatch(
      { store, target: targets, isTransient: () => false, scheduleMinutes: 5 },
      { now: new Date(NOW).toISOString(), twins: { first: id, last: id, count: 1 } },
    );

  test("a new twin of a family gets the family's prior in its first cycle and forecasts the family's morning ramp at its own level; the family's capacity plans it, said so", async () => {
    // Prepare: no capacity model, no CPU metric
    const { store, targets } = await setUp(
      requestCountTwin('web-us', 100, { family: 'web', capacityModel: undefined }),
    );
    // Act
    const result = await cycle(store, targets, 'web-us');
    // Assess
    expect([result.planned, result.failed]).toEqual([1, 0]);
    const twin = await store.getTwin('web-us');
    expect(twin?.prior?.members).toEqual(['web-eu', 'web-ap']);
    expect(twin?.prior?.capacityPerInstance).toBe(120);
    expect(twin?.prior?.fittedAt).toBe('2026-11-23T09:00:00.000Z');
    const [forecast] = (await store.listRecords('web-us', 'forecast')).items;
    expect(forecast.model).toMatch(/family prior \d+ %/);
    // the slot peaks of the next hour rise with the family's shape, at the new twin's level
    const last = forecast.points.at(-1);
    const truth = 600 * shape(last?.t ?? 0);
    expect(Math.abs((last?.p50 ?? 0) - truth) / truth).toBeLessThan(0.08);
    expect(last?.p50 ?? 0).toBeGreaterThan(1.03 * (forecast.points[0]?.p50 ?? 0));
    const [decision] = (await store.listRecords('web-us', 'decision')).items;
    expect(decision.reason.capacityPerInstance).toBe(120);
    expect(decision.reason.capacityFrom).toMatch(/^family prior: median capacity of web-eu, web-ap/);
  }, 60_000);

  test('a new twin without a family plans exactly as before: no prior, its own model only', async () => {
    // Prepare
    const { store, targets } = await setUp(requestCountTwin('web-solo', 100));
    // Act
    const result = await cycle(store, targets, 'web-solo');
    // Assess
    expect([result.planned, result.failed]).toEqual([1, 0]);
    const twin = await store.getTwin('web-solo');
    expect(twin?.prior).toBeUndefined();
    expect(twin?.version).toBe(1);
    const [forecast] = (await store.listRecords('web-solo', 'forecast')).items;
    expect(forecast.model).toMatch(/^twin\[/);
    expect(forecast.model).not.toMatch(/prior/);
    const [decision] = (await store.listRecords('web-solo', 'decision')).items;
    expect(decision.reason.capacityFrom).toBeUndefined();
  }, 60_000);
});
