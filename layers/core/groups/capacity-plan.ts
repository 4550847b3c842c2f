import { type Gene, geneticSearch } from '../policy/genetic-search.js';
import type { ScalingPolicy } from '../policy/types.js';
import { HOUR_MS, MINUTE_MS } from '../series/grid.js';
import { FleetPhysicsSchema } from '../simulate/physics.js';
import { FleetSimulation } from '../simulate/simulation.js';
import type { PlannedType } from './catalog.js';
import { type GroupForecast, groupQuantile } from './group-forecast.js';

/**
 * A day's capacity plan for a tenant group: how many of each instance type, hour by hour, at the
 * least cost that serves the forecast's chosen quantile at the target utilization.
 *
 * The search: one gene per type, its share of the group's capacity (0–1, steps of 0.05). A genome
 * is a day-long mix, the same shares every hour (an Auto Scaling group's weights stay put while
 * its desired capacity moves); each hour is then solved greedily under the shares: each type gets
 * the whole instances its share of the hour's requirement needs, rounded down, and what is left
 * is covered by the cheapest whole cover among the mix's types. The genetic search
 * (policy/genetic-search.ts) ranks genomes by the day's cost, feasibility first (every hour met,
 * within each type's maxCount and the instances cap). Its first generation holds every single
 * type alone, so the plan found is never dearer than the cheapest single type (reported beside it).
 */

export interface CapacityPlanInput {
  /** Capacity each hour needs, in reference instances (demand at the quantile ÷ target utilization). */
  required: readonly number[];
  types: readonly PlannedType[];
  /** At most this many instances of all types in any hour; absent: no cap. */
  maxInstances?: number;
  seed: number;
}

export interface PlannedHour {
  required: number;
  /** Instances of each type (types with none are left out). */
  counts: Record<string, number>;
  /** Σ count × relative capacity. */
  capacity: number;
  cost: number;
}

export interface CapacityPlanSearch {
  hours: PlannedHour[];
  cost: number;
  /** The share of each type in the mix found (0 for a type unused). */
  shares: Record<string, number>;
  /** The cheapest plan using one type only (null: no single type can meet every hour). */
  singleType: { type: string; cost: number } | null;
  search: { evaluations: number; generations: number; seed: number };
}

/** No mix of the catalog can meet the requirement; the message says in which hour and by how much. */
export class PlanInfeasibleError extends Error {
  override readonly name = 'PlanInfeasibleError';
}

const EPS = 1e-9;
const ACTIVE = 0.05;

export function searchCapacityPlan(p: CapacityPlanInput): CapacityPlanSearch {
  const { types, required } = p;
  if (types.length === 0) throw new PlanInfeasibleError('the catalog has no instance types');
  checkSupply(p);
  const genes: Gene[] = types.map((t) => ({ name: t.name, min: 0, max: 1, step: ACTIVE }));
  const evaluate = (w: readonly number[]) => {
    const hours = required.map((r) => solveHour(r, w, p));
    const cost = hours.reduce((a, h) => a + h.cost, 0);
    let constraint = 0;
    hours.forEach((h) => {
      if (h.required > 0) constraint += Math.max(0, h.required - h.capacity) / h.required;
      const n = Object.values(h.counts).reduce((a, c) => a + c, 0);
      if (p.maxInstances !== undefined)
        constraint += Math.max(0, n - p.maxInstances) / Math.max(1, p.maxInstances);
    });
    return { cost, constraint: constraint > EPS ? constraint : -1, hours };
  };
  const oneHot = types.map((_, i) => types.map((_, j) => (i === j ? 1 : 0)));
  const r = geneticSearch({
    genes,
    evaluate,
    seed: p.seed,
    population: Math.max(40, types.length + 10),
    generations: 80,
    patience: 20,
    initial: oneHot,
  });
  const best = r.best;
  if (best.fitness.constraint > 0)
    throw new PlanInfeasibleError(
      `no mix of the catalog meets every hour within ${p.maxInstances} instances an hour: ` +
        'raise maxInstances, raise the types’ maxCount, or add larger types',
    );
  const singles = types
    .map((t, i) => ({ type: t.name, f: evaluate(oneHot[i]) }))
    .filter((s) => s.f.constraint <= 0)
    .sort((a, b) => a.f.cost - b.f.cost);
  const sum = best.genome.reduce((a, b) => a + b, 0);
  return {
    hours: best.fitness.hours,
    cost: round(best.fitness.cost, 4),
    shares: Object.fromEntries(
      types.map((t, i) => [t.name, round(best.genome[i] >= ACTIVE ? best.genome[i] / sum : 0, 3)]),
    ),
    singleType: singles[0] ? { type: singles[0].type, cost: round(singles[0].f.cost, 4) } : null,
    search: { evaluations: r.evaluations, generations: r.generations, seed: p.seed },
  };
}

