import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { geometricMean, scoringWindow } from '../../layers/core/forecast/score.js';
import {
  oraclePolicy,
  predictiveHourlyPolicy,
  targetTrackingPolicy,
} from '../../layers/core/policy/reference.js';
import { twinPolicy } from '../../layers/core/policy/twin-policy.js';
import type { ScalingPolicy } from '../../layers/core/policy/types.js';
import { MINUTE_MS } from '../../layers/core/series/grid.js';
import { minuteDemand } from '../../layers/core/simulate/minute-demand.js';
import { DEFAULT_PHYSICS } from '../../layers/core/simulate/physics.js';
import { replay, type ScalingScores } from '../../layers/core/simulate/replay.js';
import { quantileSorted } from '../../layers/core/stats.js';
import type { Progress } from './progress.js';
import { isoTime, type LoadedTrace, TraceSetError } from './trace-set.js';

/** What a benchmark policy is built from: the replay's demand and where scoring starts. */
export interface PolicyContext {
  demand: Float64Array;
  start: number;
  stepMinutes: number;
}

export const SCALING_POLICIES: Record<string, (c: PolicyContext) => ScalingPolicy> = {
  twin: (c) => twinPolicy({ slotMinutes: Math.max(5, c.stepMinutes) }),
  'target-tracking': () => targetTrackingPolicy(),
  'predictive-hourly': () => predictiveHourlyPolicy(),
  oracle: (c) => oraclePolicy(c.demand, c.start),
};

/** The protocol's fleet for a trace: instance capacity k = p99 of observed per-minute demand / 40. */
export function protocolFleet(trace: LoadedTrace) {
  const { id, file } = trace.entry;
  let window: ReturnType<typeof scoringWindow>;
  let perMinute: ReturnType<typeof minuteDemand>;
  try {
    window = scoringWindow(trace.grid);
    perMinute = minuteDemand(trace.grid);
  } catch (e) {
    if (e instanceof RangeError) throw new TraceSetError(`${file} (trace ${id}): ${e.message}`);
    throw e;
  }
  const { demand, observed, t0 } = perMinute;
  const seen = demand.filter((_, m) => observed[m] === 1).sort();
  const k = quantileSorted(seen, 0.99) / 40;
  if (!(k > 0))
    throw new TraceSetError(
      `${file} (trace ${id}): p99 demand is ${k * 40}, so no instance capacity can be set`,
    );
  const start = (window.scoreStart * trace.grid.stepMs) / MINUTE_MS;
  return { demand, t0, k, start, stepMinutes: trace.grid.stepMs / MINUTE_MS };
}

export interface ScalingRun extends ScalingScores {
  trace: string;
  policy: string;
  k: number;
  file: string;
  seconds: number;
}

export async function runScalingPolicy(
  trace: LoadedTrace,
  policyName: string,
  outDir: string,
  progress: Progress,
): Promise<ScalingRun> {
  const fleet = protocolFleet(trace);
  const policy = SCALING_POLICIES[policyName](fleet);
  const started = performance.now();
  const { timeline, scores } = replay(withProgress(policy, fleet.demand.length - fleet.start, progress), {
    demand: fleet.demand,
    start: fleet.start,
    capacityPerInstance: fleet.k,
    physics: DEFAULT_PHYSICS,
  });
  const seconds = (performance.now() - started) / 1000;
  const file = join(outDir, `${trace.entry.id}.${policyName}.decisions.csv`);
  const out = createWriteStream(file);
  out.write('timestamp,desired\n');
  const rows: string[] = [];
  for (let i = 0; i < timeline.desired.length; i++) {
    rows.push(`${isoTime(fleet.t0 + (fleet.start + i) * MINUTE_MS)},${timeline.desired[i]}\n`);
    if (rows.length === 10_000) {
      if (!out.write(rows.join(''))) await new Promise<void>((r) => out.once('drain', () => r()));
      rows.length = 0;
    }
  }
  out.write(rows.join(''));
  await new Promise<void>((resolve, reject) => {
    out.on('error', reject);
    out.end(resolve);
  });
  return { trace: trace.entry.id, policy: policyName, k: fleet.k, file, seconds, ...scores };
}

/** The policy, ticking progress once a simulated day. */
export function withProgress(policy: ScalingPolicy, minutes: number, progress: Progress): ScalingPolicy {
  let done = 0;
  return {
    name: policy.name,
    decide(v) {
      if (++done % 1440 === 0 || done === minutes) progress.tick(done, minutes);
      return policy.decide(v);
    },
  };
}

export interface ScalingSummaryRow {
  policy: string;
  traces: number;
  breachMinutes: number;
  instanceHours: number;
  gmeanCostVsOracle: number | null;
  scaleEvents: number;
}

export function summarizeScaling(runs: ScalingRun[]): ScalingSummaryRow[] {
  const policies = [...new Set(runs.map((r) => r.policy))];
  return policies.map((policy) => {
    const rs = runs.filter((r) => r.policy === policy);
    const sum = (f: (r: ScalingRun) => number) => rs.reduce((a, r) => a + f(r), 0);
    return {
      policy,
      traces: rs.length,
      breachMinutes: sum((r) => r.breachMinutes),
      instanceHours: sum((r) => r.instanceHours),
      gmeanCostVsOracle: geometricMean(rs.map((r) => r.costVsOracle)),
      scaleEvents: sum((r) => r.scaleEvents),
    };
  });
}

export function scalingMarkdown(runs: ScalingRun[]): string {
  const k = (v: number) => (v >= 1000 ? v.toPrecision(4) : v.toFixed(2));
  return [
    '# Scaling track',
    '',
    '| trace | k | policy | breachMinutes | breachPct | unservedPct | instanceHours | costVsOracle | scaleEvents |',
    '|---|---|---|---|---|---|---|---|---|',
    ...runs.map(
      (r) =>
        `| ${r.trace} | ${k(r.k)} | ${r.policy} | ${r.breachMinutes} | ${r.breachPct.toFixed(3)} | ${r.unservedPct.toFixed(4)} | ${r.instanceHours.toFixed(1)} | ${r.costVsOracle.toFixed(3)} | ${r.scaleEvents} |`,
    ),
    '',
    '| policy | traces | breachMinutes | instanceHours | gmean costVsOracle | scaleEvents |',
    '|---|---|---|---|---|---|',
    ...summarizeScaling(runs).map(
      (s) =>
        `| ${s.policy} | ${s.traces} | ${s.breachMinutes} | ${s.instanceHours.toFixed(0)} | ${s.gmeanCostVsOracle?.toFixed(3)} | ${s.scaleEvents} |`,
    ),
    '',
  ].join('\n');
}
