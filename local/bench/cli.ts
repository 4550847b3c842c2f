import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runCapacityTrack } from './capacity-track.js';
import { runCodecTrack } from './codec-track.js';
import {
  FORECAST_METHODS,
  type ForecastRun,
  forecastMarkdown,
  runForecastMethod,
  summarizeForecast,
} from './forecast-track.js';
import { runLoopTrack } from './loop-track.js';
import { stderrProgress } from './progress.js';
import {
  runScalingPolicy,
  SCALING_POLICIES,
  type ScalingRun,
  scalingMarkdown,
  summarizeScaling,
} from './scaling-track.js';
import { runSpeedTrack } from './speed-track.js';
import { runStoreTrack } from './store-track.js';
import { loadTrace, readManifest, TraceSetError } from './trace-set.js';

const USAGE = `usage: npm run bench -- <track> --traces DIR [--out OUT] [options]

tracks:
  forecast   every hourly origin of the scored window, p10/p50/p90 up to 24 h ahead
             --method NAME   one of: ${Object.keys(FORECAST_METHODS).join(', ')} (default: all, side by side)
             --gzip          write OUT/<id>.<method>.forecast.csv.gz instead of .csv
  scaling    replays every load trace against the protocol's simulated fleet, per policy
             --policy NAME   one of: ${Object.keys(SCALING_POLICIES).join(', ')} (default: all, side by side)
  capacity   the capacity model on load and utilization traces recorded over the same time
  codec      bytes per stored sample of the sample codec, per trace (one chunk per day)
  speed      the twin forecaster's cost: a full fit, and an incremental forecast between refits
  store      appends a day of 1-minute samples for many twins × 3 metrics into dynalite (in process)
             --twins N       how many twins (default 1000); values from the first 1-minute trace
  loop       the forecast-and-plan state machine over many twins (dynalite, simulated targets)
             --twins N       how many twins (default 1000)   --days D   history per twin (default 14)

common:
  --traces DIR   a folder of CSV traces with a manifest.json (default: data/traces)
  --out OUT      where outputs and <track>-summary.{json,md} go (default: bench-out)
  --only IDS     comma-separated trace ids to run (default: all in the manifest)`;

class UsageError extends Error {}

