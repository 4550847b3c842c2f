import { TwinForecaster } from '../../layers/core/forecast/twin/index.js';
import { targetTrackingPolicy } from '../../layers/core/policy/reference.js';
import { slotsPerDay } from '../../layers/core/series/grid.js';
import { replay } from '../../layers/core/simulate/replay.js';
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
  const sim = simulatorSpeed();
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
    `Fleet simulator: one week at 1-minute resolution (${sim.minutes} minutes, target-tracking driving it) in ${sim.ms.toFixed(2)} ms.`,
    '',
  ].join('\n');
  return { json: { rows, simulator: sim }, markdown };
}

/** A week of a diurnal load with bursts, replayed under target tracking: the simulator's own cost. */
function simulatorSpeed() {
  const minutes = 7 * 1440;
  const demand = new Float64Array(minutes + 60);
  for (let m = 0; m < demand.length; m++)
    demand[m] = 100 + 80 * Math.sin((2 * Math.PI * m) / 1440) + (m % 97 === 0 ? 150 : 0);
  const run = () => replay(targetTrackingPolicy(), { demand, start: 60, capacityPerInstance: 5 });
  // a run takes about a millisecond: many more of them than of fits, for a steady figure
  for (let i = 0; i < 20 * WARMUP_RUNS; i++) run();
  const started = performance.now();
  for (let i = 0; i < 20 * TIMED_FITS; i++) run();
  return { minutes, ms: (performance.now() - started) / (20 * TIMED_FITS) };
}
