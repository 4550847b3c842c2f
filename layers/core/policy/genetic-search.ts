import { seededRandom } from '../seeded-random.js';

/**
 * A genetic search over a numeric genome within bounds: tournament selection, simulated binary
 * crossover, polynomial mutation and elitism (the real-coded GA of Deb & Agrawal, 1995), with
 * constraints handled by feasibility rules (Deb, 2000, "An efficient constraint handling method
 * for genetic algorithms"): a feasible genome beats an infeasible one, feasible ones rank by cost,
 * infeasible ones by how far they break the constraint. No penalty weight to tune.
 *
 * Pure: randomness comes from a seeded generator, so a seed gives the same search every time.
 */

/** One gene: its bounds, and whether it takes whole numbers or steps of a given size only. */
export interface Gene {
  name: string;
  min: number;
  max: number;
  /** Whole numbers only. */
  integer?: boolean;
  /**
   * A continuous gene's resolution: values snap to min + k × step. Settings closer than this
   * behave alike, and snapping lets the memo catch genomes that differ by less.
   */
  step?: number;
}

/** What a genome scores: a cost to minimize, and a constraint that holds when ≤ 0. */
export interface Fitness {
  cost: number;
  /** How far the genome breaks the constraint (> 0), or its slack (≤ 0: feasible). */
  constraint: number;
}

export interface GeneticSearchOptions<F extends Fitness> {
  genes: readonly Gene[];
  /** Scores one genome; called once per distinct genome (the search memoizes by genome). */
  evaluate: (genome: readonly number[]) => F;
  seed: number;
  /** Genomes per generation. */
  population: number;
  /** Generations bred after the first (random) one, at most. */
  generations: number;
  /** Stop once the best has not changed for this many generations. @default generations (never) */
  patience?: number;
  /** Genomes in each tournament. @default 2 */
  tournamentSize?: number;
  /** Chance that two parents are crossed (else their children are copies). @default 0.9 */
  crossoverRate?: number;
  /** Chance that each gene mutates. @default 1 / genes */
  mutationRate?: number;
  /** The best genomes carried unchanged into the next generation. @default 2 */
  elites?: number;
  /** SBX distribution index: higher keeps children nearer their parents. @default 15 */
  crossoverEta?: number;
  /** Polynomial mutation's distribution index. @default 20 */
  mutationEta?: number;
  /** Genomes placed in the first generation (clamped and snapped), e.g. the setting in use. */
  initial?: readonly (readonly number[])[];
  /** Called after each bred generation is scored. */
  progress?: (generation: number, generations: number) => void;
}

export interface Evaluated<F extends Fitness> {
  genome: number[];
  fitness: F;
}

export interface GeneticSearchResult<F extends Fitness> {
  best: Evaluated<F>;
  /** Every distinct genome scored, in the order first scored. */
  evaluated: Evaluated<F>[];
  /** Generations bred after the first one (fewer than asked when the search stopped early). */
  generations: number;
  /** Distinct genomes scored (calls to `evaluate`). */
  evaluations: number;
  /** The best fitness in each generation's population, the first (random) one first. */
  bestByGeneration: F[];
  seed: number;
}

/**
 * Feasibility rules as a comparator (negative: a is better): feasible before infeasible,
 * feasible by cost then slack, infeasible by excess then cost.
 */
export function compareFitness(a: Fitness, b: Fitness): number {
  const fa = a.constraint <= 0;
  const fb = b.constraint <= 0;
  if (fa !== fb) return fa ? -1 : 1;
  if (fa) return a.cost - b.cost || a.constraint - b.constraint;
  return a.constraint - b.constraint || a.cost - b.cost;
}

/** A value brought within the gene's bounds and onto its grid. */
export function snapGene(g: Gene, x: number): number {
  let v = Math.min(g.max, Math.max(g.min, Number.isFinite(x) ? x : g.min));
  if (g.integer) v = Math.round(v);
  else if (g.step && g.step > 0) {
    v = g.min + Math.round((v - g.min) / g.step) * g.step;
    // float noise (0.1 + 0.2) would make equal genomes differ in the memo
    v = Number(v.toPrecision(12));
  }
  return Math.min(g.max, Math.max(g.min, v));
}

export class GeneticSearchError extends Error {
  override readonly name = 'GeneticSearchError';
}

