import {
  checkPlan,
  PlanInfeasibleError,
  searchCapacityPlan,
} from '../../../layers/core/groups/capacity-plan.js';
import { DEFAULT_CATALOG, type PlannedType, plannedTypes } from '../../../layers/core/groups/catalog.js';
import { GROUP_SLOT_MS } from '../../../layers/core/groups/group-forecast.js';

/** A day whose requirement swings from 3.2 to 17.6 reference instances and back. */
const REQUIRED = Array.from({ length: 24 }, (_, h) => 10.4 + 7.2 * Math.sin((Math.PI * (h - 6)) / 12));

const type = (
  name: string,
  relativeCapacity: number,
  pricePerHour: number,
  maxCount?: number,
): PlannedType => ({
  name,
  relativeCapacity,
  pricePerHour,
  relativeCapacitySource: 'declared',
  relativeCapacityFrom: 'declared',
  ...(maxCount !== undefined ? { maxCount } : {}),
});

/** Each single type's day: whole instances covering every hour. */
const singleCost = (t: PlannedType) =>
  REQUIRED.reduce((a, r) => a + Math.ceil(r / t.relativeCapacity - 1e-9) * t.pricePerHour, 0);

describe('Function: searchCapacityPlan', () => {
  test('the mix meets every hour and is no dearer than the cheapest single type', () => {
    // Prepare: a large type dear per unit of capacity, a 3x type cheap per unit but coarse
    const types = [type('small', 1, 0.1), type('big', 3, 0.27)];

    // Act
    const plan = searchCapacityPlan({ required: REQUIRED, types, seed: 7 });

    // Assess
    for (const h of plan.hours) expect(h.capacity).toBeGreaterThanOrEqual(h.required - 1e-6);
    const cheapestSingle = Math.min(...types.map(singleCost));
    expect(plan.singleType?.cost).toBeCloseTo(cheapestSingle, 4);
    expect(plan.cost).toBeLessThanOrEqual(cheapestSingle + 1e-9);
    // rounding the coarse type up costs more than topping it with a small one: the mix wins
    expect(plan.cost).toBeLessThan(cheapestSingle - 0.05);
    expect(Object.values(plan.shares).filter((s) => s > 0)).toHaveLength(2);
  });

  test('the default catalog: the search is reproducible by seed and meets the quantile every hour', () => {
    const types = plannedTypes(DEFAULT_CATALOG);

    const a = searchCapacityPlan({ required: REQUIRED, types, seed: 3 });
    const b = searchCapacityPlan({ required: REQUIRED, types, seed: 3 });

    expect(b).toEqual(a);
    for (const h of a.hours) expect(h.capacity).toBeGreaterThanOrEqual(h.required - 1e-6);
    expect(a.cost).toBeLessThanOrEqual(a.singleType?.cost ?? Number.POSITIVE_INFINITY);
  });

  test('throws naming the hour when the catalog cannot supply it', () => {
    const types = [type('small', 1, 0.1, 5), type('big', 3, 0.27, 2)];

    const plan = () => searchCapacityPlan({ required: REQUIRED, types, seed: 1 });

    expect(plan).toThrow(PlanInfeasibleError);
    expect(plan).toThrow(/hour 12 needs 17\.6 reference instances, and the catalog supplies at most 11/);
  });

  test('an instance cap the types can meet only with large ones: the plan uses them', () => {
    const types = [type('small', 1, 0.1), type('big', 4, 0.44)];

    const plan = searchCapacityPlan({ required: REQUIRED, types, seed: 2, maxInstances: 6 });

    for (const h of plan.hours) {
      expect(Object.values(h.counts).reduce((a, c) => a + c, 0)).toBeLessThanOrEqual(6);
      expect(h.capacity).toBeGreaterThanOrEqual(h.required - 1e-6);
    }
  });
});

describe('Function: checkPlan (the simulator replays the plan)', () => {
  const FIRST_HOUR = Date.parse('2026-11-24T00:00:00Z');
  /** A flat forecast: p50 6, p90 8 reference instances. */
  const forecast = {
    t0: FIRST_HOUR,
    stepMs: GROUP_SLOT_MS,
    p50: new Float64Array(288).fill(6),
    sigmaUp: new Float64Array(288).fill(2 / 1.2815515655446004),
    sigmaDown: new Float64Array(288).fill(1),
  };
  const hours = (capacity: number) => Array.from({ length: 24 }, () => ({ capacity }));

  test('capacity for p90 at 60 %: no breach, headroom reported', () => {
    const check = checkPlan({ firstHour: FIRST_HOUR, hours: hours(8 / 0.6) }, forecast, {
      quantile: 0.9,
      warmupMinutes: 5,
    });

    expect(check.passed).toBe(true);
    expect(check.scenarios.map((s) => s.scenario)).toEqual(['p50', 'p90']);
    expect(check.scenarios[1]).toMatchObject({ breachMinutes: 0, unservedPct: 0 });
    expect(check.scenarios[1].minHeadroomPct).toBeCloseTo(40, 0);
  });

  test('capacity at 95 % of p90: every minute breaches at p90, and the plan fails its check', () => {
    const check = checkPlan({ firstHour: FIRST_HOUR, hours: hours(8 / 0.95) }, forecast, {
      quantile: 0.9,
      warmupMinutes: 5,
    });

    expect(check.passed).toBe(false);
    expect(check.scenarios[1].breachMinutes).toBe(24 * 60);
    expect(check.scenarios[0].breachMinutes).toBe(0);
  });
});
