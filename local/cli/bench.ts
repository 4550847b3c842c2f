import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Argument, Command, Option } from 'commander';
import { runCapacityTrack } from '../bench/capacity-track.js';
import { runCodecTrack } from '../bench/codec-track.js';
import {
  COLDSTART_DEFAULTS,
  type ColdstartRun,
  type ColdstartSkip,
  chooseDonor,
  coldstartMarkdown,
  coldstartVerdict,
  donorPrior,
  runColdstartTrace,
  summarizeColdstart,
} from '../bench/coldstart-track.js';
import { runCostTrack } from '../bench/cost-track.js';
import {
  DRIFT_DETECTORS,
  type DriftRun,
  driftMarkdown,
  runDriftDetector,
  summarizeDrift,
} from '../bench/drift-track.js';
import {
  FORECAST_METHODS,
  type ForecastRun,
  forecastMarkdown,
  runForecastMethod,
  summarizeForecast,
} from '../bench/forecast-track.js';
import { GRAPH_PAIR_DEFAULTS, runGraphTrack } from '../bench/graph-track.js';
import { LOAD_DEFAULTS, runLoadTrack } from '../bench/load-track.js';
import { runLoopTrack } from '../bench/loop-track.js';
import {
  OPTIMIZE_SEARCH_DEFAULTS,
  type OptimizeRun,
  optimizeMarkdown,
  runOptimizeTrace,
} from '../bench/optimize-track.js';
import {
  runScalingPolicy,
  SCALING_POLICIES,
  type ScalingRun,
  scalingMarkdown,
  summarizeScaling,
} from '../bench/scaling-track.js';
import { runSpeedTrack } from '../bench/speed-track.js';
import { runStoreTrack } from '../bench/store-track.js';
import { type LoadedTrace, loadTrace, readManifest } from '../bench/trace-set.js';
import {
  runUtilizationDriftTrack,
  summarizeUtilizationDrift,
  utilizationDriftMarkdown,
} from '../bench/utilization-drift-track.js';
import { CliUsageError, EXIT } from './errors.js';
import type { CliIo } from './io.js';
import { wholeNumber } from './option-values.js';

export const BENCH_TRACKS = [
  'forecast',
  'scaling',
  'capacity',
  'codec',
  'speed',
  'store',
  'loop',
  'cost',
  'optimize',
  'graph',
  'drift',
  'coldstart',
  'load',
] as const;

export interface BenchOptions {
  traces: string;
  out: string;
  only?: string;
  method?: string;
  policy?: string;
  gzip: boolean;
  twins: number;
  days: number;
  seed: number;
  population: number;
  generations: number;
  seconds: number;
  connections: number;
  json?: boolean;
}

const TRACKS_HELP = `
Tracks (shared/bench/PROTOCOL.md):
  forecast   every hourly origin of the scored window, p10/p50/p90 up to 24 h ahead, per --method;
             writes OUT/<id>.<method>.forecast.csv[.gz]; exit 1 if a run is incomplete
  scaling    replays every load trace against the protocol's simulated fleet, per --policy;
             writes OUT/<id>.<policy>.decisions.csv
  capacity   the capacity model on load and utilization traces recorded over the same time
  codec      bytes per stored sample of the sample codec, per trace (one chunk per day)
  speed      the twin forecaster's cost: a full fit, and an incremental forecast between refits
  store      appends a day of 1-minute samples for --twins twins × 3 metrics into dynalite (in process);
             values from the first 1-minute trace
  loop       the forecast-and-plan state machine over --twins twins with --days of history each
             (dynalite, simulated targets)
  cost       the local runtime's sample twins for one trace day with every DynamoDB call metered,
             priced into a monthly bill per twin at 100 and 10,000 twins
  optimize   the genetic policy search on every load trace: the twin planner's settings searched on
             a train window (7 days after a week of history), the default and the winner replayed
             on the last 3 days, and every candidate within budget on train replayed there too;
             --seed, --population, --generations as the optimize workflow's
  drift      reads every trace point by point with the twin's detector (CUSUM on its one-step
             residuals) and the reference (3 sigma on seasonal-naive residuals); scores recall over
             anomaly windows, false alarms per day, median delay; writes OUT/<id>.<detector>.flags.csv;
             then utilization drift: each load trace with CPU from a known capacity model plus a real
             CPU trace's noise, each request 30 % dearer and back every 3 days, the hourly watch
             with the CUSUM vs a 3-sigma rule on the same residuals
  coldstart  each load trace as a new twin with only its first 2, 6, 24, 48, 168 hours, 60 minutes ahead:
             its own model alone vs blended with a family prior from another trace of the same kind
             (chosen by metric, source collection, unit); relMAE and coverage80 per cut, and the verdict
  graph      dependency pairs from the load traces: downstream = 0.6 × upstream 10 min later + another
             trace's real load; its 60-minute relMAE with the upstream's forecast propagated vs without
  load       the local runtime (temporary home, loopback, a free port) under autocannon: --seconds each
             on GET /twins/{id}/forecast and POST /twins/{id}/scenarios with --connections; req/s, p50/p99
             latency, errors, non-2xx, and the scenario runs the POSTs start (peak under way, drained);
             exit 1 unless zero errors, zero 5xx and every run finished
Every track writes OUT/<track>-summary.json and OUT/<track>-summary.md and prints the markdown.
Progress goes to stderr.`;

