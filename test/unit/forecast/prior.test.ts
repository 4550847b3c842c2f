import {
  blendWeight,
  familyPrior,
  forecastWithPrior,
  type MemberHistory,
  memberProfile,
  ownHours,
  PRIOR_DEFAULTS,
  priorForecast,
  priorWeight,
  SHAPE_HOURS,
  shapeAt,
} from '../../../layers/core/forecast/prior.js';
import { forecastTwin } from '../../../layers/core/forecast/twin/index.js';
import { seededRandom } from '../../../layers/core/seeded-random.js';

const STEP = 5 * 60_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2024, 0, 1); // a Monday, 00:00 UTC

/** Load at time t: a daily wave peaking at 12:00 UTC, weekends at 60 %. */
const dailyWave = (t: number) => 1 + 0.5 * Math.sin((2 * Math.PI * ((t % DAY) / HOUR - 6)) / 24);
const weekend = (t: number) => {
  const dow = new Date(t).getUTCDay();
  return dow === 0 || dow === 6 ? 0.6 : 1;
};
const truth = (t: number) => dailyWave(t) * weekend(t);

/** `hours` of 5-minute load from `t0` at `level`, with ±`noise` relative noise. */
function series(t0: number, hours: number, level: number, noise = 0.05, seed = 1): Float64Array {
  const r = seededRandom(seed);
  return Float64Array.from(
    { length: (hours * HOUR) / STEP },
    (_, i) => level * truth(t0 + i * STEP) * (1 + noise * (2 * r() - 1)),
  );
}

const member = (id: string, level: number, seed: number, capacityPerInstance?: number): MemberHistory => ({
  id,
  history: series(T0, 14 * 24, level, 0.05, seed),
  t0: T0,
  stepMs: STEP,
  ...(capacityPerInstance ? { capacityPerInstance } : {}),
});

describe('Function: familyPrior', () => {
  it('extracts the daily and weekly shape of a synthetic pattern, normalised to mean 1', () => {
    // Act
    const prior = familyPrior([member('a', 100, 1), member('b', 400, 2)], '2024-01-15T00:00:00Z');
    // Assess: the shape follows the truth up to its mean, at every hour of the week
    expect(prior?.shape).toHaveLength(SHAPE_HOURS);
    const shape = prior?.shape ?? [];
    const mean = shape.reduce((a, b) => a + b, 0) / SHAPE_HOURS;
    expect(mean).toBeCloseTo(1, 6);
    let truthMean = 0;
    for (let k = 0; k < SHAPE_HOURS; k++) truthMean += truth(T0 + (k + 0.5) * HOUR) / SHAPE_HOURS;
    const errors = shape.map((v, k) => {
      const expected = truth(T0 + (k + 0.5) * HOUR) / truthMean;
      return Math.abs(v - expected) / expected;
    });
    errors.sort((a, b) => a - b);
    expect(errors[84]).toBeLessThan(0.05); // the median hour
    expect(errors[150]).toBeLessThan(0.15); // the weekend's edges are smoothed, its factor shrunk a little
    // Saturday noon against Monday noon: the weekend factor (0.6), shrunk a little towards 1 by two weeks
    const weekendRatio = shapeAt(shape, T0 + 5 * DAY + 12 * HOUR) / shapeAt(shape, T0 + 12 * HOUR);
    expect(weekendRatio).toBeGreaterThan(0.55);
    expect(weekendRatio).toBeLessThan(0.75);
  });

  it('keeps the members, the median level and capacity, and leaves out a member with under two days', () => {
    // Prepare
    const young: MemberHistory = { id: 'young', history: series(T0, 30, 50), t0: T0, stepMs: STEP };
    // Act
    const prior = familyPrior(
      [member('a', 100, 1, 80), member('b', 300, 2, 120), member('c', 200, 3), young],
      '2024-01-15T00:00:00Z',
    );
    // Assess
    expect(memberProfile(young)).toBeUndefined();
    expect(prior?.members).toEqual(['a', 'b', 'c']);
    expect(prior?.capacityPerInstance).toBe(100);
    // the members' mean levels (the truth's weekly mean is about 0.89 of the level)
    expect(prior?.level).toBeGreaterThan(0.85 * 200);
    expect(prior?.level).toBeLessThan(0.93 * 200);
    expect(prior?.noise).toBeGreaterThan(0);
    expect(familyPrior([young], '2024-01-15T00:00:00Z')).toBeUndefined();
  });
});