/** Before any search: an hour that even every allowed instance of the best types cannot serve. */
function checkSupply(p: CapacityPlanInput): void {
  const byCapacity = [...p.types].sort((a, b) => b.relativeCapacity - a.relativeCapacity);
  let most = 0;
  let left = p.maxInstances ?? Number.POSITIVE_INFINITY;
  for (const t of byCapacity) {
    const n = Math.min(left, t.maxCount ?? Number.POSITIVE_INFINITY);
    most += n * t.relativeCapacity;
    left -= n;
  }
  const worst = p.required.reduce((w, r, h) => (r > p.required[w] ? h : w), 0);
  if (p.required[worst] > most + EPS)
    throw new PlanInfeasibleError(
      `hour ${worst} needs ${round(p.required[worst], 2)} reference instances, and the catalog supplies at most ` +
        `${round(most, 2)} (types' maxCount${p.maxInstances !== undefined ? ` and ${p.maxInstances} instances an hour` : ''}): ` +
        'add larger types, raise maxCount or maxInstances, or plan for a lower quantile',
    );
}

/** One hour under a mix: each type's share in whole instances, the rest by the cheapest cover. */
function solveHour(required: number, w: readonly number[], p: CapacityPlanInput): PlannedHour {
  const { types } = p;
  let active = types.map((_, i) => i).filter((i) => w[i] >= ACTIVE);
  if (active.length === 0) active = [w.indexOf(Math.max(...w))];
  const total = active.reduce((a, i) => a + w[i], 0);
  const counts = new Array<number>(types.length).fill(0);
  const room = (i: number) => (types[i].maxCount ?? Number.POSITIVE_INFINITY) - counts[i];
  for (const i of active)
    counts[i] = Math.min(room(i), Math.floor(((w[i] / total) * required) / types[i].relativeCapacity + EPS));
  let deficit = required - counts.reduce((a, c, i) => a + c * types[i].relativeCapacity, 0);
  while (deficit > EPS) {
    // the cheapest whole cover of what is left by one type of the mix, else its best value per capacity
    const covers = active
      .filter((i) => room(i) > 0)
      .map((i) => {
        const n = Math.ceil(deficit / types[i].relativeCapacity - EPS);
        return { i, n: Math.min(n, room(i)), full: n <= room(i) };
      });
    if (covers.length === 0) break;
    const full = covers.filter((c) => c.full);
    const pick = full.length
      ? full.reduce((a, b) => (b.n * types[b.i].pricePerHour < a.n * types[a.i].pricePerHour ? b : a))
      : covers.reduce((a, b) =>
          types[b.i].pricePerHour / types[b.i].relativeCapacity <
          types[a.i].pricePerHour / types[a.i].relativeCapacity
            ? b
            : a,
        );
    counts[pick.i] += pick.n;
    deficit -= pick.n * types[pick.i].relativeCapacity;
  }
  const capacity = counts.reduce((a, c, i) => a + c * types[i].relativeCapacity, 0);
  return {
    required: round(required, 3),
    counts: Object.fromEntries(types.flatMap((t, i) => (counts[i] > 0 ? [[t.name, counts[i]]] : []))),
    capacity: round(capacity, 3),
    cost: round(
      counts.reduce((a, c, i) => a + c * types[i].pricePerHour, 0),
      4,
    ),
  };
}

