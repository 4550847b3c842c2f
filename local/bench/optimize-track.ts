import { OptimizeRequestSchema } from '../../layers/core/loop/optimize-run.js';
import { type PolicySettings, policyReplayer, searchPolicy } from '../../layers/core/policy/policy-search.js';
import { DAY_MS, MINUTE_MS } from '../../layers/core/series/grid.js';
import { DEFAULT_PHYSICS } from '../../layers/core/simulate/physics.js';
import type { ScalingScores } from '../../layers/core/simulate/replay.js';
import { TwinPolicyConfigSchema } from '../../layers/core/twin/twin.js';
import type { Progress } from './progress.js';
import { protocolFleet } from './scaling-track.js';
import { isoTime, type LoadedTrace, TraceSetError } from './trace-set.js';

const DAY = DAY_MS / MINUTE_MS;

/**
 * The windows of a trace: the last 3 days validate; the 7 days before them train, after a week
 * of history the planner learns from (as the optimize workflow reads a twin: a week, then the
 * train days, then the validation days). A trace too short for that trains on what is left
 * after the week (4 days of a 14-day trace).
 */
export const OPTIMIZE_WINDOWS = { learningDays: 7, trainDays: 7, validationDays: 3 } as const;

/** The twin's policy as a new twin gets it (TwinPolicyConfigSchema's defaults). */
export const DEFAULT_SETTINGS: PolicySettings = (() => {
  const p = TwinPolicyConfigSchema.parse({});
  return {
    quantile: p.quantile,
    targetUtilization: p.targetUtilization,
    headroom: p.headroom,
    stabilizationMinutes: p.stabilizationMinutes,
    maxStep: p.maxStep,
  };
})();

export interface OptimizeSearchOptions {
  seed: number;
  population: number;
  generations: number;
}

/** The optimize workflow's defaults, so the benchmark measures the search the workflow runs. */
export const OPTIMIZE_SEARCH_DEFAULTS: OptimizeSearchOptions = (() => {
  const r = OptimizeRequestSchema.parse({ twinId: 'bench' });
  return { seed: r.seed, population: r.population, generations: r.generations };
})();

type Headline = Pick<ScalingScores, 'instanceHours' | 'breachMinutes' | 'unservedPct' | 'costVsOracle'>;

export interface OptimizeRun {
  trace: string;
  k: number;
  windows: {
    trainDays: number;
    validationDays: number;
    trainFrom: string;
    validationFrom: string;
    to: string;
  };
  breachBudgetMinutes: number;
  default: { settings: PolicySettings; train: Headline; validation: Headline };
  optimized: { settings: PolicySettings; train: Headline; validation: Headline };
  /** How the optimized policy did against the default on the validation window. */
  verdict: string;
  /** Which of the criteria held on the validation window. */
  criterion: ReturnType<typeof criterion>;
  /**
   * How well the train window tells: every candidate the search scored within the budget there,
   * replayed on the validation window too, and how many of them meet the criterion there. Few
   * means the train days do not show what the validation days hold (the search cannot pick well).
   */
  withinBudget: { candidates: number; meetCriterion: number; seconds: number };
  paretoFront: number;
  generations: number;
  evaluations: number;
  seed: number;
  seconds: number;
  /** Seconds over evaluations: each window's forecasts (made once) amortized over the replays. */
  msPerEvaluation: number;
}

const headline = (s: ScalingScores | undefined): Headline => {
  if (!s) throw new Error('a validation window was replayed');
  return {
    instanceHours: s.instanceHours,
    breachMinutes: s.breachMinutes,
    unservedPct: s.unservedPct,
    costVsOracle: s.costVsOracle,
  };
};

/**
 * Which of issue 8's criteria the optimized policy meets against the default: lower cost at no
 * more breach minutes, fewer breaches at no more cost, both, or neither (the same counts as neither).
 */
export function criterion(
  def: Headline,
  opt: Headline,
): 'lower cost' | 'fewer breaches' | 'both' | 'neither' {
  const cost = Math.sign(Math.round(opt.instanceHours * 60) - Math.round(def.instanceHours * 60));
  const breach = Math.sign(opt.breachMinutes - def.breachMinutes);
  const cheaper = cost < 0 && breach <= 0;
  const safer = breach < 0 && cost <= 0;
  return cheaper && safer ? 'both' : cheaper ? 'lower cost' : safer ? 'fewer breaches' : 'neither';
}