describe('Function: priorForecast', () => {
  const prior = familyPrior([member('a', 100, 1), member('b', 100, 2)], '2024-01-15T00:00:00Z');
  if (!prior) throw new Error('the test family has a prior');

  it("takes the level from the twin's own few hours (10× the family's), the shape from the family", () => {
    // Prepare: two hours of a new twin, 06:00–08:00 on a Tuesday, at ten times the family's level
    const t0 = T0 + 8 * DAY + 6 * HOUR;
    const input = { history: series(t0, 2, 1000, 0.05, 9), t0, stepMs: STEP, horizon: 12 };
    // Act
    const f = priorForecast(prior, input);
    // Assess: within 6 % of the truth an hour ahead, on the morning ramp
    for (const h of [0, 11]) {
      const expected = 1000 * truth(t0 + 2 * HOUR + h * STEP);
      expect(Math.abs(f.p50[h] - expected) / expected).toBeLessThan(0.06);
    }
    expect(f.p50[11]).toBeGreaterThan(f.p50[0]);
  });

  it("falls back to the family's level only without any own data", () => {
    // Prepare
    const t0 = T0 + 8 * DAY + 6 * HOUR;
    const input = { history: new Float64Array(24).fill(Number.NaN), t0, stepMs: STEP, horizon: 12 };
    // Act
    const f = forecastWithPrior(input, prior);
    // Assess
    const expected = 100 * truth(t0 + 2 * HOUR);
    expect(Math.abs(f.p50[0] - expected) / expected).toBeLessThan(0.15);
    expect(f.model).toBe('family prior (no own data yet)');
    expect(f.p90[0] / f.p10[0]).toBeGreaterThan(3); // one member: the level could be far off
  });

  it('has a wider band while the twin relies on the prior (2 h of history) than after 3 days', () => {
    // Prepare: the same twin, young and older, forecast from the same origin
    const origin = T0 + 9 * DAY + 8 * HOUR;
    const all = series(origin - 72 * HOUR, 72, 1000, 0.05, 4);
    const at = (hours: number) => ({
      history: all.subarray(all.length - (hours * HOUR) / STEP),
      t0: origin - hours * HOUR,
      stepMs: STEP,
      horizon: 12,
    });
    // Act
    const young = priorForecast(prior, at(2));
    const older = priorForecast(prior, at(72));
    // Assess
    const width = (f: typeof young) => (f.p90[11] - f.p10[11]) / f.p50[11];
    expect(width(young)).toBeGreaterThan(1.3 * width(older));
    expect(width(young)).toBeGreaterThan(2 * 1.2816 * PRIOR_DEFAULTS.shapeMismatch * 0.8);
  });
});

describe('Function: priorWeight and blendWeight', () => {
  it('gives the prior all the weight with no history, less and less with more, none from a week on', () => {
    const weights = [0, 2, 6, 24, 48, 167, 168, 500].map((h) => priorWeight(h));
    expect(weights[0]).toBe(1);
    for (let i = 1; i < weights.length; i++) expect(weights[i]).toBeLessThanOrEqual(weights[i - 1]);
    expect(weights[2]).toBeGreaterThan(weights[3]);
    expect(weights.slice(6)).toEqual([0, 0]);
    expect(priorWeight(PRIOR_DEFAULTS.halfWeightHours)).toBeCloseTo(0.5 * (1 - 12 / 168), 9);
  });

  it("lowers the prior's weight when its backtest on the twin's own data is worse than the own model's, never raises it", () => {
    const w = priorWeight(24);
    expect(blendWeight(24, { backtestMAE: 10 }, { backtestMAE: 40, backtestOrigins: 200 })).toBeLessThan(
      0.2 * w,
    );
    expect(blendWeight(24, { backtestMAE: 40 }, { backtestMAE: 10, backtestOrigins: 200 })).toBe(w);
    expect(blendWeight(24, {}, { backtestMAE: 40, backtestOrigins: 200 })).toBe(w);
    // two origins say little: the weight stays near the shrinkage's
    expect(blendWeight(24, { backtestMAE: 10 }, { backtestMAE: 40, backtestOrigins: 2 })).toBeGreaterThan(
      0.7 * w,
    );
  });
});

describe('Function: forecastWithPrior', () => {
  const prior = familyPrior([member('a', 100, 1), member('b', 100, 2)], '2024-01-15T00:00:00Z');

  it("is exactly the own model's forecast from a week of history on, and without a prior", () => {
    // Prepare
    const input = { history: series(T0, 170, 300), t0: T0, stepMs: STEP, horizon: 12 };
    // Act
    const withPrior = forecastWithPrior(input, prior);
    const without = forecastWithPrior(input, undefined);
    // Assess
    expect(ownHours(input)).toBeGreaterThanOrEqual(168);
    expect(withPrior).toEqual(forecastTwin(input));
    expect(without).toEqual(forecastTwin(input));
  });

  it('blends the prior in while the twin is young, and says so in the model', () => {
    // Prepare
    const t0 = T0 + 8 * DAY + 6 * HOUR;
    const input = { history: series(t0, 2, 1000, 0.05, 9), t0, stepMs: STEP, horizon: 12 };
    // Act
    const f = forecastWithPrior(input, prior);
    // Assess
    expect(f.model).toMatch(/\+ family prior \d+ %$/);
    const expected = 1000 * truth(t0 + 2 * HOUR + 11 * STEP);
    expect(Math.abs(f.p50[11] - expected) / expected).toBeLessThan(0.08);
  });
});
