import { Command, Option } from 'commander';
import { MINUTE_MS } from '../../layers/core/series/grid.js';
import { DEFAULT_PHYSICS } from '../../layers/core/simulate/physics.js';
import { replay, type ScalingScores } from '../../layers/core/simulate/replay.js';
import { breachBudget, type Slo } from '../../layers/core/simulate/resilience.js';
import { transformDemand, type WhatIf } from '../../layers/core/simulate/what-if.js';
import type { Progress } from '../bench/progress.js';
import { protocolFleet, SCALING_POLICIES, withProgress } from '../bench/scaling-track.js';
import { isoTime, type LoadedTrace, TraceSetError } from '../bench/trace-set.js';
import { EXIT } from './errors.js';
import { type CliIo, printResult } from './io.js';
import { buildScenario, hasScenario, SCENARIO_HELP, type ScenarioSpec, scenarioOptions } from './scenario.js';
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
  /** With a scenario: what changed, and the SLO the runs were held to. */
  whatIf?: WhatIf;
  slo?: Slo & { budgetMinutes: number };
  runs: ({ policy: string; holds?: boolean } & ScalingScores)[];
}

/** Each policy replayed on the trace, under the scenario when `spec` gives one. */
export function replayTrace(
  trace: LoadedTrace,
  policies: string[],
  io: CliIo,
  spec: ScenarioSpec = {},
): ReplayReport {
  const r = protocolReplay(trace);
  const scenario = hasScenario(spec)
    ? buildScenario(spec, { startMs: r.fleet.t0 + r.fleet.start * MINUTE_MS, minutes: r.window.minutes })
    : undefined;
  const budgetMinutes = scenario ? breachBudget(scenario.slo, r.window.minutes) : undefined;
  const runs = policies.map((p) => {
    const scores = replayPolicy(
      r,
      p,
      io.progress(`replay ${trace.entry.id} ${p}: minutes`),
      scenario?.whatIf,
    );
    return {
      policy: p,
      ...(budgetMinutes === undefined ? {} : { holds: scores.breachMinutes <= budgetMinutes }),
      ...scores,
    };
  });
  return {
    trace: trace.entry.id,
    window: r.window,
    capacityPerInstance: r.fleet.k,
    ...(scenario && budgetMinutes !== undefined
      ? { whatIf: scenario.whatIf, slo: { ...scenario.slo, budgetMinutes } }
      : {}),
    runs,
  };
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
  const slo = r.slo ? [`SLO ≤ ${r.slo.budgetMinutes} min`.padStart(18)] : [];
  const header = ['policy'.padEnd(18), ...SCORE_COLUMNS.map(([, label]) => label.padStart(13)), ...slo].join(
    '',
  );
  const rows = r.runs.map((run) =>
    [
      run.policy.padEnd(18),
      ...SCORE_COLUMNS.map(([key, , show]) => show(run[key]).padStart(13)),
      ...(run.holds === undefined ? [] : [(run.holds ? 'holds' : 'does not hold').padStart(18)]),
    ].join(''),
  );
  const what = r.whatIf ? [`under the what-if: ${JSON.stringify(r.whatIf)}`] : [];
  return `${[windowLine(r.trace, r.window, r.capacityPerInstance), ...what, '', header, ...rows].join('\n')}\n`;
}

export const policyOption = () =>
  new Option('--policy <name>', 'the scaling policy, or all of them side by side')
    .choices(POLICY_CHOICES)
    .default('twin');

export function replayCommand(io: CliIo, done: (code: number) => void): Command {
  const command = new Command('replay')
    .summary('replay a load trace against the simulated fleet and print the scores')
    .description(
      "Replays a load trace minute by minute against the benchmark protocol's simulated fleet " +
        '(instance capacity = p99 demand / 40, 5-minute warm-up, breach above 90 % utilization), ' +
        'driven by a scaling policy, and prints its scores over the scored window (after the first ' +
        'week, or the first half of a shorter trace): breach minutes, unserved demand, instance-hours, ' +
        "cost against the oracle's, scale events. The same replay as `twinscale bench scaling`.",
    )
    .requiredOption('--trace <file>', 'a load trace CSV with timestamp,value columns, in whole-minute steps');
  return scenarioOptions(command)
    .addOption(policyOption())
    .option(
      '--json',
      'print only JSON on stdout: {trace, window, capacityPerInstance, whatIf?, slo?, runs: [{policy, holds?, breachMinutes, …}]}',
    )
    .addHelpText(
      'after',
      `\nWith a scenario (the options below --trace), each policy replays under it only (simulate shows it beside the day as it was) and is held to its SLO.${SCENARIO_HELP}`,
    )
    .action((o: ScenarioSpec & { trace: string; policy: string; json?: boolean }) => {
      const report = replayTrace(readTraceFile(o.trace), policiesOf(o.policy), io, o);
      printResult(io, o.json === true, report, () => replayText(report));
      done(EXIT.ok);
    });
}