/** Runs the search; the result depends on the options and the seed only. */
export function geneticSearch<F extends Fitness>(o: GeneticSearchOptions<F>): GeneticSearchResult<F> {
  validate(o);
  const genes = o.genes;
  const n = genes.length;
  const rand = seededRandom(o.seed);
  const tournament = o.tournamentSize ?? 2;
  const crossoverRate = o.crossoverRate ?? 0.9;
  const mutationRate = o.mutationRate ?? 1 / n;
  const elites = Math.min(o.elites ?? 2, o.population);
  const etaC = o.crossoverEta ?? 15;
  const etaM = o.mutationEta ?? 20;
  const patience = o.patience ?? o.generations;

  const memo = new Map<string, Evaluated<F>>();
  const evaluated: Evaluated<F>[] = [];
  const score = (genome: number[]): Evaluated<F> => {
    const key = genome.join(',');
    let e = memo.get(key);
    if (!e) {
      e = { genome, fitness: o.evaluate(genome) };
      memo.set(key, e);
      evaluated.push(e);
    }
    return e;
  };
  const snap = (genome: readonly number[]) => genes.map((g, i) => snapGene(g, genome[i]));
  const random = () => genes.map((g) => snapGene(g, g.min + rand() * (g.max - g.min)));
  // ties keep the earlier genome, so a stable sort keeps the search reproducible
  const sorted = (pop: Evaluated<F>[]) => [...pop].sort((a, b) => compareFitness(a.fitness, b.fitness));

  let population: Evaluated<F>[] = [];
  for (const g of o.initial ?? []) {
    if (population.length < o.population) population.push(score(snap(g)));
  }
  while (population.length < o.population) population.push(score(random()));

  const pick = (): Evaluated<F> => {
    let winner = population[Math.floor(rand() * population.length)];
    for (let i = 1; i < tournament; i++) {
      const rival = population[Math.floor(rand() * population.length)];
      if (compareFitness(rival.fitness, winner.fitness) < 0) winner = rival;
    }
    return winner;
  };

  let best = sorted(population)[0];
  const bestByGeneration = [best.fitness];
  let unchanged = 0;
  let generation = 0;
  while (generation < o.generations && unchanged < patience) {
    generation++;
    const next = sorted(population).slice(0, elites);
    while (next.length < o.population) {
      const [a, b] = [pick().genome, pick().genome];
      const [c1, c2] = rand() < crossoverRate ? crossover(a, b) : [[...a], [...b]];
      for (const child of [c1, c2]) {
        if (next.length < o.population) next.push(score(snap(mutate(child))));
      }
    }
    population = next;
    const leader = sorted(population)[0];
    bestByGeneration.push(leader.fitness);
    if (compareFitness(leader.fitness, best.fitness) < 0) {
      best = leader;
      unchanged = 0;
    } else unchanged++;
    o.progress?.(generation, o.generations);
  }
  return {
    best,
    evaluated,
    generations: generation,
    evaluations: evaluated.length,
    bestByGeneration,
    seed: o.seed,
  };

  /** Simulated binary crossover, gene by gene (each gene crossed with probability ½). */
  function crossover(a: readonly number[], b: readonly number[]): [number[], number[]] {
    const c1 = [...a];
    const c2 = [...b];
    for (let i = 0; i < n; i++) {
      if (rand() >= 0.5 || Math.abs(a[i] - b[i]) < 1e-12) continue;
      const u = rand();
      const beta = u <= 0.5 ? (2 * u) ** (1 / (etaC + 1)) : (1 / (2 * (1 - u))) ** (1 / (etaC + 1));
      const mid = (a[i] + b[i]) / 2;
      const half = Math.abs(b[i] - a[i]) / 2;
      c1[i] = mid - beta * half;
      c2[i] = mid + beta * half;
    }
    return [c1, c2];
  }

  /** Polynomial mutation: a step scaled to the gene's range, smaller steps likelier. */
  function mutate(genome: number[]): number[] {
    for (let i = 0; i < n; i++) {
      if (rand() >= mutationRate) continue;
      const g = genes[i];
      const u = rand();
      const delta = u < 0.5 ? (2 * u) ** (1 / (etaM + 1)) - 1 : 1 - (2 * (1 - u)) ** (1 / (etaM + 1));
      // an integer gene must move by at least one when it mutates, or small ranges never change
      const step = delta * (g.max - g.min);
      genome[i] += g.integer && Math.abs(step) < 1 ? Math.sign(delta || 1) : step;
    }
    return genome;
  }
}

function validate<F extends Fitness>(o: GeneticSearchOptions<F>): void {
  if (o.genes.length === 0) throw new GeneticSearchError('genes: at least one gene to search');
  for (const g of o.genes) {
    if (!(Number.isFinite(g.min) && Number.isFinite(g.max) && g.min <= g.max))
      throw new GeneticSearchError(
        `gene ${g.name}: min ${g.min} must be a number no greater than max ${g.max}`,
      );
  }
  if (!(Number.isInteger(o.population) && o.population >= 2))
    throw new GeneticSearchError(`population: a whole number of at least 2, got ${o.population}`);
  if (!(Number.isInteger(o.generations) && o.generations >= 0))
    throw new GeneticSearchError(`generations: a whole number of at least 0, got ${o.generations}`);
  if (!Number.isFinite(o.seed)) throw new GeneticSearchError(`seed: a number, got ${o.seed}`);
  for (const g of o.initial ?? []) {
    if (g.length !== o.genes.length)
      throw new GeneticSearchError(`initial: each genome needs ${o.genes.length} genes, got ${g.length}`);
  }
}