const CRITERION_TEXT = {
  'lower cost': 'met: lower cost at no more breach minutes',
  'fewer breaches': 'met: fewer breaches at no more cost',
  both: 'met: both (lower cost and fewer breaches)',
  neither: 'not met: neither criterion held',
} as const;

/** The optimized policy against the default: which way it wins, if it does. */
export function verdict(def: Headline, opt: Headline): string {
  // instance-hours are instance-minutes / 60: compare whole minutes, not floats
  const cost = Math.sign(Math.round(opt.instanceHours * 60) - Math.round(def.instanceHours * 60));
  const breach = Math.sign(opt.breachMinutes - def.breachMinutes);
  if (cost < 0 && breach < 0) return 'lower cost and fewer breaches';
  if (cost < 0 && breach === 0) return 'lower cost at no more breach minutes';
  if (breach < 0 && cost === 0) return 'fewer breaches at no more cost';
  if (cost === 0 && breach === 0) return 'the same';
  const pct = (100 * (opt.instanceHours - def.instanceHours)) / def.instanceHours;
  const db = opt.breachMinutes - def.breachMinutes;
  return `neither: ${pct >= 0 ? '+' : ''}${pct.toFixed(1)} % cost, ${db >= 0 ? '+' : ''}${db} breach minutes`;
}

/**
 * The genetic policy search on one load trace, under the protocol's fleet physics (k = p99 / 40):
 * the twin planner's settings searched on the train window for the least cost at no more breach
 * minutes than the default settings there, then both replayed on the validation window.
 */
export function runOptimizeTrace(
  trace: LoadedTrace,
  o: OptimizeSearchOptions,
  progress: Progress,
): OptimizeRun {
  const { id, file } = trace.entry;
  const fleet = protocolFleet(trace);
  const n = fleet.demand.length;
  const w = OPTIMIZE_WINDOWS;
  const validationStart = n - w.validationDays * DAY;
  const trainDays = Math.min(w.trainDays, Math.floor(validationStart / DAY) - w.learningDays);
  if (trainDays < 1)
    throw new TraceSetError(
      `${file} (trace ${id}): ${(n / DAY).toFixed(1)} days, too short for ${w.learningDays} days of history, a train day and ${w.validationDays} validation days`,
    );
  const trainStart = validationStart - trainDays * DAY;
  const from = trainStart - w.learningDays * DAY;
  // one slice, as the workflow reads a twin: the week, the train days, the validation days
  const demand = fleet.demand.subarray(from);
  const withinBudget: PolicySettings[] = [];
  const started = performance.now();
  const r = searchPolicy({
    train: { demand: demand.subarray(0, validationStart - from), start: trainStart - from },
    validation: { demand, start: validationStart - from },
    capacityPerInstance: fleet.k,
    physics: DEFAULT_PHYSICS,
    current: DEFAULT_SETTINGS,
    slotMinutes: Math.max(5, fleet.stepMinutes),
    ...o,
    progress: (g, of) => progress.tick(g, of),
    onCandidate: (settings, _, feasible) => {
      if (feasible) withinBudget.push(settings);
    },
  });
  const seconds = (performance.now() - started) / 1000;
  const at = (minute: number) => isoTime(fleet.t0 + minute * MINUTE_MS);
  const def = {
    settings: r.current.settings,
    train: headline(r.current.train),
    validation: headline(r.current.validation),
  };
  const opt = {
    settings: r.best.settings,
    train: headline(r.best.train),
    validation: headline(r.best.validation),
  };
  return {
    trace: id,
    k: fleet.k,
    withinBudget: checkOnValidation(withinBudget, def.validation, {
      window: { demand, start: validationStart - from },
      capacityPerInstance: fleet.k,
      slotMinutes: Math.max(5, fleet.stepMinutes),
    }),
    windows: {
      trainDays,
      validationDays: w.validationDays,
      trainFrom: at(trainStart),
      validationFrom: at(validationStart),
      to: at(n),
    },
    breachBudgetMinutes: r.breachBudgetMinutes,
    default: def,
    optimized: opt,
    verdict: verdict(def.validation, opt.validation),
    criterion: criterion(def.validation, opt.validation),
    paretoFront: r.paretoFront.length,
    generations: r.generations,
    evaluations: r.evaluations,
    seed: r.seed,
    seconds,
    msPerEvaluation: (1000 * seconds) / r.evaluations,
  };
}

