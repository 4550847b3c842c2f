import { PlanInputError, planLive } from '../../../layers/core/policy/live-plan.js';
import { type Twin, TwinSchema } from '../../../layers/core/twin/twin.js';
import { fittedCapacity, REQUEST_COUNT } from '../../../local/fixtures/twins.js';

const MIN = 60_000;
const NOW = Date.parse('2026-11-23T12:00:00.000Z');

const twin = (over: Partial<Twin> = {}): Twin =>
  TwinSchema.parse({
    id: 'web',
    target: { kind: 'asg', autoScalingGroupName: 'web' },
    metrics: [
      REQUEST_COUNT,
      { key: 'cpu', role: 'utilization', namespace: 'AWS/EC2', metricName: 'CPUUtilization' },
    ],
    policy: { targetUtilization: 0.5, maxStep: 100 },
    capacityModel: fittedCapacity(100),
    source: 'registered',
    version: 1,
    createdAt: '2026-11-01T00:00:00.000Z',
    updatedAt: '2026-11-01T00:00:00.000Z',
    ...over,
  });

/** Three days of flat demand at 1,000 per minute, then whatever `recent` says for the last minutes. */
const load = (recent: number[] = []) => {
  const days = Array.from({ length: 3 * 1440 }, (_, i) => ({ t: NOW - (3 * 1440 - i) * MIN, v: 1000 }));
  for (let i = 0; i < recent.length; i++) days[days.length - recent.length + i].v = recent[i];
  return days;
};

const target = { capacity: 20, running: 20, min: 1, max: 100, managed: true };
const plan = (over: Partial<Parameters<typeof planLive>[0]> = {}) =>
  planLive({ twin: twin(), load: load(), target, recentAsks: [], now: NOW, scheduleMinutes: 5, ...over });

describe('planLive', () => {
  test('provisions the forecast peak at the target utilization: 1,000/min at 100 × 50 % is 20', () => {
    const p = plan();
    expect(p.decision.reason).toMatchObject({
      planned: 20,
      reactiveFloor: 20,
      boundBy: 'plan',
      window: [0, 10],
    });
    expect(p.decision.desired).toBe(20);
    expect(p.forecast.p50).toHaveLength(12);
    expect(p.forecast.t0).toBe(NOW);
  });

  test('never below what the last observed minute needs now', () => {
    const p = plan({ load: load([3000]) });
    expect(p.decision.reason).toMatchObject({ reactiveFloor: 60, boundBy: 'reactive-floor' });
    expect(p.decision.desired).toBe(60);
  });

  test('holds capacity while a decision in the stabilization window asked for more', () => {
    const p = plan({ target: { ...target, capacity: 30 }, recentAsks: [28] });
    expect(p.decision).toMatchObject({ desired: 28, reason: { boundBy: 'stabilization' } });
  });

  test('keeps to the max step and the tighter of the target’s and the policy’s bounds', () => {
    const stepped = plan({
      twin: twin({ policy: { ...twin().policy, maxStep: 3 } }),
      target: { ...target, capacity: 5 },
    });
    expect(stepped.decision).toMatchObject({ desired: 8, reason: { boundBy: 'max-step' } });
    const capped = plan({ target: { ...target, max: 12 } });
    expect(capped.decision).toMatchObject({ desired: 12, reason: { boundBy: 'max-instances' } });
    const floored = plan({ twin: twin({ policy: { ...twin().policy, minInstances: 25 } }) });
    expect(floored.decision).toMatchObject({ desired: 25, reason: { boundBy: 'min-instances' } });
  });

  test('without a capacity model, reads capacity off recent load and CPU', () => {
    const cpu = Array.from({ length: 30 }, (_, i) => ({ t: NOW - (30 - i) * MIN, v: 25 }));
    // 1,000/min on 20 instances at 25 % CPU: one instance serves 200/min at 100 %
    const p = plan({ twin: twin({ capacityModel: undefined }), utilization: cpu });
    expect(p.capacityPerInstance).toBeCloseTo(200);
    expect(p.decision.desired).toBe(10);
  });

  test('estimates from the tasks running, not from an ECS floor below them', () => {
    const cpu = Array.from({ length: 30 }, (_, i) => ({ t: NOW - (30 - i) * MIN, v: 25 }));
    const floorOne = { ...target, capacity: 1, running: 20 };
    const p = plan({ twin: twin({ capacityModel: undefined }), utilization: cpu, target: floorOne });
    expect(p.capacityPerInstance).toBeCloseTo(200);
  });

  test('refuses bounds that leave nothing allowed', () => {
    const tight = twin({ policy: { ...twin().policy, minInstances: 30 } });
    expect(() => plan({ twin: tight, target: { ...target, max: 12 } })).toThrow(
      'lower bound 30 is above the upper bound 12',
    );
    expect(() =>
      TwinSchema.parse({ ...twin(), policy: { ...twin().policy, minInstances: 5, maxInstances: 2 } }),
    ).toThrow('minInstances must not exceed maxInstances');
  });

  test('says what is missing when a twin cannot be planned', () => {
    expect(() => plan({ twin: twin({ capacityModel: undefined }) })).toThrow(PlanInputError);
    expect(() => plan({ twin: twin({ capacityModel: undefined }) })).toThrow(
      /add a metric with role "utilization"/,
    );
    expect(() => plan({ load: [] })).toThrow('twin "web" has no samples of "requests" yet');
    const noLoad = twin({ metrics: [twin().metrics[1]] });
    expect(() => plan({ twin: noLoad })).toThrow('has no metric with role "load"');
  });

  test('uses only samples up to now', () => {
    const future = [...load(), { t: NOW + 10 * MIN, v: 1e6 }];
    expect(plan({ load: future }).decision.desired).toBe(plan().decision.desired);
  });
});