/** A simulated day of the plan against one demand scenario. */
export interface PlanCheckScenario {
  /** `p50`, or the plan's quantile (`p90`, `p95`…). */
  scenario: string;
  quantile: number;
  minutes: number;
  /** Minutes above the simulator's breach utilization (90 %). */
  breachMinutes: number;
  /** Share of demand the in-service capacity could not serve, in %. */
  unservedPct: number;
  peakUtilization: number;
  /** The least spare capacity in any minute, as a share of the capacity in service, in %. */
  minHeadroomPct: number;
}

export interface PlanCheck {
  /** No breach minute at the plan's quantile. */
  passed: boolean;
  scenarios: PlanCheckScenario[];
  warmupMinutes: number;
  breachUtilization: number;
}

// the simulator counts whole instances: capacity is simulated in twentieths of a reference instance
const RESOLUTION = 20;

/**
 * The plan replayed by the fleet simulator (simulate/simulation.ts) against the group forecast's
 * demand, minute by minute (each 5-minute slot's peak held over its minutes): once at p50 and
 * once at the plan's quantile. Each hour's capacity is asked for `warmupMinutes` before the hour,
 * as it would be applied ahead of a rise, so new instances are warm when it starts.
 */
export function checkPlan(
  plan: { firstHour: number; hours: readonly Pick<PlannedHour, 'capacity'>[] },
  g: Pick<GroupForecast, 't0' | 'stepMs' | 'p50' | 'sigmaUp' | 'sigmaDown'>,
  o: { quantile: number; warmupMinutes: number },
): PlanCheck {
  const physics = FleetPhysicsSchema.parse({
    warmupMinutes: o.warmupMinutes,
    minInstances: 0,
    maxInstances: 100_000,
  });
  const minutes = plan.hours.length * 60;
  const capacityAt = (m: number) =>
    plan.hours[Math.min(plan.hours.length - 1, Math.floor(m / 60))]?.capacity ?? 0;
  const desired = new Int32Array(minutes);
  for (let m = 0; m < minutes; m++)
    desired[m] = Math.ceil(Math.max(capacityAt(m), capacityAt(m + o.warmupMinutes)) * RESOLUTION - EPS);
  const scheduled: ScalingPolicy = { name: 'capacity-plan', decide: (v) => ({ desired: desired[v.minute] }) };
  const scenarios = [0.5, o.quantile].map((q) => {
    const demand = new Float64Array(minutes);
    for (let m = 0; m < minutes; m++) {
      const slot = Math.floor((plan.firstHour + m * MINUTE_MS - g.t0) / g.stepMs);
      demand[m] = slot >= 0 && slot < g.p50.length ? groupQuantile(g, slot, q) : 0;
    }
    const sim = new FleetSimulation({ start: 0, capacityPerInstance: 1 / RESOLUTION, physics });
    let breach = 0;
    let unserved = 0;
    let served = 0;
    let peak = 0;
    let headroom = Number.POSITIVE_INFINITY;
    for (let m = 0; m < minutes; m++) {
      const out = sim.step(demand, scheduled);
      if (out.breach) breach++;
      unserved += out.unserved;
      served += demand[m];
      peak = Math.max(peak, Number.isFinite(out.utilization) ? out.utilization : 10);
      const cap = out.inService / RESOLUTION;
      if (cap > 0) headroom = Math.min(headroom, (cap - demand[m]) / cap);
    }
    return {
      scenario: `p${Math.round(q * 100)}`,
      quantile: q,
      minutes,
      breachMinutes: breach,
      unservedPct: round(served > 0 ? (100 * unserved) / served : 0, 3),
      peakUtilization: round(peak, 3),
      minHeadroomPct: round(Number.isFinite(headroom) ? 100 * headroom : 100, 1),
    };
  });
  return {
    passed: scenarios[scenarios.length - 1].breachMinutes === 0,
    scenarios,
    warmupMinutes: o.warmupMinutes,
    breachUtilization: physics.breachUtilization,
  };
}

/** The first whole hour after `now` (ms). */
export const nextHour = (now: number): number => Math.floor(now / HOUR_MS) * HOUR_MS + HOUR_MS;

const round = (v: number, digits: number) => Number(v.toFixed(digits));
