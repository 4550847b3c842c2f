import { forwardFill, slotsPerDay } from '../series/grid.js';
import { quantileSorted } from '../stats.js';
import { applyEvents, type Forecaster, type ForecastInput, type QuantileForecast } from './types.js';

const BAND_DAYS = 7;

/**
 * The reference: the value one day earlier (or the last observed before it), as the benchmark
 * protocol defines it. Bands are the 10th and 90th percentiles of its own errors over the last
 * week of history. With less than a day of history it repeats the last observed value.
 */
export function seasonalNaive(input: ForecastInput): QuantileForecast {
  const { history: y, horizon } = input;
  const P = slotsPerDay(input.stepMs);
  const n = y.length;
  const filled = forwardFill(y);
  const last = filled[n - 1] ?? Number.NaN;
  const at = (t: number) => (t < n ? filled[t] : Number.NaN);
  const errors: number[] = [];
  for (let t = Math.max(P, n - BAND_DAYS * P); t < n; t++) {
    if (!Number.isNaN(y[t]) && !Number.isNaN(filled[t - P])) errors.push(y[t] - filled[t - P]);
  }
  errors.sort((a, b) => a - b);
  const lo = errors.length >= 10 ? quantileSorted(errors, 0.1) : 0;
  const hi = errors.length >= 10 ? quantileSorted(errors, 0.9) : 0;
  const p50 = new Float64Array(horizon);
  for (let h = 0; h < horizon; h++) {
    const v = n + h - P >= 0 ? at(n + h - P) : last;
    p50[h] = Number.isNaN(v) ? last : v;
  }
  return applyEvents(
    { p10: p50.map((v) => v + lo), p50, p90: p50.map((v) => v + hi), model: 'seasonal-naive(1 day)' },
    input,
  );
}

export const seasonalNaiveForecaster: Forecaster = { name: 'seasonal-naive', forecast: seasonalNaive };
