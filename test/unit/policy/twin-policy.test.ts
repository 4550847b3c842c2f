import { DemandOutlook } from '../../../layers/core/policy/demand-outlook.js';
import { targetTrackingPolicy } from '../../../layers/core/policy/reference.js';
import { Planner, TwinPolicySettingsSchema, twinPolicy } from '../../../layers/core/policy/twin-policy.js';
import { DEFAULT_PHYSICS } from '../../../layers/core/simulate/physics.js';
import { replay } from '../../../layers/core/simulate/replay.js';

/** Five days of a service that wakes at 08:05 (ten-fold in 15 minutes) and sleeps at 20:00, in 5-minute steps. */
function dailyService(days = 5): Float64Array {
  let seed = 7;
  const noise = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return 0.95 + 0.1 * (seed / 2 ** 31);
  };
  const out = new Float64Array(days * 1440);
  for (let slot = 0; slot < out.length / 5; slot++) {
    const minuteOfDay = (slot * 5) % 1440;
    const ramp = Math.min(1, Math.max(0, (minuteOfDay - 480) / 15)) * (minuteOfDay < 1200 ? 1 : 0);
    const v = (10 + 90 * ramp) * noise();
    out.fill(v, slot * 5, slot * 5 + 5);
  }
  return out;
}

describe('Policy: twin', () => {
  const demand = dailyService();
  const input = { demand, start: 3 * 1440, capacityPerInstance: 2.5 };

  it('decides causally: a run on a truncated trace decides the shared minutes identically', () => {
    const full = replay(twinPolicy(), input).timeline.desired;
    const cut = 3 * 1440 + 700;
    const truncated = replay(twinPolicy(), { ...input, demand: demand.subarray(0, cut) }).timeline.desired;
    expect(truncated.length).toBe(700);
    expect(Array.from(truncated)).toEqual(Array.from(full.subarray(0, 700)));
  });

  it('scales out ahead of a daily ramp that target tracking meets late', () => {
    const twin = replay(twinPolicy(), { ...input, keepReasons: true });
    const tt = replay(targetTrackingPolicy(), input);
    expect(tt.scores.breachMinutes).toBeGreaterThan(10);
    expect(twin.scores.breachMinutes).toBeLessThan(tt.scores.breachMinutes / 4);
    // at 08:00 on the fourth day, five minutes (one warm-up) before demand moves, the forecast asks for more
    const before = 480;
    expect(demand[input.start + before]).toBeLessThan(11);
    expect(twin.timeline.desired[before]).toBeGreaterThan(tt.timeline.desired[before] * 2);
    expect(twin.timeline.reasons?.[before]?.boundBy).toBe('plan');
  });

  it('explains each decision: forecast peak, quantile, window, reactive floor', () => {
    const { timeline } = replay(twinPolicy(), { ...input, keepReasons: true });
    const r = timeline.reasons?.[600];
    expect(r).toMatchObject({ window: [0, 6], model: expect.stringContaining('twin') });
    expect(r?.forecastPeak).toBeGreaterThan(0);
    expect(r?.reactiveFloor).toBeGreaterThan(0);
  });

  it('chooses an operating point on its shadow fleets within the reactive rule’s cost', () => {
    const policy = twinPolicy();
    replay(policy, input);
    const choice = policy.choice();
    expect(choice).toBeDefined();
    const chosen = choice?.scores.find((s) => s.point === choice.chosen);
    expect(chosen?.instanceMinutes).toBeLessThanOrEqual(choice?.budget ?? 0);
  });

  it('after switching to a shorter stabilization window, scales in once that shorter window has passed', () => {
    const planner = new Planner(TwinPolicySettingsSchema.parse({}), {
      targetUtilization: 0.5,
      quantile: null,
      stabilizationMinutes: 20,
    });
    const outlook = new DemandOutlook(5, 3);
    const observed = new Float64Array(60).fill(100);
    const view = (minute: number, previous: number) => ({
      minute,
      observed: observed.subarray(0, minute - 2),
      inServiceAt: () => previous,
      inService: previous,
      warming: 0,
      previousDesired: previous,
      capacityPerInstance: 10,
      physics: DEFAULT_PHYSICS,
    });
    let desired = 20; // 100/min at 10 per instance and 50 %
    for (let m = 3; m < 30; m++) desired = planner.decide(view(m, desired), outlook).desired;
    expect(desired).toBe(20);
    observed.fill(20, 28); // demand falls to a fifth
    planner.point = { ...planner.point, stabilizationMinutes: 5 };
    const after: number[] = [];
    for (let m = 30; m < 42; m++) {
      desired = planner.decide(view(m, desired), outlook).desired;
      after.push(desired);
    }
    // the low demand is first seen at minute 31; five minutes of lower asks later (36) the fleet is
    // down to 4, where the 20-minute window's older asks would have held 20 until minute 51
    expect(after.indexOf(4)).toBe(6);
  });

  it('refuses settings out of range, naming the field', () => {
    const r = TwinPolicySettingsSchema.safeParse({ targetUtilization: 1.5 });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0].path).toEqual(['targetUtilization']);
  });
});
