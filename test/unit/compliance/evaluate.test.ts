import {
  type ComplianceInput,
  evaluateCompliance,
  orderViolations,
  type Violation,
} from '../../../layers/core/compliance/evaluate.js';
import { type PolicyRule, PolicyRuleSchema } from '../../../layers/core/compliance/policy-document.js';

const NOW = Date.parse('2026-11-23T12:00:00.000Z');
const MIN = 60_000;

const rule = (r: unknown): PolicyRule => PolicyRuleSchema.parse(r);

/** A twin `web-1` at 4 instances (bounds 1–60) with CPU samples `cpu` a minute apart up to now. */
function inputOf(
  rules: PolicyRule[],
  over: Partial<ComplianceInput> = {},
  cpu: number[] = [],
): ComplianceInput {
  return {
    twin: {
      id: 'web-1',
      metrics: [
        { key: 'requests', role: 'load' },
        { key: 'cpu', role: 'utilization' },
      ],
    },
    policies: [{ id: 'base', document: { version: 1, rules } }],
    samples: { cpu: cpu.map((v, i) => ({ t: NOW - (cpu.length - i) * MIN, v })) },
    target: { capacity: 4, min: 1, max: 60, instanceTypes: ['m5.large'], tags: { team: 'web' } },
    impact: { dependants: 2, weight: 1.5 },
    now: NOW,
    ...over,
  };
}

const cpuP95Below80 = rule({
  id: 'cpu-p95',
  severity: 'high',
  check: { kind: 'metric', metric: 'utilization', stat: 'p95', windowMinutes: 10, below: 80 },
  remediation: { action: 'scale' },
});

