import { liveOutlook, SLOT_MS } from '../../../layers/core/policy/live-plan.js';
import { recentMAE, type UpstreamLoad } from '../../../layers/core/policy/upstream-outlook.js';
import { seededRandom } from '../../../layers/core/seeded-random.js';
import type { RecordOf } from '../../../layers/core/store/records.js';
import { type Twin, TwinSchema } from '../../../layers/core/twin/twin.js';
import { fittedCapacity, REQUEST_COUNT } from '../../../local/fixtures/twins.js';

const MIN = 60_000;
const NOW = Date.parse('2026-11-23T12:00:00.000Z');
const DAY = 1440;
const LAG = 20;
const STEP_AT = NOW - 10 * MIN;

const twin = (id: string): Twin =>
  TwinSchema.parse({
    id,
    target: { kind: 'asg', autoScalingGroupName: id },
    metrics: [REQUEST_COUNT],
    policy: { targetUtilization: 0.5, maxStep: 100 },
    capacityModel: fittedCapacity(100),
    source: 'registered',
    version: 1,
    createdAt: '2026-11-01T00:00:00.000Z',
    updatedAt: '2026-11-01T00:00:00.000Z',
  });

/** The upstream's load per minute at t: a daily cycle and noise, stepping up by 800 ten minutes before now. */
const rnd = seededRandom(7);
const noise = new Map<number, number>();
const upAt = (t: number) => {
  if (!noise.has(t)) noise.set(t, (rnd() - 0.5) * 30);
  return (
    1000 + 400 * Math.sin((2 * Math.PI * (t / MIN)) / DAY) + (noise.get(t) ?? 0) + (t >= STEP_AT ? 800 : 0)
  );
};
const minutes = (days: number) => Array.from({ length: days * DAY }, (_, i) => NOW - (days * DAY - i) * MIN);
const upLoad = minutes(3).map((t) => ({ t, v: upAt(t) }));
/** The downstream: 0.5 × the upstream 20 minutes earlier, plus 100 of its own. */
const downLoad = minutes(3).map((t) => ({ t, v: 0.5 * upAt(t - LAG * MIN) + 100 }));

/** The upstream's forecast record of this cycle: it has seen its step. */
const upForecast = (at = NOW): RecordOf<'forecast'> => ({
  id: `forecast-${new Date(at).toISOString()}`,
  at: new Date(at).toISOString(),
  metric: 'requests',
  model: 'ets',
  points: Array.from({ length: 12 }, (_, h) => {
    const t = at + h * SLOT_MS;
    const v = upAt(t) + 15;
    return { t, p10: v - 10, p50: v, p90: v + 10 };
  }),
});

const upstream = (over: Partial<UpstreamLoad> = {}): UpstreamLoad => ({
  id: 'front',
  metric: twin('front').metrics[0],
  load: upLoad,
  forecasts: [upForecast()],
  edge: { ratio: 0.5, lagMinutes: LAG, confidence: 1, source: 'declared' },
  declared: { to: 'back', callRatio: 0.5, lagMinutes: LAG },
  ...over,
});

const target = { capacity: 20, running: 20, min: 1, max: 100, managed: true };
const outlook = (upstreams?: UpstreamLoad[]) =>
  liveOutlook({
    twin: twin('back'),
    load: downLoad,
    target,
    now: NOW,
    scheduleMinutes: 5,
    ...(upstreams ? { upstreams: { ownForecasts: [], upstreams } } : {}),
  });

