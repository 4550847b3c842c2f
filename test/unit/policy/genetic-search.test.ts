import {
  compareFitness,
  type Gene,
  GeneticSearchError,
  geneticSearch,
  snapGene,
} from '../../../layers/core/policy/genetic-search.js';
import { seededRandom } from '../../../layers/core/seeded-random.js';

/**
 * A constrained toy problem worked by hand: minimize (x − 3)² + (y − 2.4)² with y whole and
 * x + y ≥ 6. The unconstrained minimum (3, 2.4) is infeasible and y cannot be 2.4; of the whole
 * y, y = 3 with x = 3 costs 0.36 (y = 2 needs x ≥ 4: 1.16; y = 4 costs 2.56): the optimum is (3, 3).
 */
const GENES: Gene[] = [
  { name: 'x', min: 0, max: 10, step: 0.01 },
  { name: 'y', min: 0, max: 10, integer: true },
];
const toy = ([x, y]: readonly number[]) => ({ cost: (x - 3) ** 2 + (y - 2.4) ** 2, constraint: 6 - (x + y) });
const search = (seed: number, evaluate = toy) =>
  geneticSearch({ genes: GENES, evaluate, seed, population: 20, generations: 30 });

describe('Function: geneticSearch', () => {
  it('finds the optimum of a constrained problem, feasible', () => {
    const { best } = search(1);
    expect(best.fitness.constraint).toBeLessThanOrEqual(0);
    expect(best.genome[1]).toBe(3);
    expect(best.genome[0]).toBeCloseTo(3, 1);
    expect(best.fitness.cost).toBeLessThan(0.37);
  });

  it('finds it from other seeds too', () => {
    for (const seed of [2, 3, 4]) {
      const { best } = search(seed);
      expect([seed, best.genome[1], best.fitness.cost < 0.4]).toEqual([seed, 3, true]);
    }
  });

  it('gives the identical search for the same seed', () => {
    const [a, b] = [search(42), search(42)];
    expect(b).toEqual(a);
  });

  it('searches differently from another seed', () => {
    const [a, b] = [search(1), search(2)];
    expect(b.evaluated.map((e) => e.genome)).not.toEqual(a.evaluated.map((e) => e.genome));
  });

  it('keeps every genome within its bounds, whole genes whole and stepped genes on their grid', () => {
    const seen: number[][] = [];
    search(5, (g) => {
      seen.push([...g]);
      return toy(g);
    });
    expect(seen.length).toBeGreaterThan(50);
    for (const [x, y] of seen) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(10);
      expect(Math.abs(x * 100 - Math.round(x * 100))).toBeLessThan(1e-9);
      expect(Number.isInteger(y)).toBe(true);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(y).toBeLessThanOrEqual(10);
    }
  });

  it('scores each distinct genome once', () => {
    const keys: string[] = [];
    const r = search(6, (g) => {
      keys.push(g.join(','));
      return toy(g);
    });
    expect(new Set(keys).size).toBe(keys.length);
    expect(r.evaluations).toBe(keys.length);
    expect(r.evaluated).toHaveLength(keys.length);
  });

  it('starts from the initial genomes, brought within bounds', () => {
    const r = geneticSearch({
      genes: GENES,
      evaluate: toy,
      seed: 1,
      population: 6,
      generations: 0,
      initial: [
        [-4, 99.6],
        [3.004, 2.6],
      ],
    });
    expect(r.evaluated.slice(0, 2).map((e) => e.genome)).toEqual([
      [0, 10],
      [3, 3],
    ]);
    expect(r.best.genome).toEqual([3, 3]);
    expect(r.generations).toBe(0);
  });

  it('never loses its best: the best of each run is at least as good as any genome it scored', () => {
    const r = search(7);
    for (const e of r.evaluated) expect(compareFitness(r.best.fitness, e.fitness)).toBeLessThanOrEqual(0);
  });

  it('carries its elites over: no generation’s best is worse than the one before', () => {
    for (const seed of [1, 2, 3]) {
      const { bestByGeneration: bests } = geneticSearch({
        genes: GENES,
        evaluate: toy,
        seed,
        population: 6,
        generations: 30,
        mutationRate: 1,
      });
      expect(bests).toHaveLength(31);
      for (let g = 1; g < bests.length; g++)
        expect([seed, g, compareFitness(bests[g], bests[g - 1]) <= 0]).toEqual([seed, g, true]);
    }
  });

  it('stops once the best has not changed for `patience` generations', () => {
    const r = geneticSearch({
      genes: GENES,
      evaluate: () => ({ cost: 1, constraint: 0 }),
      seed: 1,
      population: 8,
      generations: 50,
      patience: 3,
    });
    expect(r.generations).toBe(3);
  });

  it('throws when a gene has no range, naming it', () => {
    expect(() =>
      geneticSearch({
        genes: [{ name: 'q', min: 1, max: 0 }],
        evaluate: toy,
        seed: 1,
        population: 4,
        generations: 1,
      }),
    ).toThrow(new GeneticSearchError('gene q: min 1 must be a number no greater than max 0'));
  });
});

describe('Function: compareFitness (feasibility rules)', () => {
  it('ranks a feasible genome before an infeasible one, however cheap', () => {
    expect(compareFitness({ cost: 100, constraint: 0 }, { cost: 1, constraint: 0.5 })).toBeLessThan(0);
  });

  it('ranks feasible genomes by cost, then by slack', () => {
    expect(compareFitness({ cost: 2, constraint: -5 }, { cost: 3, constraint: -9 })).toBeLessThan(0);
    expect(compareFitness({ cost: 2, constraint: -9 }, { cost: 2, constraint: -5 })).toBeLessThan(0);
  });

  it('ranks infeasible genomes by how far they break the constraint, not by cost', () => {
    expect(compareFitness({ cost: 9, constraint: 1 }, { cost: 1, constraint: 2 })).toBeLessThan(0);
  });
});

describe('Function: snapGene', () => {
  it('clamps to the bounds, rounds whole genes and snaps stepped ones without float noise', () => {
    expect(snapGene({ name: 'a', min: 1, max: 50, integer: true }, 0.2)).toBe(1);
    expect(snapGene({ name: 'a', min: 1, max: 50, integer: true }, 7.6)).toBe(8);
    expect(snapGene({ name: 'q', min: 0.5, max: 0.99, step: 0.005 }, 0.7124)).toBe(0.71);
    expect(snapGene({ name: 'q', min: 0.5, max: 0.99, step: 0.005 }, 0.7126)).toBe(0.715);
    expect(snapGene({ name: 'q', min: 0.5, max: 0.99, step: 0.005 }, 2)).toBe(0.99);
    expect(snapGene({ name: 'h', min: 0, max: 0.5, step: 0.1 }, 0.3)).toBe(0.3);
  });
});

describe('Function: seededRandom', () => {
  it('repeats its sequence for a seed and stays in [0, 1)', () => {
    const [a, b] = [seededRandom(9), seededRandom(9)];
    const xs = Array.from({ length: 1000 }, a);
    expect(Array.from({ length: 1000 }, b)).toEqual(xs);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(xs.reduce((s, x) => s + x, 0) / xs.length).toBeCloseTo(0.5, 1);
  });
});