function wholeNumber(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag}: a whole number ≥ ${min}, got ${value}`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      traces: { type: 'string', default: 'data/traces' },
      out: { type: 'string', default: 'bench-out' },
      method: { type: 'string' },
      policy: { type: 'string' },
      only: { type: 'string' },
      gzip: { type: 'boolean', default: false },
      twins: { type: 'string', default: '1000' },
      days: { type: 'string', default: '14' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const track = positionals[0];
  if (values.help || !track) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const entries = readManifest(values.traces).filter(
    (e) => !values.only || values.only.split(',').includes(e.id),
  );
  if (entries.length === 0)
    throw new UsageError(`no trace in ${values.traces} matches --only ${values.only}`);
  mkdirSync(values.out, { recursive: true });

  if (track === 'codec') {
    const rows = runCodecTrack(values.traces, entries);
    writeSummary(values.out, 'codec', rows.json, rows.markdown);
    return 0;
  }
  if (track === 'capacity') {
    const rows = runCapacityTrack(values.traces, entries);
    writeSummary(values.out, 'capacity', rows.json, rows.markdown);
    return 0;
  }
  if (track === 'loop') {
    const twins = wholeNumber('--twins', values.twins, 1);
    const days = wholeNumber('--days', values.days, 1);
    const rows = await runLoopTrack(
      { twins, days },
      stderrProgress('loop: setup, twins'),
      stderrProgress('loop: cycles'),
    );
    writeSummary(values.out, 'loop', rows.json, rows.markdown);
    return 0;
  }
  if (track === 'store') {
    const twins = wholeNumber('--twins', values.twins, 1);
    const minute = entries.find((e) => loadTrace(values.traces, e).grid.stepMs === 60_000);
    if (!minute) throw new UsageError(`no 1-minute trace in ${values.traces}: the store track replays one`);
    const progress = stderrProgress('store: twins');
    const rows = await runStoreTrack(values.traces, minute, { twins, concurrency: 16 }, progress);
    writeSummary(values.out, 'store', rows.json, rows.markdown);
    return 0;
  }
  if (track === 'speed') {
    const rows = runSpeedTrack(values.traces, entries);
    writeSummary(values.out, 'speed', rows.json, rows.markdown);
    return 0;
  }
  if (track === 'forecast') {
    const methods = values.method ? [values.method] : Object.keys(FORECAST_METHODS);
    for (const m of methods) {
      if (!FORECAST_METHODS[m])
        throw new UsageError(
          `unknown --method ${m}; choose one of ${Object.keys(FORECAST_METHODS).join(', ')}`,
        );
    }
    const runs: ForecastRun[] = [];
    const started = performance.now();
    for (const [i, entry] of entries.entries()) {
      const trace = loadTrace(values.traces, entry);
      if (trace.repairs) process.stderr.write(`${entry.id}: repaired ${trace.repairs}\n`);
      for (const m of methods) {
        const progress = stderrProgress(`forecast [${i + 1}/${entries.length}] ${entry.id} ${m}: origins`);
        const run = await runForecastMethod(trace, m, values.out, values.gzip, progress);
        progress.done(
          `relMAE 60m ${run.h60?.relMAE?.toFixed(3)} 24h ${run.h24?.relMAE?.toFixed(3)} coverage ${run.h60?.coverage80.toFixed(3)}`,
        );
        runs.push(run);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const markdown = `${forecastMarkdown(runs)}\nWall time: ${seconds.toFixed(1)} s\n`;
    writeSummary(values.out, 'forecast', { runs, summary: summarizeForecast(runs), seconds }, markdown);
    return runs.some((r) => !r.complete) ? 1 : 0;
  }
  if (track === 'scaling') {
    const policies = values.policy ? [values.policy] : Object.keys(SCALING_POLICIES);
    for (const p of policies) {
      if (!SCALING_POLICIES[p])
        throw new UsageError(
          `unknown --policy ${p}; choose one of ${Object.keys(SCALING_POLICIES).join(', ')}`,
        );
    }
    const loads = entries.filter((e) => e.kind === 'load');
    if (loads.length === 0)
      throw new UsageError(`no load trace in ${values.traces}: the scaling track replays load`);
    const runs: ScalingRun[] = [];
    const started = performance.now();
    for (const [i, entry] of loads.entries()) {
      const trace = loadTrace(values.traces, entry);
      if (trace.repairs) process.stderr.write(`${entry.id}: repaired ${trace.repairs}\n`);
      for (const p of policies) {
        const progress = stderrProgress(`scaling [${i + 1}/${loads.length}] ${entry.id} ${p}: minutes`);
        const run = await runScalingPolicy(trace, p, values.out, progress);
        progress.done(
          `breach ${run.breachMinutes} min, ${run.instanceHours.toFixed(1)} instance-hours (${run.seconds.toFixed(1)} s)`,
        );
        runs.push(run);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const markdown = `${scalingMarkdown(runs)}\nWall time: ${seconds.toFixed(1)} s\n`;
    writeSummary(values.out, 'scaling', { runs, summary: summarizeScaling(runs), seconds }, markdown);
    return 0;
  }
  throw new UsageError(`unknown track "${track}"`);
}

function writeSummary(out: string, track: string, json: unknown, markdown: string): void {
  writeFileSync(join(out, `${track}-summary.json`), `${JSON.stringify(json, null, 1)}\n`);
  writeFileSync(join(out, `${track}-summary.md`), markdown);
  process.stdout.write(markdown);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof TraceSetError || e instanceof UsageError) {
      process.stderr.write(`bench: ${e.message}\n`);
      if (e instanceof UsageError) process.stderr.write(`${USAGE}\n`);
      process.exit(2);
    }
    if (e instanceof TypeError && (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`bench: ${e.message}\n${USAGE}\n`);
      process.exit(2);
    }
    throw e;
  },
);
