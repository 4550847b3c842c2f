import { Command, Option } from 'commander';
import { TwinForecaster } from '../../layers/core/forecast/twin/index.js';
import { HOUR_MS, slotsPerHour } from '../../layers/core/series/grid.js';
import { isoTime as formatTime, type LoadedTrace } from '../bench/trace-set.js';
import { CliUsageError, EXIT } from './errors.js';
import { type CliIo, printResult } from './io.js';
import { isoTime, positiveNumber } from './option-values.js';
import { readTraceFile } from './trace-file.js';

export interface ForecastPoint {
  t: string;
  p10: number;
  p50: number;
  p90: number;
  /** The trace's value at t, when the trace has one. */
  actual?: number;
}

export interface ForecastReport {
  trace: string;
  unit?: string;
  model: string;
  /** The first forecast step; the history ends just before it. */
  origin: string;
  stepMs: number;
  horizonHours: number;
  /** One per trace step from the origin. */
  points: ForecastPoint[];
  /** Share of the steps with an actual that fall inside p10–p90 (0.8 expected); null without actuals. */
  coverage: number | null;
  fitMs: number;
}

export interface ForecastOptions {
  horizonHours: number;
  /** Epoch ms; default: the horizon before the trace's end, so every step has an actual. */
  origin?: number;
}

/** Fits the twin forecaster on the trace up to the origin and forecasts the horizon. */
export function forecastTrace(trace: LoadedTrace, o: ForecastOptions): ForecastReport {
  const { grid, entry } = trace;
  const n = grid.values.length;
  const horizon = Math.max(1, Math.round((o.horizonHours * HOUR_MS) / grid.stepMs));
  let origin: number;
  if (o.origin === undefined) {
    origin = n - horizon;
    if (origin < 2)
      throw new CliUsageError(
        `--horizon: ${entry.file} holds ${((n * grid.stepMs) / HOUR_MS).toFixed(1)} h, too little to forecast ${o.horizonHours} h before its end; ask for fewer hours or give --origin`,
      );
  } else {
    // Rounded up to the next step, so the history never includes the origin's own value.
    origin = Math.ceil((o.origin - grid.t0) / grid.stepMs);
    if (origin < 2 || origin > n)
      throw new CliUsageError(
        `--origin: ${formatTime(o.origin)} is outside ${entry.file}; give a time from ${formatTime(grid.t0 + 2 * grid.stepMs)} to ${formatTime(grid.t0 + n * grid.stepMs)} (one step after its last sample)`,
      );
  }
  const started = performance.now();
  const f = new TwinForecaster().forecast({
    history: grid.values.subarray(0, origin),
    t0: grid.t0,
    stepMs: grid.stepMs,
    horizon,
  });
  const fitMs = performance.now() - started;
  const points: ForecastPoint[] = [];
  let observed = 0;
  let inside = 0;
  for (let h = 0; h < horizon; h++) {
    const slot = origin + h;
    const point: ForecastPoint = {
      t: formatTime(grid.t0 + slot * grid.stepMs),
      p10: f.p10[h],
      p50: f.p50[h],
      p90: f.p90[h],
    };
    const actual = slot < n ? grid.values[slot] : Number.NaN;
    if (!Number.isNaN(actual)) {
      point.actual = actual;
      observed++;
      if (f.p10[h] <= actual && actual <= f.p90[h]) inside++;
    }
    points.push(point);
  }
  return {
    trace: entry.id,
    unit: entry.unit,
    model: f.model,
    origin: formatTime(grid.t0 + origin * grid.stepMs),
    stepMs: grid.stepMs,
    horizonHours: o.horizonHours,
    points,
    coverage: observed > 0 ? inside / observed : null,
    fitMs,
  };
}

/** The report hour by hour: each column is the mean of the hour's steps (an actual only for a whole hour). */
export function forecastText(r: ForecastReport): string {
  const perHour = slotsPerHour(r.stepMs);
  const rows: number[][] = [];
  const times: string[] = [];
  for (let h = 0; h < r.points.length; h += perHour) {
    const hour = r.points.slice(h, h + perHour);
    const mean = (f: (p: ForecastPoint) => number | undefined) => {
      const vs = hour.map(f);
      return vs.every((v) => v !== undefined) ? vs.reduce((a, v) => a + (v ?? 0), 0) / vs.length : Number.NaN;
    };
    times.push(hour[0].t.slice(0, 16).replace('T', ' '));
    rows.push([mean((p) => p.actual), mean((p) => p.p10), mean((p) => p.p50), mean((p) => p.p90)]);
  }
  const top = Math.max(
    1,
    ...rows
      .flat()
      .filter((v) => !Number.isNaN(v))
      .map(Math.abs),
  );
  const decimals = Math.min(3, Math.max(0, 3 - Math.floor(Math.log10(top))));
  const cell = (v: number) => (Number.isNaN(v) ? '—' : v.toFixed(decimals)).padStart(12);
  const per = perHour > 1 ? `, hourly means of ${r.stepMs / 60_000}-minute steps` : '';
  const lines = [
    `Forecast of ${r.trace}${r.unit ? ` (${r.unit}${per})` : per ? ` (${per.slice(2)})` : ''} from ${r.origin}, ${r.horizonHours} h ahead`,
    `model ${r.model}, fitted and forecast in ${r.fitMs.toFixed(0)} ms`,
    '',
    `hour (UTC)        ${['actual', 'p10', 'p50', 'p90'].map((h) => h.padStart(12)).join('')}`,
    ...rows.map((row, i) => `${times[i]}  ${row.map(cell).join('')}`),
    '',
    r.coverage === null
      ? 'No actuals after the origin: coverage unknown.'
      : `Coverage: ${(100 * r.coverage).toFixed(1)} % of the steps with an actual fall inside p10–p90 (80 % expected).`,
    '',
  ];
  return lines.join('\n');
}

export function forecastCommand(io: CliIo, done: (code: number) => void): Command {
  return new Command('forecast')
    .summary('forecast a trace with the twin forecaster, beside the actuals')
    .description(
      'Fits the twin forecaster on a trace CSV up to an origin and forecasts p10/p50/p90 for the ' +
        'horizon after it. The table shows hourly means beside the actuals when the trace has them, ' +
        'and the share of steps inside the p10–p90 band (coverage, 80 % expected).',
    )
    .requiredOption(
      '--trace <file>',
      'a CSV with timestamp,value columns (any step; inferred from the timestamps)',
    )
    .addOption(
      new Option('--horizon <hours>', 'hours to forecast from the origin')
        .default(24)
        .argParser(positiveNumber('--horizon', 'hours to forecast')),
    )
    .addOption(
      new Option(
        '--origin <time>',
        'ISO-8601 time of the first forecast step, e.g. 2014-04-20T00:00Z (default: the horizon before the trace ends)',
      ).argParser(isoTime('--origin')),
    )
    .option(
      '--json',
      'print only JSON on stdout: {trace, model, origin, points: [{t, p10, p50, p90, actual?}], coverage}, a point per trace step',
    )
    .action((o: { trace: string; horizon: number; origin?: number; json?: boolean }) => {
      const report = forecastTrace(readTraceFile(o.trace), { horizonHours: o.horizon, origin: o.origin });
      printResult(io, o.json === true, report, () => forecastText(report));
      done(EXIT.ok);
    });
}
