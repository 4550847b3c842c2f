import { DynamoTwinStore } from '../../layers/aws/dynamo/dynamo-twin-store.js';
import { planBatch } from '../../layers/core/loop/plan-batch.js';
import type { TwinStore } from '../../layers/core/store/twin-store.js';
import type { DriftAlert } from '../../layers/core/twin/drift-watch.js';
import { REQUEST_COUNT, requestCountTwin } from '../../local/fixtures/twins.js';
import { SimulatedTargets } from '../../local/targets/simulated-targets.js';
import { type LocalDynamo, startDynalite } from '../support/dynalite.js';

const NOW = Date.parse('2026-11-23T12:00:00.000Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
/** From here each request costs 30 % more CPU: capacity per instance falls from 180 to 138.5. */
const DEARER_AT = NOW;
const INSTANCES = 6;

const CPU = {
  key: 'cpu',
  role: 'utilization',
  namespace: 'AWS/EC2',
  metricName: 'CPUUtilization',
  stat: 'Average',
} as const;

/** The model the twin was fitted with: CPU % = 10 + 0.5 × requests per instance and minute. */
const MODEL = {
  capacityPerInstance: 180,
  low: 170,
  high: 190,
  fittedAt: '2026-11-20T00:00:00.000Z',
  idleUtilization: 10,
  utilizationPerLoad: 0.5,
  kneeUtilization: null,
  residualSigma: 1,
  explained: 0.9,
  points: 800,
};

/** Two days of per-minute requests and six hours after NOW: 300/min ± 150 a day, and a wobble. */
const minutes = Array.from({ length: 2 * 1440 + 360 }, (_, i) => NOW - 2 * 1440 * MIN + i * MIN);
const requestsAt = (t: number) => {
  const i = (t - minutes[0]) / MIN;
  return Math.round(300 + 150 * Math.sin((2 * Math.PI * i) / 1440) + 15 * Math.sin(i * 2.3));
};
/** One-minute CPU on the model's line for the fleet of six, ±1 %; `dearer`: slope × 1.3 from DEARER_AT. */
const cpu = (dearer: boolean) =>
  minutes.map((t, i) => ({
    t,
    v: 10 + 0.5 * (dearer && t >= DEARER_AT ? 1.3 : 1) * (requestsAt(t) / INSTANCES) + Math.sin(i * 1.7),
  }));

/** The store, counting the reads the utilization watch adds: CPU over six hours, and decisions by the page. */
function counted(store: TwinStore, cycle: () => number) {
  const extraReads: number[] = [];
  const proxy = new Proxy(store, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (name === 'readSamples')
        return (id: string, metric: string, from: number, to: number) => {
          if (metric === 'cpu' && to - from > 3 * HOUR) extraReads.push(cycle());
          return target.readSamples(id, metric, from, to);
        };
      if (name === 'listRecords')
        return (id: string, kind: string, page?: { limit?: number }) => {
          // the planner's own listing of decisions pages by 10
          if (kind === 'decision' && page?.limit !== 10) extraReads.push(cycle());
          return (value as TwinStore['listRecords']).call(target, id, kind as 'decision', page);
        };
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { proxy, extraReads };
}

describe('planBatch utilization drift watch, on dynalite', () => {
  let db: LocalDynamo;

  beforeAll(async () => {
    db = await startDynalite();
  });
  afterAll(async () => {
    await db?.stop();
  });

  /** Cycles every 5 minutes from NOW for `hours`; what was recorded, alerted and read. */
  async function run(dearer: boolean, hours: number) {
    const store = new DynamoTwinStore(db.client, { tableName: await db.newTable() });
    let now = NOW;
    const { proxy, extraReads } = counted(store, () => now);
    const targets = new SimulatedTargets();
    await store.createTwin(
      requestCountTwin('web', 180, { metrics: [REQUEST_COUNT, CPU], capacityModel: MODEL }),
    );
    await store.appendSamples(
      'web',
      'requests',
      minutes.map((t) => ({ t, v: requestsAt(t) })),
    );
    await store.appendSamples('web', 'cpu', cpu(dearer));
    targets.add(
      { kind: 'asg', autoScalingGroupName: 'web' },
      { capacity: INSTANCES, running: INSTANCES, min: 1, max: 40, managed: true },
    );
    const alerts: DriftAlert[] = [];
    for (; now <= NOW + hours * HOUR; now += 5 * MIN) {
      await planBatch(
        {
          store: proxy,
          target: targets,
          isTransient: () => false,
          scheduleMinutes: 5,
          alerts: { publish: async (a) => void alerts.push(a) },
        },
        { now: new Date(now).toISOString(), twins: { first: 'web', last: 'web', count: 1 } },
      );
    }
    const drift = (await store.listRecords('web', 'drift')).items;
    const twin = await store.getTwin('web');
    return { drift, twin, alerts, extraReads };
  }

  test('a 30 % dearer request is flagged at the next hourly check, then the capacity model is refitted toward the new truth', async () => {
    // Act: 12:00 to 17:00
    const { drift, twin, alerts, extraReads } = await run(true, 5);
    // Assess: newest first; at 13:00 too little had arrived to refit, at 16:00 enough had
    expect(drift.map((d) => [d.at, d.metric, d.status])).toEqual([
      ['2026-11-23T16:00:00.000Z', 'cpu', 'drifting'],
      ['2026-11-23T13:00:00.000Z', 'cpu', 'drifting'],
    ]);
    const [refitted, flagged] = drift;
    expect(flagged).toMatchObject({ direction: 'up', capacityBefore: 180 });
    expect(flagged.score).toBeGreaterThanOrEqual(1);
    expect(flagged.refitProblem).toContain('at least 30');
    expect(flagged.message).toContain('cpu ran above what the capacity model predicts');
    // (100 − 10) / (0.5 × 1.3) = 138.5 per instance
    expect(refitted.capacityAfter).toBeGreaterThan(130);
    expect(refitted.capacityAfter).toBeLessThan(147);
    expect(twin?.capacityModel?.capacityPerInstance).toBe(refitted.capacityAfter);
    expect(twin?.capacityModel?.utilizationPerLoad).toBeCloseTo(0.65, 1);
    expect(twin?.calibration).toMatchObject({ metric: 'cpu', direction: 'up', bandScale: 1.5 });
    expect(Date.parse(twin?.calibration?.widenUntil ?? '')).toBe(Date.parse(flagged.at) + 6 * HOUR);
    // one episode, one alert
    expect(alerts).toEqual([
      expect.objectContaining({ twinId: 'web', metric: 'cpu', status: 'drifting', direction: 'up' }),
    ]);
    // the watch read only in the first cycle of an hour (two reads: CPU and decisions), and not at
    // all at 17:00, its episode widened with the model already refitted
    expect(extraReads.map((t) => new Date(t).toISOString().slice(11, 16))).toEqual([
      '12:00',
      '12:00',
      '13:00',
      '13:00',
      '14:00',
      '14:00',
      '15:00',
      '15:00',
      '16:00',
      '16:00',
    ]);
  }, 180_000);

  test('CPU on the model’s line writes nothing, leaves the twin alone and reads once an hour', async () => {
    // Act
    const { drift, twin, alerts, extraReads } = await run(false, 2);
    // Assess
    expect(drift).toHaveLength(0);
    expect(alerts).toHaveLength(0);
    expect(twin?.version).toBe(1);
    expect(twin?.capacityModel).toEqual(MODEL);
    expect(new Set(extraReads.map((t) => new Date(t).toISOString().slice(11, 16)))).toEqual(
      new Set(['12:00', '13:00', '14:00']),
    );
  }, 120_000);
});
