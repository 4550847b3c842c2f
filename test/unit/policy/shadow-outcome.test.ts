import {
  compareShadowOutcomes,
  type RecordedDecision,
  type ShadowOutcomeInput,
} from '../../../layers/core/policy/shadow-outcome.js';

const MIN = 60_000;
const FROM = Date.parse('2026-11-23T00:00:00.000Z');
const HOURS = 4;

/**
 * Four hours of requests per minute: 300/min, then 900/min from minute 120 to 180. At 100 per
 * instance, 3 instances serve 300/min at 100 % and 9 serve 900/min; breach is above 90 %.
 */
const demandAt = (m: number) => (m >= 120 && m < 180 ? 900 : 300);
const load = Array.from({ length: HOURS * 60 }, (_, m) => ({ t: FROM + m * MIN, v: demandAt(m) }));

/** A decision every 5 minutes, asking for `size(minute)`. */
const every5 = (size: (m: number) => number, fromMinute = 0): RecordedDecision[] =>
  Array.from({ length: (HOURS * 60 - fromMinute) / 5 }, (_, i) => {
    const m = fromMinute + i * 5;
    return { at: FROM + m * MIN, desired: size(m) };
  });

/** The live policy reacts: 12 instances from the first slot that saw the surge (minute 120). */
const reactive = (m: number) => (m >= 120 && m < 185 ? 12 : 5);
/** A candidate that scales 15 minutes ahead, and keeps the fleet 15 minutes longer. */
const early = (m: number) => (m >= 105 && m < 200 ? 12 : 5);

const input = (over: Partial<ShadowOutcomeInput> = {}): ShadowOutcomeInput => ({
  load,
  loadQuery: { periodSeconds: 60, stat: 'Sum' },
  capacityPerInstance: 100,
  warmupMinutes: 5,
  from: FROM,
  to: FROM + HOURS * 60 * MIN,
  live: every5(reactive),
  shadows: [],
  ...over,
});

describe('compareShadowOutcomes', () => {
  test('a candidate that scales before the surge breaches less and costs more than the live decisions', () => {
    const out = compareShadowOutcomes(input({ shadows: [{ id: 'early', decisions: every5(early) }] }));
    const [c] = out.shadows;
    // the live fleet launches at minute 120 and serves from 125: five minutes of 900/min on 5 instances
    expect(c.live?.breachMinutes).toBe(5);
    expect(c.shadow?.breachMinutes).toBe(0);
    expect(c.shadow?.unservedPct).toBe(0);
    expect(c.live?.unservedPct).toBeGreaterThan(0);
    // 7 more instances for 15 minutes earlier and 15 minutes longer: 3.5 instance-hours
    expect((c.shadow?.instanceHours ?? 0) - (c.live?.instanceHours ?? 0)).toBeCloseTo(3.5);
    expect(c.disagreementMinutes).toBe(30);
    expect(c.decisionsCompared).toBe(48);
    expect([c.live?.scaleEvents, c.shadow?.scaleEvents]).toEqual([2, 2]);
  });

  test('identical decisions score identically and never disagree', () => {
    const out = compareShadowOutcomes(input({ shadows: [{ id: 'same', decisions: every5(reactive) }] }));
    const [c] = out.shadows;
    expect(c.shadow).toEqual(c.live);
    expect(c.live).toEqual(out.live);
    expect(c.disagreementMinutes).toBe(0);
    expect(c.live?.minutes).toBe(HOURS * 60);
  });

  test('compares only the minutes both had a decision in force: a candidate added later is scored from its first', () => {
    const out = compareShadowOutcomes(input({ shadows: [{ id: 'late', decisions: every5(reactive, 60) }] }));
    const [c] = out.shadows;
    expect(c.from).toBe(FROM + 60 * MIN);
    expect(c.live?.minutes).toBe((HOURS - 1) * 60);
    expect(c.shadow).toEqual(c.live);
    expect(c.decisionsCompared).toBe(36);
    expect(out.live?.minutes).toBe(HOURS * 60);
  });

  test('the decision made before the window is the one in force at its start', () => {
    const before = { at: FROM - 3 * MIN, desired: 5 };
    const out = compareShadowOutcomes(
      input({ live: [before, ...every5(reactive, 30)], shadows: [{ id: 'x', decisions: [before] }] }),
    );
    expect(out.live?.minutes).toBe(HOURS * 60);
    expect(out.shadows[0].from).toBe(FROM);
  });

  test('a candidate without decisions in the window has nothing to compare', () => {
    const out = compareShadowOutcomes(input({ shadows: [{ id: 'new', decisions: [] }] }));
    expect(out.shadows[0]).toMatchObject({ live: null, shadow: null, decisionsCompared: 0 });
    expect(compareShadowOutcomes(input({ load: [] }))).toMatchObject({ live: null, shadows: [] });
  });

  test('a count over 5 minutes is spread over its minutes, a gauge holds', () => {
    const fiveMinute = (v: number) =>
      Array.from({ length: (HOURS * 60) / 5 }, (_, i) => ({ t: FROM + i * 5 * MIN, v }));
    const decisions = [{ at: FROM, desired: 3 }];
    // 1,500 requests per 5 minutes is 300/min: 3 instances at 100 %, a breach every minute
    const sum = compareShadowOutcomes(
      input({ load: fiveMinute(1500), loadQuery: { periodSeconds: 300, stat: 'Sum' }, live: decisions }),
    );
    const gauge = compareShadowOutcomes(
      input({ load: fiveMinute(300), loadQuery: { periodSeconds: 300, stat: 'Average' }, live: decisions }),
    );
    expect(sum.live).toEqual(gauge.live);
    expect(sum.live?.breachMinutes).toBe(HOURS * 60);
  });
});
