import { Command, Option } from 'commander';
import { MINUTE_MS } from '../../layers/core/series/grid.js';
import { DEFAULT_PHYSICS } from '../../layers/core/simulate/physics.js';
import { replay, type ScalingScores } from '../../layers/core/simulate/replay.js';
import { transformDemand, type WhatIf } from '../../layers/core/simulate/what-if.js';
import type { Progress } from '../bench/progress.js';
import { protocolFleet, SCALING_POLICIES, withProgress } from '../bench/scaling-track.js';
import { isoTime, type LoadedTrace, TraceSetError } from '../bench/trace-set.js';
import { EXIT } from './errors.js';
import { type CliIo, printResult } from './io.js';
import { readTraceFile } from './trace-file.js';

export const POLICY_CHOICES = [...Object.keys(SCALING_POLICIES), 'all'];

/** `all` or one policy name, as the list of policies to run. */
export const policiesOf = (name: string): string[] =>
  name === 'all' ? Object.keys(SCALING_POLICIES) : [name];

/** The replayed window: minute 0 of a what-if is `start`. */
export interface ReplayWindow {
  start: string;
  end: string;
  minutes: number;
}

/** A load trace set up as the benchmark protocol's fleet (instance capacity = p99 demand / 40). */
export interface ProtocolReplay {
  trace: LoadedTrace;
  fleet: ReturnType<typeof protocolFleet>;
  window: ReplayWindow;
}

export function protocolReplay(trace: LoadedTrace): ProtocolReplay {
  if (trace.entry.kind !== 'load')
    throw new TraceSetError(
      `${trace.entry.file} is a ${trace.entry.kind} trace in its manifest: replay takes a load trace (requests, messages, passengers …)`,
    );
  const fleet = protocolFleet(trace);
  const minutes = fleet.demand.length - fleet.start;
  return {
    trace,
    fleet,
    window: {
      start: isoTime(fleet.t0 + fleet.start * MINUTE_MS),
      end: isoTime(fleet.t0 + fleet.demand.length * MINUTE_MS),
      minutes,
    },
  };
}

/** One policy replayed over the window, under a what-if when one is given. */
export function replayPolicy(
  r: ProtocolReplay,
  policyName: string,
  progress: Progress,
  whatIf?: WhatIf,
): ScalingScores {
  const { fleet } = r;
  // The oracle knows the future, so under a what-if it knows the transformed demand.
  let demand = fleet.demand;
  if (whatIf?.demand.length) {
    demand = Float64Array.from(fleet.demand);
    demand.set(transformDemand(fleet.demand.subarray(fleet.start), whatIf.demand), fleet.start);
  }
  const policy = SCALING_POLICIES[policyName]({ ...fleet, demand });
  const { scores } = replay(withProgress(policy, r.window.minutes, progress), {
    demand: fleet.demand,
    start: fleet.start,
    capacityPerInstance: fleet.k,
    physics: DEFAULT_PHYSICS,
    whatIf,
  });
  progress.done(
    `done, breach ${scores.breachMinutes} min, ${scores.instanceHours.toFixed(1)} instance-hours`,
  );
  return scores;
}

export interface ReplayReport {
  trace: string;
  window: ReplayWindow;
  capacityPerInstance: number;
  runs: ({ policy: string } & ScalingScores)[];
}

export function replayTrace(trace: LoadedTrace, policies: string[], io: CliIo): ReplayReport {
  const r = protocolReplay(trace);
  const runs = policies.map((p) => ({
    policy: p,
    ...replayPolicy(r, p, io.progress(`replay ${trace.entry.id} ${p}: minutes`)),
  }));
  return { trace: trace.entry.id, window: r.window, capacityPerInstance: r.fleet.k, runs };
}

/** The scores the CLI prints, in order: label, how to show the value. */
export const SCORE_COLUMNS: [keyof ScalingScores, string, (v: number) => string][] = [
  ['breachMinutes', 'breach min', (v) => `${v}`],
  ['breachPct', 'breach %', (v) => v.toFixed(2)],
  ['unservedPct', 'unserved %', (v) => v.toFixed(3)],
  ['instanceHours', 'instance-h', (v) => v.toFixed(1)],
  ['costVsOracle', 'cost/oracle', (v) => v.toFixed(3)],
  ['scaleEvents', 'scale events', (v) => `${v}`],
  ['maxDesired', 'max desired', (v) => `${v}`],
];

export const windowLine = (trace: string, w: ReplayWindow, k: number): string =>
  `${trace}: ${w.minutes} minutes replayed, ${w.start} … ${w.end} (minute 0 is ${w.start}); ` +
  `instance capacity ${k.toPrecision(4)} per minute (p99 demand / 40)`;

export function replayText(r: ReplayReport): string {
  const header = ['policy'.padEnd(18), ...SCORE_COLUMNS.map(([, label]) => label.padStart(13))].join('');
  const rows = r.runs.map((run) =>
    [run.policy.padEnd(18), ...SCORE_COLUMNS.map(([key, , show]) => show(run[key]).padStart(13))].join(''),
  );
  return `${[windowLine(r.trace, r.window, r.capacityPerInstance), '', header, ...rows].join('\n')}\n`;
}

export const policyOption = () =>
  new Option('--policy <name>', 'the scaling policy, or all of them side by side')
    .choices(POLICY_CHOICES)
    .default('twin');

export function replayCommand(io: CliIo, done: (code: number) => void): Command {
  return new Command('replay')
    .summary('replay a load trace against the simulated fleet and print the scores')
    .description(
      "Replays a load trace minute by minute against the benchmark protocol's simulated fleet " +
        '(instance capacity = p99 demand / 40, 5-minute warm-up, breach above 90 % utilization), ' +
        'driven by a scaling policy, and prints its scores over the scored window (after the first ' +
        'week, or the first half of a shorter trace): breach minutes, unserved demand, instance-hours, ' +
        "cost against the oracle's, scale events. The same replay as `twinscale bench scaling`.",
    )
    .requiredOption('--trace <file>', 'a load trace CSV with timestamp,value columns, in whole-minute steps')
    .addOption(policyOption())
    .option(
      '--json',
      'print only JSON on stdout: {trace, window, capacityPerInstance, runs: [{policy, breachMinutes, …}]}',
    )
    .action((o: { trace: string; policy: string; json?: boolean }) => {
      const report = replayTrace(readTraceFile(o.trace), policiesOf(o.policy), io);
      printResult(io, o.json === true, report, () => replayText(report));
      done(EXIT.ok);
    });
}
