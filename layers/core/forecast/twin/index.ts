import { quantileSorted, robustSigma } from '../../stats.js';
import { applyEvents, type Forecaster, type ForecastInput, type QuantileForecast } from '../types.js';
import {
  DEFAULT_TWIN_OPTIONS,
  fitTwinModel,
  forecastWithModel,
  seasonsOf,
  type TwinModel,
  type TwinOptions,
} from './model.js';

/**
 * The `twin` forecaster. It refits on a fixed schedule of history lengths (daily once three
 * days are known, hourly before), and between refits only moves its level with the new data.
 * The model used at origin n is always the one fitted on the first `refitPoint(n)` slots, so a
 * forecast depends on the history up to its origin and on nothing else: streaming through a
 * trace and forecasting a prefix from scratch give the same numbers.
 */
export class TwinForecaster implements Forecaster {
  readonly name = 'twin';
  private model: TwinModel | undefined;
  private modelKey = -1;
  private readonly opts: TwinOptions;

  constructor(options: Partial<TwinOptions> = {}) {
    this.opts = { ...DEFAULT_TWIN_OPTIONS, ...options };
  }

  forecast(input: ForecastInput): QuantileForecast {
    const { history: y, stepMs, horizon } = input;
    if (!(horizon > 0)) return empty();
    if (!y.some((v) => !Number.isNaN(v))) {
      throw new RangeError('the history has no observed value: a forecast needs at least one');
    }
    const at = refitPoint(y.length, stepMs);
    const key = at * 1_000_003 + horizon;
    if (key !== this.modelKey) {
      this.model = fitTwinModel(y.subarray(0, at), stepMs, horizon, this.opts);
      this.modelKey = key;
    }
    const f = this.model ? forecastWithModel(this.model, y, horizon, this.opts) : levelForecast(y, horizon);
    return applyEvents(f, input);
  }
}

/** History length at which the model used for a history of n slots was fitted. */
export function refitPoint(n: number, stepMs: number): number {
  const { day, hour } = seasonsOf(stepMs);
  const every = n >= 3 * day ? day : hour;
  return Math.max(Math.min(n, 6), Math.floor(n / every) * every);
}

/** For a handful of points: the recent median, with a band that grows like a random walk's. */
function levelForecast(y: Float64Array, horizon: number): QuantileForecast {
  const obs = Array.from(y).filter((v) => !Number.isNaN(v));
  const recent = obs.slice(-5).sort((a, b) => a - b);
  const level = quantileSorted(recent, 0.5);
  const diffs = obs.slice(1).map((v, i) => v - obs[i]);
  let sigma = diffs.length >= 2 ? robustSigma(diffs) : 0;
  if (!(sigma > 0)) sigma = Math.abs(level) * 0.1 || 1;
  const nonNegative = obs.every((v) => v >= 0);
  const p50 = new Float64Array(horizon).fill(level);
  const band = (h: number) => 1.2816 * sigma * Math.sqrt(h + 1);
  const p10 = p50.map((v, h) => (nonNegative ? Math.max(0, v - band(h)) : v - band(h)));
  const p90 = p50.map((v, h) => v + band(h));
  return { p10, p50, p90, model: 'twin[level: too little history to backtest]' };
}

function empty(): QuantileForecast {
  return { p10: new Float64Array(0), p50: new Float64Array(0), p90: new Float64Array(0), model: 'twin' };
}

/** A one-off forecast from a history (fits, forecasts, forgets). */
export function forecastTwin(input: ForecastInput, options: Partial<TwinOptions> = {}): QuantileForecast {
  return new TwinForecaster(options).forecast(input);
}
