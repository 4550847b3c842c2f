import {
  ComparedRuleSchema,
  type ComparisonInput,
  ComparisonInputError,
  compareStrategies,
  type Strategy,
  StrategySchema,
  verdictOf,
} from '../../../layers/core/compliance/strategy-comparison.js';
import type { ScalingPolicy } from '../../../layers/core/policy/types.js';
import { FleetPhysicsSchema } from '../../../layers/core/simulate/physics.js';
import { WhatIfSchema } from '../../../layers/core/simulate/what-if.js';

const MIN = 60_000;
const START = Date.parse('2026-11-15T00:00:00.000Z');
const HISTORY_DAYS = 7;
/** Requests per minute one instance serves at 100 % CPU. */
const K = 100;

/** Every day 100 requests a minute, except 1,000 from 09:30 to 17:00: a step rise the forecaster learns. */
const workdays = (days: number) =>
  Float64Array.from({ length: days * 1440 }, (_, i) => {
    const m = i % 1440;
    return m >= 570 && m < 1020 ? 1000 : 100;
  });

/** A fleet nobody scales: it keeps what it has (2 instances to begin with, and whatever remediation adds). */
const staticFleet = (): ScalingPolicy => ({
  name: 'static',
  decide: (v) => ({ desired: v.previousDesired ?? 2 }),
});

/** p90 of the forecast over the next hour above 80 % of capacity. */
const forecastRule = ComparedRuleSchema.parse({
  id: 'headroom',
  check: { kind: 'forecast', quantile: 'p90', horizonMinutes: 60, utilizationAbove: 0.8 },
});
/** p95 of CPU over 10 minutes below 80 %. */
const cpuRule = ComparedRuleSchema.parse({
  id: 'cpu-p95',
  severity: 'high',
  check: { kind: 'metric', metric: 'cpu', stat: 'p95', windowMinutes: 10, below: 80 },
  remediation: { action: 'scale' },
});

const strategy = (s: unknown): Strategy => StrategySchema.parse(s);

/** One replayed day after a week of history, the live policy a static fleet unless given. */
function inputOf(over: Partial<ComparisonInput> & Pick<ComparisonInput, 'strategies'>): ComparisonInput {
  return {
    demand: workdays(HISTORY_DAYS + 1),
    start: HISTORY_DAYS * 1440,
    startTime: START + HISTORY_DAYS * 1440 * MIN,
    capacityPerInstance: K,
    physics: FleetPhysicsSchema.parse({ warmupMinutes: 5, minInstances: 1, maxInstances: 100 }),
    metrics: [
      { key: 'requests', role: 'load' },
      { key: 'cpu', role: 'utilization' },
    ],
    livePolicy: staticFleet,
    policy: { maxStep: 10, targetUtilization: 0.6 },
    rule: forecastRule,
    ...over,
  };
}

