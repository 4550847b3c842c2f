import {
  breachMinutesByDay,
  type ParetoPoint,
  POLICY_GENES,
  type PolicySettings,
  paretoFront,
  policyReplayer,
  searchPolicy,
} from '../../../layers/core/policy/policy-search.js';
import { type OutlookShare, twinPolicy } from '../../../layers/core/policy/twin-policy.js';
import { seededRandom } from '../../../layers/core/seeded-random.js';
import { DEFAULT_PHYSICS } from '../../../layers/core/simulate/physics.js';
import { replay } from '../../../layers/core/simulate/replay.js';

const DAY = 1440;

/**
 * Ten days of a daily sine of requests per minute (400 ± 300, ±10 % noise) with a 20-minute burst
 * of +40 % at a random time in every 3 hours, from a fixed seed: the bursts cannot be forecast, so
 * the cheapest settings breach and the budget binds.
 */
function burstySine(days = 10): Float64Array {
  const rand = seededRandom(3);
  const demand = Float64Array.from(
    { length: days * DAY },
    (_, m) => (400 - 300 * Math.cos((2 * Math.PI * m) / DAY)) * (0.9 + 0.2 * rand()),
  );
  for (let at = 0; at < demand.length; at += 180) {
    const burst = at + Math.floor(rand() * 160);
    for (let m = burst; m < burst + 20; m++) demand[m] *= 1.4;
  }
  return demand;
}

/** A twin's default policy (TwinPolicyConfigSchema's defaults). */
const DEFAULTS: PolicySettings = {
  quantile: 0.9,
  targetUtilization: 0.6,
  headroom: 0,
  stabilizationMinutes: 15,
  maxStep: 10,
};

describe('Function: searchPolicy', () => {
  const demand = burstySine();
  // a week of history, two days to train on, the last day to validate on
  const input = {
    train: { demand: demand.subarray(0, 9 * DAY), start: 7 * DAY },
    validation: { demand, start: 9 * DAY },
    capacityPerInstance: 20,
    physics: DEFAULT_PHYSICS,
    current: DEFAULTS,
    seed: 1,
    population: 12,
    generations: 6,
  };
  const result = searchPolicy(input);

  it('keeps within the breach budget, by default the current policy’s breach minutes on train', () => {
    expect(result.breachBudgetMinutes).toBe(result.current.train.breachMinutes);
    expect(result.feasible).toBe(true);
    expect(result.best.train.breachMinutes).toBeLessThanOrEqual(result.breachBudgetMinutes);
  });

  it('finds settings cheaper than the current policy on train', () => {
    expect(result.best.train.instanceHours).toBeLessThan(result.current.train.instanceHours);
  });

  it('passes over cheaper settings that break the budget (the total alone)', () => {
    const r = searchPolicy({ ...input, noWorseDays: false });
    expect(r.noWorseDays).toBe(false);
    const cheaper = r.paretoFront.filter((p) => p.instanceHours < r.best.train.instanceHours);
    expect(cheaper.length).toBeGreaterThan(0);
    for (const p of cheaper) expect(p.breachMinutes).toBeGreaterThan(r.breachBudgetMinutes);
  });

  it('starts from the current settings, so the best is never worse than them, even without breeding', () => {
    const r = searchPolicy({ ...input, validation: undefined, population: 2, generations: 0 });
    expect(r.feasible).toBe(true);
    expect(r.best.train.instanceHours).toBeLessThanOrEqual(r.current.train.instanceHours);
  });

  it('scores the winner and the current policy on the validation window as well', () => {
    expect(result.best.validation?.minutes).toBe(DAY);
    expect(result.current.validation?.minutes).toBe(DAY);
    expect(result.current.settings).toEqual(DEFAULTS);
  });

  it('returns settings within the searched bounds', () => {
    for (const g of POLICY_GENES) {
      const v = result.best.settings[g.name];
      expect([g.name, v >= g.min && v <= g.max]).toEqual([g.name, true]);
      if ('integer' in g) expect(Number.isInteger(v)).toBe(true);
    }
  });

  it('returns a Pareto front cheapest first, each point with fewer breach minutes than the one before', () => {
    const front = result.paretoFront;
    expect(front.length).toBeGreaterThan(0);
    for (let i = 1; i < front.length; i++) {
      expect(front[i].instanceHours).toBeGreaterThan(front[i - 1].instanceHours);
      expect(front[i].breachMinutes).toBeLessThan(front[i - 1].breachMinutes);
    }
    // the winner is on the front: nothing scored is both cheaper and within the budget
    expect(front).toContainEqual({
      settings: result.best.settings,
      instanceHours: result.best.train.instanceHours,
      breachMinutes: result.best.train.breachMinutes,
    });
  });

  it('gives the identical result for the same seed', () => {
    expect(searchPolicy(input)).toEqual(result);
  });

  it('reports each distinct candidate once, with its train scores and whether it kept the budget', () => {
    const seen: { settings: PolicySettings; breachMinutes: number; feasible: boolean }[] = [];
    const r = searchPolicy({
      ...input,
      onCandidate: (settings, train, feasible) =>
        seen.push({ settings, breachMinutes: train.breachMinutes, feasible }),
    });
    expect(seen).toHaveLength(r.evaluations);
    expect(new Set(seen.map((c) => JSON.stringify(c.settings))).size).toBe(seen.length);
    // the day rule can refuse one within the total, never the other way round
    for (const c of seen) if (c.feasible) expect(c.breachMinutes).toBeLessThanOrEqual(r.breachBudgetMinutes);
    expect(seen.filter((c) => c.feasible).map((c) => c.settings)).toContainEqual(r.best.settings);
    expect(seen.some((c) => !c.feasible)).toBe(true);
  });

  it('replays settings as the search scores them (policyReplayer)', () => {
    const replayOn = policyReplayer(input);
    expect(replayOn(input.validation, result.best.settings).scores).toEqual(result.best.validation);
    expect(replayOn(input.train, DEFAULTS).scores).toEqual(result.current.train);
  });

  it('keeps an explicit breach budget', () => {
    const r = searchPolicy({ ...input, validation: undefined, breachBudgetMinutes: 0, generations: 2 });
    expect(r.breachBudgetMinutes).toBe(0);
    // an explicit budget is not the current policy's: no day rule against it unless asked
    expect(r.noWorseDays).toBe(false);
    expect(r.best.validation).toBeUndefined();
    expect(r.best.train.breachMinutes === 0).toBe(r.feasible);
  });
});

