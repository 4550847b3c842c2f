import { Command } from 'commander';
import { MINUTE_MS } from '../../layers/core/series/grid.js';
import type { ScalingScores } from '../../layers/core/simulate/replay.js';
import { breachBudget, type Slo } from '../../layers/core/simulate/resilience.js';
import type { WhatIf } from '../../layers/core/simulate/what-if.js';
import type { LoadedTrace } from '../bench/trace-set.js';
import { EXIT } from './errors.js';
import { type CliIo, printResult } from './io.js';
import {
  policiesOf,
  policyOption,
  protocolReplay,
  type ReplayWindow,
  replayPolicy,
  SCORE_COLUMNS,
  windowLine,
} from './replay.js';
import { buildScenario, SCENARIO_HELP, type ScenarioSpec, scenarioOptions } from './scenario.js';
import { readTraceFile } from './trace-file.js';

export interface SimulateReport {
  trace: string;
  window: ReplayWindow;
  capacityPerInstance: number;
  /** The what-if as replayed: minutes count from the window's start. */
  whatIf: WhatIf;
  /** The SLO each policy is held to under the what-if, and the breach minutes it allows. */
  slo: Slo & { budgetMinutes: number };
  runs: { policy: string; asItWas: ScalingScores; whatIf: ScalingScores; holds: boolean }[];
}

/** Each policy replayed on the trace as it was and under the what-if. */
export function simulateTrace(
  trace: LoadedTrace,
  spec: ScenarioSpec,
  policies: string[],
  io: CliIo,
): SimulateReport {
  const r = protocolReplay(trace);
  const { whatIf, slo } = buildScenario(spec, {
    startMs: r.fleet.t0 + r.fleet.start * MINUTE_MS,
    minutes: r.window.minutes,
  });
  const budgetMinutes = breachBudget(slo, r.window.minutes);
  const id = trace.entry.id;
  const runs = policies.map((p) => {
    const asItWas = replayPolicy(r, p, io.progress(`simulate ${id} ${p} as it was: minutes`));
    const under = replayPolicy(r, p, io.progress(`simulate ${id} ${p} what-if: minutes`), whatIf);
    return { policy: p, asItWas, whatIf: under, holds: under.breachMinutes <= budgetMinutes };
  });
  return {
    trace: id,
    window: r.window,
    capacityPerInstance: r.fleet.k,
    whatIf,
    slo: { ...slo, budgetMinutes },
    runs,
  };
}

export function simulateText(r: SimulateReport): string {
  const lines = [
    windowLine(r.trace, r.window, r.capacityPerInstance),
    `what-if: ${JSON.stringify(r.whatIf)}`,
  ];
  for (const run of r.runs) {
    lines.push(
      '',
      `${run.policy.padEnd(14)}${'as it was'.padStart(13)}${'what-if'.padStart(13)}${'change'.padStart(13)}`,
    );
    for (const [key, label, show] of SCORE_COLUMNS) {
      const [a, b] = [run.asItWas[key], run.whatIf[key]];
      const change = b - a;
      const sign = change > 0 ? '+' : '';
      lines.push(
        `${label.padEnd(14)}${show(a).padStart(13)}${show(b).padStart(13)}${`${sign}${show(change)}`.padStart(13)}`,
      );
    }
    lines.push(
      `SLO: at most ${r.slo.budgetMinutes} breach minutes under the what-if: ${run.holds ? 'holds' : 'does not hold'}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export function simulateCommand(io: CliIo, done: (code: number) => void): Command {
  const command = new Command('simulate')
    .summary('a what-if: replay a load trace as it was and under a scenario, side by side')
    .description(
      'Replays a load trace like `twinscale replay`, twice per policy: as it was, and under a ' +
        'what-if (demand surges, ramps or flash crowds, instances lost, warm-up changes, metric outages); ' +
        'prints the scores side by side and whether each policy holds the SLO under it.',
    )
    .requiredOption('--trace <file>', 'a load trace CSV with timestamp,value columns, in whole-minute steps');
  return scenarioOptions(command)
    .addOption(policyOption())
    .option(
      '--json',
      'print only JSON on stdout: {trace, window, capacityPerInstance, whatIf, slo, runs: [{policy, asItWas, whatIf, holds}]}',
    )
    .addHelpText('after', SCENARIO_HELP)
    .action((o: ScenarioSpec & { trace: string; policy: string; json?: boolean }) => {
      const report = simulateTrace(readTraceFile(o.trace), o, policiesOf(o.policy), io);
      printResult(io, o.json === true, report, () => simulateText(report));
      done(EXIT.ok);
    });
}