describe('compareStrategies', () => {
  test('on a step rise, raising the floor to the forecast ahead of it leaves fewer violation minutes than scaling by a step', () => {
    // Prepare
    const input = inputOf({
      strategies: [strategy({ kind: 'scale-step', step: 2 }), strategy({ kind: 'raise-floor-to-forecast' })],
    });

    // Act
    const [day] = compareStrategies(input).scenarios;

    // Assess: the 09:00 run sees the rise coming within the hour, and raises the floor to
    // ⌈1000 / (100 × 0.8)⌉ = 13, in service from 09:05, before the rise at 09:30
    expect(day.B.actions[0]).toMatchObject({ minute: 540, action: 'raise-floor', from: 0, to: 13 });
    expect(day.A.actions[0]).toMatchObject({ action: 'scale-out', from: 2, to: 4 });
    expect(day.B.violationMinutes).toBeLessThan(day.A.violationMinutes);
    expect(day.A.violationMinutes).toBeLessThan(day.baseline.violationMinutes);
    expect(day.B.breachMinutes).toBe(0);
    expect(day.A.breachMinutes).toBeGreaterThan(0);
  });

  test('on a flat load the rule is never broken: no actions, and none and both strategies cost the same', () => {
    // Prepare: 300 a minute on 10 instances is 30 % CPU
    const input = inputOf({
      demand: new Float64Array((HISTORY_DAYS + 1) * 1440).fill(300),
      livePolicy: () => ({ name: 'static', decide: () => ({ desired: 10 }) }),
      rule: cpuRule,
      strategies: [strategy({ kind: 'scale-step', step: 2 }), strategy({ kind: 'raise-floor-to-forecast' })],
      pricePerInstanceHour: 0.1,
    });

    // Act
    const result = compareStrategies(input);

    // Assess
    const [day] = result.scenarios;
    for (const o of [day.baseline, day.A, day.B]) {
      expect([o.violationMinutes, o.actionsTaken, o.evaluationsViolated]).toEqual([0, 0, 0]);
      expect([o.instanceHours, o.cost]).toEqual([240, 24]);
    }
    expect(result.total.verdict).toEqual({
      better: null,
      reason: 'a tie: 0 vs 0 violation minutes, 240 instance-hours ($24.00) vs 240 instance-hours ($24.00)',
    });
  });

  test('the outcome follows the strategy: a larger step breaks the CPU rule for fewer minutes, at more cost', () => {
    // Prepare
    const input = inputOf({
      rule: cpuRule,
      strategies: [strategy({ kind: 'scale-step', step: 1 }), strategy({ kind: 'scale-step', step: 5 })],
    });

    // Act
    const { total, scenarios } = compareStrategies(input);

    // Assess
    expect(total.B.violationMinutes).toBeLessThan(total.A.violationMinutes);
    expect(total.B.instanceHours).toBeGreaterThan(total.A.instanceHours);
    expect(scenarios[0].B.actions.slice(0, 2).map((a) => [a.from, a.to])).toEqual([
      [2, 7],
      [7, 12],
    ]);
    expect(total.verdict.better).toBeNull();
    expect(total.verdict.reason).toMatch(
      /^a trade-off: B has \d+ fewer violation minutes for [\d.]+ more instance-hours than A/,
    );
  });

  test('a step goes through the actuator’s clamp: never more than the max step at once', () => {
    const input = inputOf({
      rule: cpuRule,
      strategies: [strategy({ kind: 'scale-step', step: 50 }), strategy({ kind: 'none' })],
    });

    const [day] = compareStrategies(input).scenarios;

    expect(day.A.actions[0]).toMatchObject({ from: 2, to: 12, boundBy: 'max-step' });
    // `none` is the live policy alone: the baseline itself
    expect(day.B).toBe(day.baseline);
    expect(day.B.actionsTaken).toBe(0);
  });

  test('the rule is judged at each evaluation interval: hourly runs on a day evaluate 23 times, every 4 hours 5', () => {
    const strategies = [strategy({ kind: 'none' }), strategy({ kind: 'none' })] as const;
    const hourly = compareStrategies(inputOf({ rule: cpuRule, strategies })).scenarios[0].A;
    const fourHourly = compareStrategies(inputOf({ rule: cpuRule, strategies, evaluationMinutes: 240 }))
      .scenarios[0].A;
    expect([hourly.evaluations, fourHourly.evaluations]).toEqual([23, 5]);
    // violation minutes measure the fleet, not how often it is looked at
    expect(fourHourly.violationMinutes).toBe(hourly.violationMinutes);
  });

  test('each scenario is compared on its own after the day as it was, with its own verdict', () => {
    const input = inputOf({
      rule: cpuRule,
      // 13 instances, and nothing replaces one lost
      livePolicy: () => ({
        name: 'static',
        decide: (v) => ({ desired: v.previousDesired === undefined ? 13 : v.inService + v.warming }),
      }),
      strategies: [strategy({ kind: 'none' }), strategy({ kind: 'scale-step', step: 4 })],
      scenarios: [
        {
          name: 'zone-loss',
          whatIf: WhatIfSchema.parse({ failures: [{ kind: 'zone-loss', atMinute: 600, fraction: 1 / 3 }] }),
        },
      ],
    });

    const { scenarios } = compareStrategies(input);

    expect(scenarios.map((s) => s.scenario)).toEqual(['as-it-was', 'zone-loss']);
    // 13 instances carry the day; a zone lost at 10:00 leaves 9 for 1,000 a minute, until a step of 4
    expect(scenarios[0].A.violationMinutes).toBe(0);
    expect(scenarios[1].A.violationMinutes).toBeGreaterThan(0);
    expect(scenarios[1].B.violationMinutes).toBeLessThan(scenarios[1].A.violationMinutes);
    expect(scenarios[0].verdict.better).toBeNull();
  });

  test('throws when the rule reads a metric the simulator does not measure', () => {
    const rule = ComparedRuleSchema.parse({
      check: { kind: 'metric', metric: 'latency', stat: 'p99', windowMinutes: 5, below: 200 },
    });
    expect(() =>
      compareStrategies(
        inputOf({ rule, strategies: [strategy({ kind: 'none' }), strategy({ kind: 'none' })] }),
      ),
    ).toThrow(ComparisonInputError);
  });
});

describe('verdictOf', () => {
  const t = (violationMinutes: number, instanceHours: number) => ({
    violationMinutes,
    instanceHours,
    actionsTaken: 0,
  });

  test('fewer violation minutes at no more cost wins', () => {
    expect(verdictOf(t(10, 50), t(30, 50))).toEqual({
      better: 'A',
      reason:
        'A: fewer violation minutes at no more cost (10 vs 30 violation minutes, 50 instance-hours vs 50 instance-hours)',
    });
  });

  test('cheaper at no more violation minutes wins', () => {
    expect(verdictOf(t(10, 60), t(10, 50)).better).toBe('B');
    expect(verdictOf(t(10, 60), t(10, 50)).reason).toMatch(/^B: cheaper at no more violation minutes/);
  });

  test('a trade-off names no winner and states its price', () => {
    expect(verdictOf(t(10, 62), t(40, 50))).toEqual({
      better: null,
      reason:
        'a trade-off: A has 30 fewer violation minutes for 12 more instance-hours than B (24 instance-minutes a violation minute avoided; 10 vs 40 violation minutes, 62 instance-hours vs 50 instance-hours)',
    });
  });
});
