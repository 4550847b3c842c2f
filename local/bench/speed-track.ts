import { TwinForecaster } from '../../layers/core/forecast/twin/index.js';
import { slotsPerDay } from '../../layers/core/series/grid.js';
import { loadTrace, type ManifestEntry } from './trace-set.js';

const WARMUP_RUNS = 3;
const TIMED_FITS = 5;

/**
 * What one twin costs: a full fit (backtest of every candidate, then the forecast) from up to
 * three weeks of history, and the incremental forecasts that follow it until the next daily
 * refit (half an hour apart, over half a day). Warm JIT, one core, a day-ahead horizon.
 */
export function runSpeedTrack(dir: string, entries: ManifestEntry[]) {
  const rows = entries.map((entry) => {
    const { grid } = loadTrace(dir, entry);
    const y = grid.values;
    const day = slotsPerDay(grid.stepMs);
    const fitAt = Math.floor(Math.min(y.length - day, 21 * day) / day) * day;
    const input = (o: number) => ({
      history: y.subarray(0, o),
      t0: grid.t0,
      stepMs: grid.stepMs,
      horizon: day,
    });
    for (let i = 0; i < WARMUP_RUNS; i++) new TwinForecaster().forecast(input(fitAt));
    let started = performance.now();
    for (let i = 0; i < TIMED_FITS; i++) new TwinForecaster().forecast(input(fitAt));
    const fitMs = (performance.now() - started) / TIMED_FITS;
    const forecaster = new TwinForecaster();
    forecaster.forecast(input(fitAt));
    const step = Math.max(1, Math.floor(day / 48));
    let calls = 0;
    started = performance.now();
    for (let o = fitAt + 1; o < fitAt + day / 2; o += step, calls++) forecaster.forecast(input(o));
    const incrementalMs = (performance.now() - started) / calls;
    return { trace: entry.id, historySlots: fitAt, horizon: day, fitMs, incrementalMs };
  });
  const markdown = [
    '# Speed track (twin forecaster, warm, one core, day-ahead horizon)',
    '',
    '| trace | history slots | horizon | full fit + forecast (ms) | incremental forecast (ms) |',
    '|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.trace} | ${r.historySlots} | ${r.horizon} | ${r.fitMs.toFixed(1)} | ${r.incrementalMs.toFixed(2)} |`,
    ),
    '',
  ].join('\n');
  return { json: { rows }, markdown };
}