describe('Function: searchPolicy, the day rule', () => {
  /**
   * Nine days of 200 requests per minute (±5 % noise) stepping to 2000 from 8:00 to 12:00 and from
   * 14:00 to 18:00, which the default's 10 instances a step cannot follow; and on the first train
   * day (day 7) three 5-minute bursts of +50 %, which only utilization-heavy settings breach on.
   * So the cheap settings save breaches on the second train day and add them on the first: within
   * the total budget, but worse than the default on day 7.
   */
  function stepsAndBursts(): Float64Array {
    const rand = seededRandom(3);
    const demand = Float64Array.from({ length: 9 * DAY }, (_, m) => {
      const t = m % DAY;
      const high = (t >= 480 && t < 720) || (t >= 840 && t < 1080);
      return (high ? 2000 : 200) * (0.95 + 0.1 * rand());
    });
    for (let i = 0; i < 3; i++) {
      const burst = 7 * DAY + 100 + Math.floor(rand() * (DAY - 200));
      for (let m = burst; m < burst + 5; m++) demand[m] *= 1.5;
    }
    return demand;
  }

  const demand = stepsAndBursts();
  const input = {
    train: { demand, start: 7 * DAY },
    capacityPerInstance: 20,
    physics: DEFAULT_PHYSICS,
    current: DEFAULTS,
    seed: 1,
    population: 12,
    generations: 6,
  };
  // replays settings on the train window: breach minutes per day
  const trainDays = (s: PolicySettings) =>
    breachMinutesByDay(
      replay(twinPolicy({ ...s, autoTune: { enabled: false } }), {
        demand,
        start: input.train.start,
        capacityPerInstance: input.capacityPerInstance,
        physics: DEFAULT_PHYSICS,
      }).timeline.breach,
    );
  const current = trainDays(DEFAULTS);
  const noWorse = (days: number[]) => days.map((b, day) => b <= current[day]);

  it('without it, the cheapest within the total budget breaches more than the default on a train day', () => {
    const r = searchPolicy({ ...input, noWorseDays: false });
    expect(r.feasible).toBe(true);
    expect(current).toHaveLength(2);
    expect(noWorse(trainDays(r.best.settings))).toContain(false);
  });

  it('by default breaches no more than the current policy on any train day', () => {
    const r = searchPolicy(input);
    expect(r.noWorseDays).toBe(true);
    expect(r.feasible).toBe(true);
    expect(noWorse(trainDays(r.best.settings))).toEqual([true, true]);
    // and still saves: the rule narrows the search, it does not end it at the default
    expect(r.best.train.instanceHours).toBeLessThan(r.current.train.instanceHours);
  });
});

describe('Function: breachMinutesByDay', () => {
  it('sums breach minutes in 1440-minute blocks, the last one partial', () => {
    const breach = new Uint8Array(2 * DAY + 10);
    breach[0] = 1;
    breach[DAY - 1] = 1;
    breach[DAY] = 1;
    breach[2 * DAY + 9] = 1;
    expect(breachMinutesByDay(breach)).toEqual([2, 1, 1]);
    expect(breachMinutesByDay(new Uint8Array(0))).toEqual([]);
  });
});

describe('Function: paretoFront', () => {
  const at = (instanceHours: number, breachMinutes: number, quantile = 0.9): ParetoPoint => ({
    settings: { ...DEFAULTS, quantile },
    instanceHours,
    breachMinutes,
  });

  it('keeps the non-dominated points, cheapest first, the first of equal points', () => {
    const points = [at(10, 5), at(8, 9), at(12, 5), at(9, 9), at(10, 5, 0.7), at(15, 0), at(8, 12)];
    expect(paretoFront(points)).toEqual([at(8, 9), at(10, 5), at(15, 0)]);
  });
});

describe('Function: twinPolicy with a shared demand outlook', () => {
  const demand = burstySine(9);
  const input = { demand, start: 8 * DAY, capacityPerInstance: 20 };
  const settings = [
    { targetUtilization: 0.6, quantile: 0.9, stabilizationMinutes: 15, maxStep: 10 },
    { targetUtilization: 0.8, quantile: 0.6, headroom: 0.2, stabilizationMinutes: 0, maxStep: 3 },
  ];
  const off = { autoTune: { enabled: false } };

  it('decides exactly as with an outlook of its own', () => {
    const share: OutlookShare = {};
    for (const s of settings) {
      const shared = replay(twinPolicy({ ...s, ...off }, share), input).timeline.desired;
      const own = replay(twinPolicy({ ...s, ...off }), input).timeline.desired;
      expect(Array.from(shared)).toEqual(Array.from(own));
    }
    expect(share.outlook).toBeDefined();
  });

  it('throws when the share is used on a replay from another minute', () => {
    const share: OutlookShare = {};
    replay(twinPolicy(off, share), input);
    expect(() => replay(twinPolicy(off, share), { ...input, start: input.start + 60 })).toThrow(
      /shared demand outlook serves replays of one demand from one minute/,
    );
  });
});