describe('Function: evaluateCompliance', () => {
  it('finds p95 CPU over 10 minutes at 90 against a bound of 80, and the instances that bring it under', () => {
    // Prepare: 10 minutes at 90 %; older samples at 20 % lie outside the window
    const cpu = [...Array(20).fill(20), ...Array(10).fill(90)];
    // Act
    const { violations } = evaluateCompliance(inputOf([cpuP95Below80], {}, cpu));
    // Assess: 4 × 90/80 = 4.5 → 5 instances, one more: 24 instance-hours a day
    expect(violations).toEqual([
      expect.objectContaining({
        policy: 'base',
        rule: 'cpu-p95',
        twinId: 'web-1',
        severity: 'high',
        observed: 90,
        threshold: 80,
        impact: 1.5,
        dependants: 2,
        fixCost: 24,
      }),
    ]);
  });

  it('finds nothing while p95 CPU over the window is below the bound', () => {
    const cpu = [...Array(20).fill(95), ...Array(10).fill(50)];
    expect(evaluateCompliance(inputOf([cpuP95Below80], {}, cpu)).violations).toEqual([]);
  });

  it('skips a metric rule without samples in its window, saying so', () => {
    const r = evaluateCompliance(inputOf([cpuP95Below80], {}, []));
    expect(r.violations).toEqual([]);
    expect(r.skipped).toEqual([
      { policy: 'base', rule: 'cpu-p95', reason: expect.stringMatching(/no samples of "cpu"/) },
    ]);
  });

  it('checks the bounds, instance types and tags of the configuration in one violation', () => {
    const bounds = rule({
      id: 'bounds',
      severity: 'medium',
      check: {
        kind: 'config',
        minCapacityAtLeast: 2,
        maxCapacityAtMost: 50,
        allowedInstanceTypes: ['m6g.large'],
        requiredTags: ['team', 'cost-center'],
      },
      remediation: { action: 'change-bounds' },
    });
    const [v] = evaluateCompliance(
      inputOf([bounds], {
        target: { capacity: 1, min: 1, max: 60, instanceTypes: ['m5.large'], tags: { team: 'web' } },
      }),
    ).violations;
    expect(v.message).toBe(
      'min capacity 1, below 2; max capacity 60, above 50; instance types m5.large not allowed (allowed: m6g.large); tags cost-center missing',
    );
    expect([v.observed, v.threshold]).toEqual([1, 2]);
    // the floor raised to 2 keeps one more instance running at capacity 1
    expect(v.fixCost).toBe(24);
  });

  it('passes a configuration within every bound', () => {
    const bounds = rule({
      id: 'bounds',
      severity: 'medium',
      check: {
        kind: 'config',
        minCapacityAtLeast: 1,
        maxCapacityAtMost: 60,
        allowedInstanceTypes: ['m5.large'],
        requiredTags: ['team'],
      },
      remediation: { action: 'notify' },
    });
    expect(evaluateCompliance(inputOf([bounds])).violations).toEqual([]);
  });

  it('applies a rule only to the twins its globs match and the targets carrying its tags', () => {
    const only = (applies: unknown) => rule({ ...cpuP95Below80, id: 'r', applies });
    const cpu = Array(10).fill(90);
    const hits = (applies: unknown, over: Partial<ComplianceInput> = {}) =>
      evaluateCompliance(inputOf([only(applies)], over, cpu)).violations.length;
    expect(hits({ twins: ['web-*'] })).toBe(1);
    expect(hits({ twins: ['api-*', 'web'] })).toBe(0);
    expect(hits({ tags: { team: 'web' } })).toBe(1);
    expect(hits({ tags: { team: 'api' } })).toBe(0);
    expect(hits({ twins: ['web-1'], tags: { team: 'api' } })).toBe(0);
    // tags not known: skipped, not judged either way
    expect(hits({ tags: { team: 'web' } }, { target: { capacity: 4 } })).toBe(0);
  });

  it('reports a forecast breach within the horizon now, with the time it is expected', () => {
    // Prepare: 4 instances × 100/min each; p90 demand climbs to 380/min 15 minutes ahead (95 %)
    const headroom = rule({
      id: 'headroom',
      severity: 'critical',
      check: { kind: 'forecast', horizonMinutes: 30, utilizationAbove: 0.9 },
      remediation: { action: 'scale' },
    });
    const p90 = [300, 320, 340, 380, 420, 440, 500];
    const forecast = {
      stepMs: 5 * MIN,
      points: p90.map((v, i) => ({ t: NOW + i * 5 * MIN, p10: v / 2, p50: v * 0.8, p90: v })),
    };
    // Act
    const [v] = evaluateCompliance(inputOf([headroom], { forecast, capacityPerInstance: 100 })).violations;
    // Assess: 380 > 360 at +15 min; the peak within 30 minutes (440 at +25) needs ⌈440/90⌉ = 5, one more
    expect(v).toMatchObject({
      rule: 'headroom',
      expectedAt: '2026-11-23T12:15:00.000Z',
      observed: 0.95,
      threshold: 0.9,
      fixCost: 24,
    });
  });

  it('finds no forecast breach past the horizon, nor at the p50 quantile when asked for it', () => {
    const at = (q: 'p50' | 'p90', horizonMinutes: number) =>
      rule({
        id: 'h',
        severity: 'low',
        check: { kind: 'forecast', quantile: q, horizonMinutes, utilizationAbove: 0.9 },
        remediation: { action: 'notify' },
      });
    const forecast = {
      stepMs: 5 * MIN,
      points: [0, 1, 2, 3].map((i) => ({
        t: NOW + i * 5 * MIN,
        p10: 100,
        p50: 300,
        p90: i === 3 ? 400 : 300,
      })),
    };
    const count = (r: PolicyRule) =>
      evaluateCompliance(inputOf([r], { forecast, capacityPerInstance: 100 })).violations.length;
    expect(count(at('p90', 15))).toBe(0);
    expect(count(at('p90', 20))).toBe(1);
    expect(count(at('p50', 20))).toBe(0);
  });
});

describe('Function: orderViolations', () => {
  const v = (rule: string, severity: Violation['severity'], impact: number, fixCost: number) =>
    ({ rule, severity, impact, fixCost, twinId: 't' }) as Violation;

  it('orders by severity, then impact, then the cheaper fix', () => {
    const ordered = orderViolations([
      v('low', 'low', 9, 0),
      v('high-cheap-low-impact', 'high', 0, 0),
      v('high-costly', 'high', 3, 48),
      v('critical', 'critical', 0, 100),
      v('high-cheap', 'high', 3, 24),
    ]);
    expect(ordered.map((x) => x.rule)).toEqual([
      'critical',
      'high-cheap',
      'high-costly',
      'high-cheap-low-impact',
      'low',
    ]);
  });
});