describe('liveOutlook with upstreams', () => {
  test("follows the upstream's step a lag ahead of the own model", () => {
    // Prepare: the step reaches the downstream 10 minutes from now (slot 2 on)
    const expected = (h: number) => 0.5 * (upAt(NOW + h * SLOT_MS + 4 * MIN - LAG * MIN) + 15) + 100;

    // Act
    const own = outlook();
    const combined = outlook([upstream()]);

    // Assess
    expect(own.propagated).toBeUndefined();
    expect(combined.propagated?.upstreams[0].id).toBe('front');
    expect(combined.propagated?.upstreams[0].weight).toBeGreaterThan(0.5);
    expect(combined.forecast.model).toMatch(/propagated \+ front$/);
    for (const h of [4, 6, 8]) {
      const after = combined.forecast.p50[h];
      expect(Math.abs(after - expected(h))).toBeLessThan(Math.abs(own.forecast.p50[h] - expected(h)));
      expect(Math.abs(after - expected(h)) / expected(h)).toBeLessThan(0.1);
    }
  });

  test('an upstream that explains nothing is given almost no weight: about the own forecast', () => {
    const r = seededRandom(99);
    let walk = 0;
    const unrelated = upLoad.map((s) => {
      walk = 0.95 * walk + (r() - 0.5) * 400;
      return { t: s.t, v: 1500 + walk };
    });

    const own = outlook();
    const combined = outlook([upstream({ load: unrelated })]);

    expect(combined.propagated?.upstreams[0].weight).toBeLessThan(0.1);
    for (let h = 0; h < 12; h++)
      expect(Math.abs(combined.forecast.p50[h] - own.forecast.p50[h]) / own.forecast.p50[h]).toBeLessThan(
        0.05,
      );
  });

  test('an upstream whose newest forecast is older than two cycles is skipped: the own model alone', () => {
    const stale = outlook([upstream({ forecasts: [upForecast(NOW - 15 * MIN)] })]);
    const previous = outlook([upstream({ forecasts: [upForecast(NOW - 5 * MIN)] })]);

    expect(stale.propagated).toEqual({ own: 1, upstreams: [{ id: 'front', weight: 0 }] });
    expect(stale.forecast.p50).toEqual(outlook().forecast.p50);
    // the previous cycle's forecast is realigned to this origin and used
    expect(previous.propagated?.upstreams[0].weight).toBeGreaterThan(0.5);
  });

  test('an edge stored without estimates gets its ratio and lag from the two histories', () => {
    const combined = outlook([
      upstream({
        edge: { ratio: null, lagMinutes: null, confidence: 0, source: 'estimated' },
        declared: { to: 'back' },
      }),
    ]);

    expect(combined.propagated?.upstreams[0].weight).toBeGreaterThan(0.5);
  });

  test('an estimated edge follows the day just read, not what was stored; a declared one keeps its ratio', () => {
    // Prepare: the stored estimate is from a time front called back four times as much
    const stale = { ratio: 2, lagMinutes: 5, confidence: 0.9, source: 'estimated' as const };
    const expected = (h: number) => 0.5 * (upAt(NOW + h * SLOT_MS + 4 * MIN - LAG * MIN) + 15) + 100;

    // Act
    const estimated = outlook([upstream({ edge: stale, declared: { to: 'back' } })]);
    const declared = outlook([upstream()]);
    const declaredWrong = outlook([upstream({ edge: { ...stale, source: 'declared' } })]);

    // Assess
    expect(estimated.upstreamEstimates).toEqual([
      { id: 'front', seen: expect.objectContaining({ lagMinutes: LAG }) },
    ]);
    expect(estimated.upstreamEstimates?.[0].seen?.ratio).toBeCloseTo(0.5, 1);
    expect(declared.upstreamEstimates).toEqual([]);
    for (const h of [4, 6, 8]) {
      expect(estimated.forecast.p50[h]).toBeCloseTo(declared.forecast.p50[h], -1);
      expect(Math.abs(estimated.forecast.p50[h] - expected(h)) / expected(h)).toBeLessThan(0.1);
    }
    // the same wrong ratio, declared, is kept: it fits the day badly, so it is given less weight
    expect(declaredWrong.upstreamEstimates).toEqual([]);
    const weight = (o: typeof declared) => o.propagated?.upstreams[0].weight ?? 0;
    expect(weight(estimated)).toBeGreaterThan(0.5);
    expect(weight(declaredWrong)).toBeLessThan(weight(estimated) - 0.2);
  });

  test('an estimated edge with a declared lag keeps the lag, whatever the data say', () => {
    const edge = { ratio: 0.5, lagMinutes: 5, confidence: 0.9, source: 'estimated' as const };
    const withDeclaredLag = outlook([upstream({ edge, declared: { to: 'back', lagMinutes: 5 } })]);
    const estimatedLag = outlook([upstream({ edge, declared: { to: 'back' } })]);

    expect(withDeclaredLag.forecast.p50).not.toEqual(estimatedLag.forecast.p50);
    expect(estimatedLag.forecast.p50).toEqual(
      outlook([upstream({ edge: { ...edge, lagMinutes: LAG }, declared: { to: 'back' } })]).forecast.p50,
    );
  });
});

describe('recentMAE', () => {
  test("pairs every point of the records with the observed slot peak, ignoring another metric's", () => {
    const t0 = NOW - 4 * SLOT_MS;
    const peaks = Float64Array.from([10, 20, Number.NaN, 40]);
    const record = (metric: string, p50: number[]): RecordOf<'forecast'> => ({
      id: 'f',
      at: new Date(t0).toISOString(),
      metric,
      model: 'm',
      points: p50.map((v, h) => ({ t: t0 + h * SLOT_MS, p10: v, p50: v, p90: v })),
    });

    const mae = recentMAE(
      [record('requests', [12, 20, 30, 34, 99]), record('other', [0, 0])],
      peaks,
      { t0, slotMs: SLOT_MS },
      'requests',
    );

    // |10−12|, |20−20|, (no peak), |40−34|, (not yet observed)
    expect(mae).toBeCloseTo(8 / 3);
    expect(recentMAE([], peaks, { t0, slotMs: SLOT_MS })).toBeUndefined();
  });
});
