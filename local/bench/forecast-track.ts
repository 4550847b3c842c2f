import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { ForecastScorer, geometricMean, type TrackScores } from '../../layers/core/forecast/score.js';
import { seasonalNaiveForecaster } from '../../layers/core/forecast/seasonal-naive.js';
import { TwinForecaster } from '../../layers/core/forecast/twin/index.js';
import type { Forecaster } from '../../layers/core/forecast/types.js';
import type { Progress } from './progress.js';
import { isoTime, type LoadedTrace } from './trace-set.js';

export const FORECAST_METHODS: Record<string, () => Forecaster> = {
  twin: () => new TwinForecaster(),
  'seasonal-naive': () => seasonalNaiveForecaster,
};

export interface ForecastRun extends TrackScores {
  trace: string;
  method: string;
  origins: number;
  file: string;
  msPerForecast: number;
  models: Record<string, number>;
}

// Seven significant digits in the CSV; the scores are computed from the same rounded numbers,
// so they agree with the referee's reading of the file.
const round = (v: number) => Number(v.toPrecision(7));

export async function runForecastMethod(
  trace: LoadedTrace,
  method: string,
  outDir: string,
  gzip: boolean,
  progress: Progress,
): Promise<ForecastRun> {
  const forecaster = FORECAST_METHODS[method]();
  const { grid } = trace;
  const scorer = new ForecastScorer(grid);
  const { origins, day } = scorer.window;
  const file = join(outDir, `${trace.entry.id}.${method}.forecast.csv${gzip ? '.gz' : ''}`);
  const out = openCsv(file, gzip);
  out.write('origin,timestamp,p10,p50,p90\n');
  const models: Record<string, number> = {};
  let elapsed = 0;
  const n = grid.values.length;
  for (let k = 0; k < origins.length; k++) {
    const o = origins[k];
    const horizon = Math.min(day, n - o);
    const started = performance.now();
    const f = forecaster.forecast({
      history: grid.values.subarray(0, o),
      t0: grid.t0,
      stepMs: grid.stepMs,
      horizon,
    });
    elapsed += performance.now() - started;
    models[f.model] = (models[f.model] ?? 0) + 1;
    const p10 = f.p10.map(round);
    const p50 = f.p50.map(round);
    const p90 = f.p90.map(round);
    scorer.addOrigin(o, p10, p50, p90);
    const originIso = isoTime(grid.t0 + o * grid.stepMs);
    const rows: string[] = [];
    for (let h = 0; h < horizon; h++) {
      rows.push(`${originIso},${isoTime(grid.t0 + (o + h) * grid.stepMs)},${p10[h]},${p50[h]},${p90[h]}\n`);
    }
    if (!out.write(rows.join(''))) await new Promise<void>((r) => out.once('drain', () => r()));
    progress.tick(k + 1, origins.length);
  }
  await new Promise<void>((resolve, reject) => {
    out.on('error', reject);
    out.end(resolve);
  });
  return {
    trace: trace.entry.id,
    method,
    origins: origins.length,
    file,
    msPerForecast: elapsed / Math.max(1, origins.length),
    models,
    ...scorer.result(),
  };
}

function openCsv(file: string, gzip: boolean): WriteStream | ReturnType<typeof createGzip> {
  const fileStream = createWriteStream(file);
  if (!gzip) return fileStream;
  const z = createGzip({ level: 1 });
  z.pipe(fileStream);
  return z;
}

export interface ForecastSummaryRow {
  method: string;
  gmeanRelMAE60: number | null;
  gmeanRelMAE24: number | null;
  meanCoverage60: number | null;
  meanCoverage24: number | null;
  incomplete: number;
}

export function summarizeForecast(runs: ForecastRun[]): ForecastSummaryRow[] {
  const methods = [...new Set(runs.map((r) => r.method))];
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  return methods.map((method) => {
    const rs = runs.filter((r) => r.method === method);
    return {
      method,
      gmeanRelMAE60: geometricMean(rs.map((r) => r.h60?.relMAE)),
      gmeanRelMAE24: geometricMean(rs.map((r) => r.h24?.relMAE)),
      meanCoverage60: mean(rs.flatMap((r) => (r.h60 ? [r.h60.coverage80] : []))),
      meanCoverage24: mean(rs.flatMap((r) => (r.h24 ? [r.h24.coverage80] : []))),
      incomplete: rs.filter((r) => !r.complete).length,
    };
  });
}

const f3 = (v: number | null | undefined) => (v === null || v === undefined ? '—' : v.toFixed(3));

export function forecastMarkdown(runs: ForecastRun[]): string {
  const lines = [
    '# Forecast track',
    '',
    '| trace | method | relMAE 60m | relMAE 24h | MASE 60m | coverage80 60m | coverage80 24h | pinball 60m | ms/forecast |',
    '|---|---|---|---|---|---|---|---|---|',
    ...runs.map(
      (r) =>
        `| ${r.trace} | ${r.method} | ${f3(r.h60?.relMAE)} | ${f3(r.h24?.relMAE)} | ${f3(r.h60?.MASE)} | ${f3(r.h60?.coverage80)} | ${f3(r.h24?.coverage80)} | ${f3(r.h60?.pinball)} | ${r.msPerForecast.toFixed(2)} |`,
    ),
    '',
    '| method | gmean relMAE 60m | gmean relMAE 24h | mean coverage80 60m | mean coverage80 24h | incomplete |',
    '|---|---|---|---|---|---|',
    ...summarizeForecast(runs).map(
      (s) =>
        `| ${s.method} | ${f3(s.gmeanRelMAE60)} | ${f3(s.gmeanRelMAE24)} | ${f3(s.meanCoverage60)} | ${f3(s.meanCoverage24)} | ${s.incomplete} |`,
    ),
    '',
  ];
  return lines.join('\n');
}
