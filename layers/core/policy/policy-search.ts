import type { FleetPhysics } from '../simulate/physics.js';
import { type Replay, replay, type ScalingScores } from '../simulate/replay.js';
import { type Fitness, type Gene, geneticSearch } from './genetic-search.js';
import { type OutlookShare, twinPolicy } from './twin-policy.js';

const DAY_MINUTES = 1440;

/** The live policy's settings the search tunes (the twin's `policy` fields of the same names). */
export interface PolicySettings {
  quantile: number;
  targetUtilization: number;
  headroom: number;
  stabilizationMinutes: number;
  maxStep: number;
}

/**
 * The search space. Steps are finer than a setting's effect on a fleet of tens of instances
 * (half a percentile, a point of utilization or headroom), and coarse enough that the memo
 * catches near-identical genomes.
 */
export const POLICY_GENES = [
  { name: 'quantile', min: 0.5, max: 0.99, step: 0.005 },
  { name: 'targetUtilization', min: 0.3, max: 0.9, step: 0.01 },
  { name: 'headroom', min: 0, max: 0.5, step: 0.01 },
  { name: 'stabilizationMinutes', min: 0, max: 60, integer: true },
  { name: 'maxStep', min: 1, max: 50, integer: true },
] as const satisfies readonly Gene[];

const genomeOf = (s: PolicySettings): number[] => POLICY_GENES.map((g) => s[g.name]);
const settingsOf = (genome: readonly number[]): PolicySettings =>
  Object.fromEntries(POLICY_GENES.map((g, i) => [g.name, genome[i]])) as unknown as PolicySettings;

/** A stretch of per-minute demand to replay: minutes before `start` are history the planner learns from. */
export interface DemandWindow {
  demand: Float64Array;
  start: number;
}

export interface PolicySearchInput {
  /** The window the search scores candidates on. */
  train: DemandWindow;
  /** A later window the search never sees, to check the winner on. */
  validation?: DemandWindow;
  capacityPerInstance: number;
  physics: FleetPhysics;
  /** The policy in use: the default breach budget, a first-generation genome and the comparison. */
  current: PolicySettings;
  /** Breach minutes allowed on the train window. @default the current policy's there */
  breachBudgetMinutes?: number;
  /**
   * Also hold each day of the train window (1440-minute blocks from its start) to the current
   * policy's breach minutes that day: a candidate may not buy its savings with breaches on some
   * days paid for by fewer on others, which do not carry over to unseen days. Only meaningful
   * against the current policy's own budget. @default true unless `breachBudgetMinutes` is given
   */
  noWorseDays?: boolean;
  /** @default 5 */
  slotMinutes?: number;
  seed: number;
  population: number;
  generations: number;
  /** Stop once the best has not changed for this many generations. @default 8 */
  patience?: number;
  /** Called after each generation is scored. */
  progress?: (generation: number, generations: number) => void;
  /** Called once for each distinct candidate scored on the train window, and whether it kept the budget. */
  onCandidate?: (settings: PolicySettings, train: ScalingScores, feasible: boolean) => void;
}

/** A candidate on the cost / breach trade-off of the train window. */
export interface ParetoPoint {
  settings: PolicySettings;
  instanceHours: number;
  breachMinutes: number;
}

export interface ScoredPolicy {
  settings: PolicySettings;
  train: ScalingScores;
  validation?: ScalingScores;
}

export interface PolicySearchResult {
  best: ScoredPolicy;
  current: ScoredPolicy;
  breachBudgetMinutes: number;
  /** The best keeps within the breach budget on the train window (and the day rule when on). */
  feasible: boolean;
  /** Whether each train day was held to the current policy's breach minutes that day. */
  noWorseDays: boolean;
  /** Candidates no other beats on both cost and breach minutes (train), cheapest first. */
  paretoFront: ParetoPoint[];
  generations: number;
  evaluations: number;
  seed: number;
}

interface PolicyFitness extends Fitness {
  scores: ScalingScores;
}

/**
 * The twin planner's settings searched for the least cost (instance-hours) within a breach budget
 * (breach minutes) on the train window, and by default no more breach minutes than the current
 * policy on any day of it (savings that trade breaches between days overfit the train window and
 * broke the budget on the unseen days in the benchmark), each candidate replayed in the fleet
 * simulator (policyReplayer), then the winner and the policy in use replayed on the validation window.
 */
