import { seasonalNaive } from '../../../layers/core/forecast/seasonal-naive.js';
import { forecastTwin, TwinForecaster } from '../../../layers/core/forecast/twin/index.js';
import type { ForecastInput } from '../../../layers/core/forecast/types.js';

const STEP = 5 * 60_000; // 5 minutes
const DAY = 288;
const T0 = Date.UTC(2024, 0, 1); // a Monday

/** Deterministic noise (a small LCG): tests must be reproducible. */
function noise(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1664525 + 1013904223) % 4294967296;
    return s / 4294967296 - 0.5;
  };
}

function series(slots: number, f: (t: number) => number, noiseAmp = 0, seed = 1): Float64Array {
  const r = noise(seed);
  return Float64Array.from({ length: slots }, (_, t) => f(t) + noiseAmp * r());
}

const daily = (t: number) => 100 + 40 * Math.sin((2 * Math.PI * t) / DAY);
const input = (history: Float64Array, horizon = DAY): ForecastInput => ({
  history,
  t0: T0,
  stepMs: STEP,
  horizon,
});
const mae = (a: ArrayLike<number>, b: (h: number) => number) => {
  let s = 0;
  for (let h = 0; h < a.length; h++) s += Math.abs(a[h] - b(h));
  return s / a.length;
};

describe('Class: TwinForecaster', () => {
  it('recovers a daily seasonality under noise, closer to the truth than seasonal naive', () => {
    const n = 14 * DAY;
    const y = series(n, daily, 20);
    const f = forecastTwin(input(y));
    const truth = (h: number) => daily(n + h);
    expect(mae(f.p50, truth)).toBeLessThan(4);
    expect(mae(f.p50, truth)).toBeLessThan(0.5 * mae(seasonalNaive(input(y)).p50, truth));
  });

  it('follows a trend under the season: the next hour is forecast at the current level', () => {
    const trend = (t: number) => daily(t) + 0.05 * t;
    const n = 14 * DAY;
    const f = forecastTwin(input(series(n, trend, 4), 12));
    expect(mae(f.p50, (h) => trend(n + h))).toBeLessThan(3);
  });

  it('learns a weekly pattern: a weekend day forecast lower than the weekday before it', () => {
    // Saturday and Sunday at half the weekday load
    const weekly = (t: number) => daily(t) * (Math.floor(t / DAY) % 7 >= 5 ? 0.5 : 1);
    const n = 26 * DAY; // the history ends on a Friday night: the next day is a Saturday
    const y = series(n, weekly, 6);
    const f = forecastTwin(input(y));
    expect(mae(f.p50, (h) => weekly(n + h))).toBeLessThan(6);
    expect(f.model).toMatch(/weekly/);
  });

  it('gives bands that hold about 80% of actuals on stationary noise', () => {
    const n = 21 * DAY;
    const y = series(n + 7 * DAY, daily, 30, 7);
    const forecaster = new TwinForecaster();
    let inside = 0;
    let total = 0;
    for (let o = n; o < n + 7 * DAY; o += 12) {
      const f = forecaster.forecast(input(y.subarray(0, o), 12));
      for (let h = 0; h < 12; h++) {
        total++;
        if (f.p10[h] <= y[o + h] && y[o + h] <= f.p90[h]) inside++;
      }
    }
    expect(inside / total).toBeGreaterThan(0.72);
    expect(inside / total).toBeLessThan(0.9);
  });

  it('never looks ahead: a forecast at an origin is the same with or without the data after it', () => {
    const y = series(10 * DAY, daily, 15, 3);
    const streaming = new TwinForecaster();
    for (const o of [8 * DAY + 7, 9 * DAY, 9 * DAY + 133]) {
      const withFuture = streaming.forecast(input(y.subarray(0, o)));
      const truncated = Float64Array.from(y.subarray(0, o));
      const fresh = new TwinForecaster().forecast(input(truncated));
      expect(Array.from(withFuture.p50)).toEqual(Array.from(fresh.p50));
      expect(Array.from(withFuture.p90)).toEqual(Array.from(fresh.p90));
    }
  });

  it('gives a sane forecast from less than a day of history, with wider bands than from two weeks', () => {
    const short = series(6 * 12, daily, 10, 5); // six hours
    const f = forecastTwin(input(short));
    const long = forecastTwin(input(series(14 * DAY, daily, 10, 5)));
    for (let h = 0; h < DAY; h++) {
      expect(Number.isFinite(f.p50[h])).toBe(true);
      expect(f.p10[h]).toBeLessThanOrEqual(f.p50[h]);
      expect(f.p50[h]).toBeLessThanOrEqual(f.p90[h]);
    }
    expect(mae(f.p50.subarray(0, 12), (h) => daily(72 + h))).toBeLessThan(25);
    const width = (g: typeof f) => mae(g.p90, (h) => g.p10[h]);
    expect(width(f)).toBeGreaterThan(width(long));
  });

  it('forecasts from a handful of points and refuses a history with no observation', () => {
    const f = forecastTwin(input(Float64Array.from([5, 6, 5]), 4));
    expect(Array.from(f.p50)).toEqual([5, 5, 5, 5]);
    expect(f.p90[3]).toBeGreaterThan(f.p90[0]);
    expect(() => forecastTwin(input(Float64Array.from([Number.NaN, Number.NaN]), 4))).toThrow(
      /no observed value/,
    );
  });

  it('moves to a new level within hours of a level shift instead of a week later', () => {
    const n = 14 * DAY;
    const shifted = (t: number) => daily(t) + (t >= n - 6 * 12 ? 80 : 0); // +80 for the last 6 hours
    const f = forecastTwin(input(series(n, shifted, 4)));
    expect(mae(f.p50, (h) => shifted(n + h))).toBeLessThan(15);
  });

  it('ignores a one-off spike: the forecast stays on the seasonal shape', () => {
    const n = 14 * DAY;
    const y = series(n, daily, 4);
    for (let t = n - 3; t < n; t++) y[t] = 5000;
    const f = forecastTwin(input(y, 12));
    expect(mae(f.p50, (h) => daily(n + h))).toBeLessThan(15);
  });

  it('lifts the forecast inside a calendar event window', () => {
    const n = 14 * DAY;
    const y = series(n, daily, 4);
    const origin = T0 + n * STEP;
    const events = [{ name: 'campaign', start: origin + 12 * STEP, end: origin + 24 * STEP, lift: 2 }];
    const plain = forecastTwin(input(y, 36));
    const lifted = forecastTwin({ ...input(y, 36), events });
    expect(lifted.p50[0]).toBe(plain.p50[0]);
    expect(lifted.p50[12]).toBeCloseTo(2 * plain.p50[12]);
    expect(lifted.p90[23]).toBeCloseTo(2 * plain.p90[23]);
    expect(lifted.p50[24]).toBe(plain.p50[24]);
  });
});

describe('Function: seasonalNaive', () => {
  it('repeats the value one day earlier, or the last observed before it', () => {
    const y = series(2 * DAY, (t) => t);
    y[DAY + 5] = Number.NaN;
    const f = seasonalNaive(input(y, 10));
    expect(f.p50[0]).toBe(DAY * 2 - DAY);
    expect(f.p50[5]).toBe(DAY + 4); // slot DAY+5 is missing: the last observed before it
    expect(f.p50[6]).toBe(DAY + 6);
  });
});