/** One benchmark track over the traces of a folder; resolves to the exit code. */
export async function runBench(track: string, o: BenchOptions, io: CliIo): Promise<number> {
  const entries = readManifest(o.traces).filter((e) => !o.only || o.only.split(',').includes(e.id));
  if (entries.length === 0) throw new CliUsageError(`no trace in ${o.traces} matches --only ${o.only}`);
  mkdirSync(o.out, { recursive: true });
  const writeSummary = (json: unknown, markdown: string) => {
    writeFileSync(join(o.out, `${track}-summary.json`), `${JSON.stringify(json, null, 1)}\n`);
    writeFileSync(join(o.out, `${track}-summary.md`), markdown);
    io.out(o.json ? `${JSON.stringify(json, null, 1)}\n` : markdown);
  };

  if (track === 'codec') {
    const rows = runCodecTrack(o.traces, entries);
    writeSummary(rows.json, rows.markdown);
    return EXIT.ok;
  }
  if (track === 'capacity') {
    const rows = runCapacityTrack(o.traces, entries);
    writeSummary(rows.json, rows.markdown);
    return EXIT.ok;
  }
  if (track === 'loop') {
    const rows = await runLoopTrack(
      { twins: o.twins, days: o.days },
      io.progress('loop: setup, twins'),
      io.progress('loop: cycles'),
    );
    writeSummary(rows.json, rows.markdown);
    return EXIT.ok;
  }
  if (track === 'load') {
    const settings = { ...LOAD_DEFAULTS, seconds: o.seconds, connections: o.connections };
    const rows = await runLoadTrack(settings, (line) => io.err(`${line}\n`));
    writeSummary(rows.json, rows.markdown);
    return rows.verdict.verdict === 'pass' ? EXIT.ok : EXIT.failed;
  }
  if (track === 'cost') {
    const rows = await runCostTrack({ days: 1, utilizationEveryMinutes: 60 }, io.progress('cost: cycles'));
    writeSummary(rows.json, rows.markdown);
    return EXIT.ok;
  }
  if (track === 'store') {
    const minute = entries.find((e) => loadTrace(o.traces, e).grid.stepMs === 60_000);
    if (!minute) throw new CliUsageError(`no 1-minute trace in ${o.traces}: the store track replays one`);
    const progress = io.progress('store: twins');
    const rows = await runStoreTrack(o.traces, minute, { twins: o.twins, concurrency: 16 }, progress);
    writeSummary(rows.json, rows.markdown);
    return EXIT.ok;
  }
  if (track === 'speed') {
    const rows = runSpeedTrack(o.traces, entries);
    writeSummary(rows.json, rows.markdown);
    return EXIT.ok;
  }
  if (track === 'forecast') {
    const methods = o.method ? [o.method] : Object.keys(FORECAST_METHODS);
    for (const m of methods) {
      if (!FORECAST_METHODS[m])
        throw new CliUsageError(
          `unknown --method ${m}; choose one of ${Object.keys(FORECAST_METHODS).join(', ')}`,
        );
    }
    const runs: ForecastRun[] = [];
    const started = performance.now();
    for (const [i, entry] of entries.entries()) {
      const trace = loadTrace(o.traces, entry);
      if (trace.repairs) io.err(`${entry.id}: repaired ${trace.repairs}\n`);
      for (const m of methods) {
        const progress = io.progress(`forecast [${i + 1}/${entries.length}] ${entry.id} ${m}: origins`);
        const run = await runForecastMethod(trace, m, o.out, o.gzip, progress);
        progress.done(
          `relMAE 60m ${run.h60?.relMAE?.toFixed(3)} 24h ${run.h24?.relMAE?.toFixed(3)} coverage ${run.h60?.coverage80.toFixed(3)}`,
        );
        runs.push(run);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const markdown = `${forecastMarkdown(runs)}\nWall time: ${seconds.toFixed(1)} s\n`;
    writeSummary({ runs, summary: summarizeForecast(runs), seconds }, markdown);
    return runs.some((r) => !r.complete) ? EXIT.failed : EXIT.ok;
  }
  if (track === 'drift') {
    const runs: DriftRun[] = [];
    const traces: LoadedTrace[] = [];
    const started = performance.now();
    for (const [i, entry] of entries.entries()) {
      const trace = loadTrace(o.traces, entry);
      traces.push(trace);
      if (trace.repairs) io.err(`${entry.id}: repaired ${trace.repairs}\n`);
      for (const d of DRIFT_DETECTORS) {
        const progress = io.progress(`drift [${i + 1}/${entries.length}] ${entry.id} ${d}: points`);
        const run = runDriftDetector(trace, d, o.out, progress);
        progress.done(`${run.hits}/${run.windows} windows, ${run.falseAlarms} false alarms`);
        runs.push(run);
      }
    }
    const progress = io.progress('drift: utilization cases');
    const utilization = runUtilizationDriftTrack(traces);
    progress.done(`${utilization.length / 2} load traces`);
    const seconds = (performance.now() - started) / 1000;
    const markdown = `${driftMarkdown(runs)}\n${utilizationDriftMarkdown(utilization)}\nWall time: ${seconds.toFixed(1)} s\n`;
    writeSummary(
      {
        runs,
        summary: summarizeDrift(runs),
        utilization: { runs: utilization, summary: summarizeUtilizationDrift(utilization) },
        seconds,
      },
      markdown,
    );
    return EXIT.ok;
  }
  if (track === 'optimize') {
    const loads = entries.filter((e) => e.kind === 'load');
    if (loads.length === 0)
      throw new CliUsageError(`no load trace in ${o.traces}: the optimize track replays load`);
    const search = { seed: o.seed, population: o.population, generations: o.generations };
    const runs: OptimizeRun[] = [];
    const started = performance.now();
    for (const [i, entry] of loads.entries()) {
      const trace = loadTrace(o.traces, entry);
      if (trace.repairs) io.err(`${entry.id}: repaired ${trace.repairs}\n`);
      const progress = io.progress(`optimize [${i + 1}/${loads.length}] ${entry.id}: generations`);
      const run = runOptimizeTrace(trace, search, progress);
      progress.done(`${run.verdict} (${run.evaluations} evaluations, ${run.seconds.toFixed(1)} s)`);
      runs.push(run);
    }
    const seconds = (performance.now() - started) / 1000;
    const markdown = `${optimizeMarkdown(runs, search)}\nWall time: ${seconds.toFixed(1)} s\n`;
    writeSummary({ search, runs, seconds }, markdown);
    return EXIT.ok;
  }
  if (track === 'graph') {
    const loads = entries.filter((e) => e.kind === 'load').map((e) => loadTrace(o.traces, e));
    if (loads.length < 2)
      throw new CliUsageError(
        `fewer than 2 load traces in ${o.traces}: a graph pair takes its noise from another`,
      );
    const rows = runGraphTrack(loads, GRAPH_PAIR_DEFAULTS, (label) => io.progress(label));
    writeSummary(rows.json, rows.markdown);
    return EXIT.ok;
  }
  if (track === 'coldstart') {
    const all = readManifest(o.traces);
    const loads = entries.filter((e) => e.kind === 'load');
    if (loads.length === 0)
      throw new CliUsageError(`no load trace in ${o.traces}: the coldstart track forecasts load`);
    const s = COLDSTART_DEFAULTS;
    const runs: ColdstartRun[] = [];
    const skipped: ColdstartSkip[] = [];
    const started = performance.now();
    for (const [i, entry] of loads.entries()) {
      const pair = chooseDonor(entry, all);
      if (!pair) {
        skipped.push({
          trace: entry.id,
          reason: `no other ${entry.kind} trace in the manifest to take a prior from`,
        });
        io.err(`coldstart: ${entry.id} skipped: no other ${entry.kind} trace to take a prior from\n`);
        continue;
      }
      const prior = donorPrior(loadTrace(o.traces, pair.donor), s.donorDays);
      if (!prior) {
        skipped.push({
          trace: entry.id,
          reason: `donor ${pair.donor.id} has too little history for a prior`,
        });
        io.err(`coldstart: ${entry.id} skipped: donor ${pair.donor.id} has too little history\n`);
        continue;
      }
      const trace = loadTrace(o.traces, entry);
      if (trace.repairs) io.err(`${entry.id}: repaired ${trace.repairs}\n`);
      const progress = io.progress(
        `coldstart [${i + 1}/${loads.length}] ${entry.id} ← ${pair.donor.id}: origins`,
      );
      const run = runColdstartTrace(
        trace,
        { id: pair.donor.id, rule: pair.rule, prior },
        s,
        undefined,
        progress,
      );
      progress.done(
        run.cuts
          .map((c) => `${c.cutHours}h ${c.relMAE.prior?.toFixed(3)}/${c.relMAE.none?.toFixed(3)}`)
          .join(' '),
      );
      runs.push(run);
    }
    const seconds = (performance.now() - started) / 1000;
    const summary = summarizeColdstart(runs, s);
    const markdown = `${coldstartMarkdown(runs, skipped, s)}\nWall time: ${seconds.toFixed(1)} s\n`;
    writeSummary(
      { settings: s, runs, skipped, summary, verdict: coldstartVerdict(summary), seconds },
      markdown,
    );
    return EXIT.ok;
  }
  if (track === 'scaling') {
    const policies = o.policy ? [o.policy] : Object.keys(SCALING_POLICIES);
    for (const p of policies) {
      if (!SCALING_POLICIES[p])
        throw new CliUsageError(
          `unknown --policy ${p}; choose one of ${Object.keys(SCALING_POLICIES).join(', ')}`,
        );
    }
    const loads = entries.filter((e) => e.kind === 'load');
    if (loads.length === 0)
      throw new CliUsageError(`no load trace in ${o.traces}: the scaling track replays load`);
    const runs: ScalingRun[] = [];
    const started = performance.now();
    for (const [i, entry] of loads.entries()) {
      const trace = loadTrace(o.traces, entry);
      if (trace.repairs) io.err(`${entry.id}: repaired ${trace.repairs}\n`);
      for (const p of policies) {
        const progress = io.progress(`scaling [${i + 1}/${loads.length}] ${entry.id} ${p}: minutes`);
        const run = await runScalingPolicy(trace, p, o.out, progress);
        progress.done(
          `breach ${run.breachMinutes} min, ${run.instanceHours.toFixed(1)} instance-hours (${run.seconds.toFixed(1)} s)`,
        );
        runs.push(run);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const markdown = `${scalingMarkdown(runs)}\nWall time: ${seconds.toFixed(1)} s\n`;
    writeSummary({ runs, summary: summarizeScaling(runs), seconds }, markdown);
    return EXIT.ok;
  }
  throw new CliUsageError(`unknown track "${track}"; choose one of ${BENCH_TRACKS.join(', ')}`);
}

export function benchCommand(io: CliIo, done: (code: number) => void): Command {
  return new Command('bench')
    .summary('run a benchmark track over a folder of traces (what `npm run bench` runs)')
    .description(
      'Measures forecast and scaling quality and the cost of the pieces, as shared/bench/PROTOCOL.md defines.',
    )
    .addArgument(new Argument('<track>', 'which benchmark to run').choices(BENCH_TRACKS))
    .option('--traces <dir>', 'a folder of CSV traces with a manifest.json', 'data/traces')
    .option('--out <dir>', 'where outputs and <track>-summary.{json,md} go', 'bench-out')
    .option('--only <ids>', 'comma-separated trace ids to run (default: all in the manifest)')
    .option(
      '--method <name>',
      `forecast: one of ${Object.keys(FORECAST_METHODS).join(', ')} (default: all, side by side)`,
    )
    .option(
      '--policy <name>',
      `scaling: one of ${Object.keys(SCALING_POLICIES).join(', ')} (default: all, side by side)`,
    )
    .option('--gzip', 'forecast: write OUT/<id>.<method>.forecast.csv.gz instead of .csv', false)
    .addOption(
      new Option('--twins <n>', 'store, loop: how many twins')
        .default(1000)
        .argParser(wholeNumber('--twins', 1)),
    )
    .addOption(
      new Option('--days <d>', 'loop: days of history per twin')
        .default(14)
        .argParser(wholeNumber('--days', 1)),
    )
    .addOption(
      new Option('--seed <n>', "optimize: the search's seed")
        .default(OPTIMIZE_SEARCH_DEFAULTS.seed)
        .argParser(wholeNumber('--seed', 0)),
    )
    .addOption(
      new Option('--population <n>', 'optimize: candidates per generation')
        .default(OPTIMIZE_SEARCH_DEFAULTS.population)
        .argParser(wholeNumber('--population', 4)),
    )
    .addOption(
      new Option('--generations <n>', 'optimize: generations bred at most')
        .default(OPTIMIZE_SEARCH_DEFAULTS.generations)
        .argParser(wholeNumber('--generations', 0)),
    )
    .addOption(
      new Option('--seconds <s>', 'load: seconds of load per route')
        .default(LOAD_DEFAULTS.seconds)
        .argParser(wholeNumber('--seconds', 1)),
    )
    .addOption(
      new Option('--connections <n>', 'load: connections open at once')
        .default(LOAD_DEFAULTS.connections)
        .argParser(wholeNumber('--connections', 1)),
    )
    .option(
      '--json',
      'print the summary JSON (as written to OUT/<track>-summary.json) instead of the markdown',
    )
    .addHelpText('after', TRACKS_HELP)
    .action(async (track: string, o: BenchOptions) => done(await runBench(track, o, io)));
}
