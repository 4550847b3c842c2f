import { DynamoTwinStore } from '../../layers/aws/dynamo/dynamo-twin-store.js';
import { planBatch } from '../../layers/core/loop/plan-batch.js';
import type { DriftAlert } from '../../layers/core/twin/drift-watch.js';
import { requestCountTwin } from '../../local/fixtures/twins.js';
import { SimulatedTargets } from '../../local/targets/simulated-targets.js';
import { type LocalDynamo, startDynalite } from '../support/dynalite.js';

const NOW = Date.parse('2026-11-23T12:00:00.000Z');
const MIN = 60_000;
const SHIFT_AT = NOW + 120 * MIN;

/**
 * Two days of per-minute requests around 300/min with a deterministic wobble, and four hours
 * after NOW; `shifted`: from NOW + 2 h the load doubles.
 */
const requests = (shifted: boolean, shiftMinutes = Number.POSITIVE_INFINITY, minutes = 240) =>
  Array.from({ length: 2 * 1440 + minutes }, (_, i) => {
    const t = NOW - 2 * 1440 * MIN + i * MIN;
    const v = 300 + 60 * Math.sin((2 * Math.PI * i) / 1440) + 15 * Math.sin(i * 2.3) + 10 * Math.cos(i * 0.7);
    const doubled = shifted && t >= SHIFT_AT && t < SHIFT_AT + shiftMinutes * MIN;
    return { t, v: Math.round(doubled ? 2 * v : v) };
  });

describe('planBatch drift watch, on dynalite', () => {
  let db: LocalDynamo;

  beforeAll(async () => {
    db = await startDynalite();
  });
  afterAll(async () => {
    await db?.stop();
  });

  /** Cycles every 5 minutes from NOW for four hours; what was recorded and alerted. */
  async function run(shifted: boolean, shiftMinutes?: number, minutes = 240) {
    const store = new DynamoTwinStore(db.client, { tableName: await db.newTable() });
    const targets = new SimulatedTargets();
    await store.createTwin(requestCountTwin('web', 100, { policy: { mode: 'forecast-only' } }));
    await store.appendSamples('web', 'requests', requests(shifted, shiftMinutes, minutes));
    targets.add(
      { kind: 'asg', autoScalingGroupName: 'web' },
      { capacity: 6, running: 6, min: 1, max: 40, managed: true },
    );
    const alerts: DriftAlert[] = [];
    const versions: number[] = [];
    for (let m = 0; m < minutes; m += 5) {
      await planBatch(
        {
          store,
          target: targets,
          isTransient: () => false,
          scheduleMinutes: 5,
          alerts: { publish: async (a) => void alerts.push(a) },
        },
        { now: new Date(NOW + m * MIN).toISOString(), twins: { first: 'web', last: 'web', count: 1 } },
      );
      versions.push((await store.getTwin('web'))?.version ?? 0);
    }
    const drift = (await store.listRecords('web', 'drift')).items;
    const twin = await store.getTwin('web');
    const lastForecast = (await store.listRecords('web', 'forecast', { limit: 1 })).items[0];
    return { drift, twin, alerts, versions, lastForecast };
  }

  test('a doubled load is flagged within half an hour: a drifting record, the twin recalibrating, one alert', async () => {
    // Act
    const { drift, twin, alerts, lastForecast } = await run(true);
    // Assess
    expect(drift).toHaveLength(1);
    expect(drift[0]).toMatchObject({ metric: 'requests', status: 'drifting', direction: 'up' });
    expect(drift[0].score).toBeGreaterThanOrEqual(1);
    expect(Date.parse(drift[0].at)).toBeGreaterThan(SHIFT_AT);
    expect(Date.parse(drift[0].at)).toBeLessThanOrEqual(SHIFT_AT + 30 * MIN);
    expect(twin?.calibration).toMatchObject({ metric: 'requests', direction: 'up', bandScale: 1.5 });
    expect(Date.parse(twin?.calibration?.widenUntil ?? '')).toBe(Date.parse(drift[0].at) + 6 * 60 * MIN);
    expect(alerts).toEqual([expect.objectContaining({ twinId: 'web', status: 'drifting', direction: 'up' })]);
    // the planner plans on the widened band meanwhile
    expect(lastForecast.model).toContain('band ×1.5 after drift');
  }, 60_000);

  test('a steady load writes no drift record, never touches the twin and alerts nobody', async () => {
    // Act
    const { drift, twin, alerts, versions } = await run(false);
    // Assess
    expect(drift).toHaveLength(0);
    expect(alerts).toHaveLength(0);
    expect(twin?.calibration ?? undefined).toBeUndefined();
    expect(new Set(versions)).toEqual(new Set([1]));
  }, 60_000);

  test('a drift that passes is settled once the widening is over: a recalibrated record, the calibration cleared, a second alert', async () => {
    // Act: the load doubles for an hour only; cycles for ten hours
    const { drift, twin, alerts } = await run(true, 60, 600);
    // Assess: newest first
    expect(drift.map((d) => d.status)).toEqual(['recalibrated', 'drifting']);
    expect(Date.parse(drift[0].at)).toBeGreaterThanOrEqual(Date.parse(drift[1].at) + 6 * 60 * MIN);
    expect(twin?.calibration ?? null).toBeNull();
    expect(alerts.map((a) => a.status)).toEqual(['drifting', 'recalibrated']);
  }, 120_000);
});
