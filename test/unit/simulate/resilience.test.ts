import type { ScalingScores } from '../../../layers/core/simulate/replay.js';
import {
  breachBudget,
  firstHolding,
  type Knob,
  resilienceVerdict,
  SloSchema,
} from '../../../layers/core/simulate/resilience.js';

const scores = (breachMinutes: number, instanceHours = 10, oracleBreachMinutes = 0): ScalingScores => ({
  minutes: 1440,
  breachMinutes,
  breachPct: (100 * breachMinutes) / 1440,
  unservedPct: 0,
  instanceHours,
  costVsOracle: 1,
  costVsFeasibleOracle: 1,
  scaleEvents: 0,
  oracleInstanceHours: 5,
  oracleBreachMinutes,
  maxDesired: 10,
});

const limits = {
  maxInstances: 40,
  peakNeed: 30,
  warmupMinutes: 5,
  observationLagMinutes: 2,
  metricOutageMinutes: 0,
};

/** A knob whose breach minutes fall as its value grows, counting the replays asked of it. */
function knob(setting: Knob['setting'], values: number[], breachAt: (v: number) => number) {
  const asked: number[] = [];
  const k: Knob = {
    setting,
    from: 0,
    values,
    replay: (v) => {
      asked.push(v);
      return scores(breachAt(v), 10 + Math.round(100 * v));
    },
  };
  return { knob: k, asked };
}

const grid = Array.from({ length: 20 }, (_, i) => Math.round((i + 1) * 5) / 100);

describe('Function: breachBudget', () => {
  it.each([
    [{}, 1440, 14],
    [{}, 1500, 15],
    [{ maxBreachPct: 5 }, 1440, 72],
    [{ maxBreachMinutes: 3 }, 1440, 3],
    [{ maxBreachMinutes: 30, maxBreachPct: 1 }, 1440, 14],
    [{ maxBreachMinutes: 0 }, 1440, 0],
  ])('allows %j over %d minutes: %d breach minutes', (slo, minutes, budget) => {
    expect(breachBudget(SloSchema.parse(slo), minutes)).toBe(budget);
  });

  it('refuses an unknown bound, naming it', () => {
    expect(SloSchema.safeParse({ maxBreach: 3 }).error?.issues[0]).toMatchObject({ keys: ['maxBreach'] });
  });
});

describe('Function: firstHolding', () => {
  it('finds the first value that holds in 1 + ⌈log2 n⌉ tries', () => {
    const tried: number[] = [];
    const found = firstHolding(grid, (v) => {
      tried.push(v);
      return v >= 0.35;
    });
    expect(found).toBe(0.35);
    expect(tried.length).toBeLessThanOrEqual(1 + Math.ceil(Math.log2(grid.length)));
    expect(tried).toContain(0.3); // the one before it was tried, and failed
  });

  it('tries only the last value when even it does not hold', () => {
    const tried: number[] = [];
    const never = (v: number) => {
      tried.push(v);
      return false;
    };
    expect(firstHolding(grid, never)).toBeUndefined();
    expect(tried).toEqual([1]);
  });

  it('returns the first value when every value holds', () => {
    expect(firstHolding(grid, () => true)).toBe(0.05);
  });
});

describe('Function: resilienceVerdict', () => {
  it('holds without a replay when the breach minutes are within the budget', () => {
    const headroom = knob('headroom', grid, () => 0);
    const v = resilienceVerdict({
      policy: 'p',
      scores: scores(14),
      budgetMinutes: 14,
      knobs: [headroom.knob],
      limits,
    });
    expect(v).toEqual({ policy: 'p', holds: true, breachMinutes: 14, budgetMinutes: 14, replays: 0 });
    expect(headroom.asked).toEqual([]);
  });

  it('reports the least headroom that holds, with its cost over the policy’s own', () => {
    // Prepare: 40 breach minutes, 10 fewer per 0.05 of headroom
    const headroom = knob('headroom', grid, (v) => Math.max(0, 40 - 200 * v));

    // Act
    const v = resilienceVerdict({
      policy: 'p',
      scores: scores(40),
      budgetMinutes: 5,
      knobs: [headroom.knob],
      limits,
    });

    // Assess: 0.2 leaves 0 (0.15 leaves 10)
    expect(v.fix).toEqual({
      setting: 'headroom',
      from: 0,
      value: 0.2,
      breachMinutes: 0,
      unservedPct: 0,
      instanceHours: 30,
      extraInstanceHours: 20,
    });
    expect(v.replays).toBe(headroom.asked.length);
  });

  it('moves to the next knob only when the first cannot hold', () => {
    const headroom = knob('headroom', grid, () => 40);
    const target = knob('targetUtilization', [0.5, 0.4, 0.3], (u) => (u <= 0.4 ? 0 : 40));
    const v = resilienceVerdict({
      policy: 'p',
      scores: scores(40),
      budgetMinutes: 5,
      knobs: [headroom.knob, target.knob],
      limits,
    });
    expect(v.fix).toMatchObject({ setting: 'targetUtilization', value: 0.4 });
    expect(headroom.asked).toEqual([1]);
  });

  it('blames maxInstances when even a policy that knew the future would breach', () => {
    const v = resilienceVerdict({
      policy: 'p',
      scores: scores(40, 10, 30),
      budgetMinutes: 5,
      knobs: [knob('headroom', grid, () => 40).knob],
      limits,
    });
    expect(v.holds).toBe(false);
    expect(v.unfixable).toBe(
      "maxInstances 40 is too few: the scenario's busiest minute needs 30 instances, so even a policy that knew the future breaches 30 minutes (budget 5): raise maxInstances or the instances’ capacity",
    );
  });

  it('blames the warm-up and the lag, and names the best tried, when capacity is not the limit', () => {
    const v = resilienceVerdict({
      policy: 'p',
      scores: scores(40),
      budgetMinutes: 5,
      knobs: [knob('headroom', grid, (h) => 40 - 10 * h).knob],
      limits: { ...limits, metricOutageMinutes: 20 },
    });
    expect(v.unfixable).toMatch(
      /^Nothing tried holds: the best, headroom 1, still breaches 30 minutes \(budget 5\)/,
    );
    expect(v.unfixable).toContain(
      'a 5-minute warm-up, 2-minute observation lag and 20 minutes without metrics',
    );
  });
});