/** Each candidate replayed on the validation window: how many meet the criterion against the default there. */
function checkOnValidation(
  candidates: readonly PolicySettings[],
  def: Headline,
  at: { window: { demand: Float64Array; start: number }; capacityPerInstance: number; slotMinutes: number },
): OptimizeRun['withinBudget'] {
  const started = performance.now();
  const replayOn = policyReplayer({ ...at, physics: DEFAULT_PHYSICS });
  const meetCriterion = candidates.filter(
    (s) => criterion(def, headline(replayOn(at.window, s).scores)) !== 'neither',
  ).length;
  return {
    candidates: candidates.length,
    meetCriterion,
    seconds: (performance.now() - started) / 1000,
  };
}

const settingsText = (s: PolicySettings) =>
  `q ${s.quantile} · u ${s.targetUtilization} · h ${s.headroom} · stab ${s.stabilizationMinutes} · step ${s.maxStep}`;

export function optimizeMarkdown(runs: OptimizeRun[], o: OptimizeSearchOptions): string {
  const h = (v: number) => v.toFixed(1);
  const met = runs.filter((r) => r.criterion !== 'neither').length;
  return [
    '# Optimize track',
    '',
    `Genetic search (seed ${o.seed}, population ${o.population}, at most ${o.generations} generations) of the twin planner's settings on each load trace: the least cost (instance-hours) at no more breach minutes than the default settings on the train window, in total and on each day of it (${OPTIMIZE_WINDOWS.trainDays} days, fewer when the trace is short, after ${OPTIMIZE_WINDOWS.learningDays} days of history), then both replayed on the last ${OPTIMIZE_WINDOWS.validationDays} days, which the search never saw. Protocol fleet physics, k = p99 / 40.`,
    '',
    `Criterion (issue 8), on each trace's validation window: lower cost at no more breach minutes, or fewer breaches at no more cost. **Met on ${met} of ${runs.length} traces.**`,
    '',
    '| trace | train days | budget (train breach min) | default train cost / breach | optimized train cost / breach | default validation cost / breach | optimized validation cost / breach | validation verdict | criterion | evaluations | generations | seconds | ms / evaluation |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...runs.map(
      (r) =>
        `| ${r.trace} | ${r.windows.trainDays} | ${r.breachBudgetMinutes} | ${h(r.default.train.instanceHours)} / ${r.default.train.breachMinutes} | ${h(r.optimized.train.instanceHours)} / ${r.optimized.train.breachMinutes} | ${h(r.default.validation.instanceHours)} / ${r.default.validation.breachMinutes} | ${h(r.optimized.validation.instanceHours)} / ${r.optimized.validation.breachMinutes} | ${r.verdict} | ${CRITERION_TEXT[r.criterion]} | ${r.evaluations} | ${r.generations} | ${r.seconds.toFixed(1)} | ${r.msPerEvaluation.toFixed(1)} |`,
    ),
    '',
    `| trace | optimized settings (default: ${settingsText(DEFAULT_SETTINGS)}) |`,
    '|---|---|',
    ...runs.map((r) => `| ${r.trace} | ${settingsText(r.optimized.settings)} |`),
    '',
    '| trace | candidates within budget on train | of them, meeting the criterion on validation | seconds |',
    '|---|---|---|---|',
    ...runs.map(
      (r) =>
        `| ${r.trace} | ${r.withinBudget.candidates} | ${r.withinBudget.meetCriterion} (${((100 * r.withinBudget.meetCriterion) / Math.max(1, r.withinBudget.candidates)).toFixed(0)} %) | ${r.withinBudget.seconds.toFixed(1)} |`,
    ),
    '',
    'How well each train window tells: every candidate the search scored within the budget on train, replayed on validation as well. Where few meet the criterion there, the train days do not show what the validation days hold, and no choice among them made on train alone can be relied on.',
    '',
  ].join('\n');
}