export function searchPolicy(input: PolicySearchInput): PolicySearchResult {
  const replayOn = policyReplayer(input);
  const scoreOn = (w: DemandWindow, s: PolicySettings): ScalingScores => replayOn(w, s).scores;

  const currentReplay = replayOn(input.train, input.current);
  const currentTrain = currentReplay.scores;
  const budget = input.breachBudgetMinutes ?? currentTrain.breachMinutes;
  const noWorseDays = input.noWorseDays ?? input.breachBudgetMinutes === undefined;
  const currentDays = breachMinutesByDay(currentReplay.timeline.breach);
  const search = geneticSearch<PolicyFitness>({
    genes: POLICY_GENES,
    evaluate: (genome) => {
      const { scores, timeline } = replayOn(input.train, settingsOf(genome));
      let constraint = scores.breachMinutes - budget;
      if (noWorseDays) {
        // breach minutes over the current policy's, summed over the days where it has more
        const excess = breachMinutesByDay(timeline.breach).reduce(
          (sum, b, day) => sum + Math.max(0, b - currentDays[day]),
          0,
        );
        // feasible needs both; an infeasible one ranks by the larger breach of the two
        constraint = excess > 0 ? Math.max(constraint, excess) : constraint;
      }
      input.onCandidate?.(settingsOf(genome), scores, constraint <= 0);
      return { cost: scores.instanceHours, constraint, scores };
    },
    seed: input.seed,
    population: input.population,
    generations: input.generations,
    patience: input.patience ?? 8,
    initial: [genomeOf(input.current)],
    progress: input.progress,
  });

  const validate = (s: PolicySettings) => (input.validation ? scoreOn(input.validation, s) : undefined);
  const bestSettings = settingsOf(search.best.genome);
  return {
    best: { settings: bestSettings, train: search.best.fitness.scores, validation: validate(bestSettings) },
    current: { settings: input.current, train: currentTrain, validation: validate(input.current) },
    breachBudgetMinutes: budget,
    feasible: search.best.fitness.constraint <= 0,
    noWorseDays,
    paretoFront: paretoFront(
      search.evaluated.map((e) => ({
        settings: settingsOf(e.genome),
        instanceHours: e.fitness.scores.instanceHours,
        breachMinutes: e.fitness.scores.breachMinutes,
      })),
    ),
    generations: search.generations,
    evaluations: search.evaluations,
    seed: search.seed,
  };
}

/**
 * Replays of the twin planner with given settings, as the live planner would run them (no tuning).
 * The demand forecasts do not depend on the settings, so each window's are made once and shared
 * by every replay on it.
 */
export function policyReplayer(
  fleet: Pick<PolicySearchInput, 'capacityPerInstance' | 'physics' | 'slotMinutes'>,
): (w: DemandWindow, s: PolicySettings) => Replay {
  const slotMinutes = fleet.slotMinutes ?? 5;
  const shares = new Map<DemandWindow, OutlookShare>();
  return (w, s) => {
    const share = shares.get(w) ?? {};
    shares.set(w, share);
    const policy = twinPolicy({ ...s, slotMinutes, autoTune: { enabled: false } }, share);
    return replay(policy, {
      demand: w.demand,
      start: w.start,
      capacityPerInstance: fleet.capacityPerInstance,
      physics: fleet.physics,
    });
  };
}

/** Breach minutes in each day (1440-minute block) of a replayed window, the last day possibly partial. */
export function breachMinutesByDay(breach: Uint8Array): number[] {
  const days: number[] = [];
  for (let from = 0; from < breach.length; from += DAY_MINUTES) {
    let sum = 0;
    for (let m = from; m < Math.min(breach.length, from + DAY_MINUTES); m++) sum += breach[m];
    days.push(sum);
  }
  return days;
}

/**
 * The points no other point beats on both cost and breach minutes, cheapest first (so breach
 * minutes fall along it); of points that score alike, the first.
 */
export function paretoFront(points: readonly ParetoPoint[]): ParetoPoint[] {
  // a stable sort: of points that score alike, the first stays first
  const order = [...points].sort(
    (a, b) => a.instanceHours - b.instanceHours || a.breachMinutes - b.breachMinutes,
  );
  const front: ParetoPoint[] = [];
  for (const p of order) {
    const last = front[front.length - 1];
    if (!last || p.breachMinutes < last.breachMinutes) front.push(p);
  }
  return front;
}
