import {
  runScenario,
  ScenarioDocumentSchema,
  type ScenarioInput,
  scenarioTimeline,
  TIMELINE_BUDGET_CHARS,
  type TwinDemand,
  withForecast,
} from '../../../layers/core/loop/twin-replay.js';
import { twinPolicy } from '../../../layers/core/policy/twin-policy.js';
import { FleetPhysicsSchema } from '../../../layers/core/simulate/physics.js';
import { replay, type Timeline } from '../../../layers/core/simulate/replay.js';
import { WhatIfSchema } from '../../../layers/core/simulate/what-if.js';
import { type Twin, TwinSchema } from '../../../layers/core/twin/twin.js';
import { requestCountTwin } from '../../../local/fixtures/twins.js';

const MIN = 60_000;
const START = Date.parse('2026-11-15T00:00:00.000Z');
/** Days of history the policies learn from before the replayed day (the twin planner refits daily). */
const HISTORY_DAYS = 3;

/** A daily wave of requests per minute, 100 at night to 600 in the afternoon, with a little noise. */
function dailyWave(days: number): Float64Array {
  let seed = 11;
  return Float64Array.from({ length: days * 1440 }, (_, i) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return (350 - 250 * Math.cos((2 * Math.PI * i) / 1440)) * (0.97 + 0.06 * (seed / 2 ** 31));
  });
}

const twinWith = (policy: Partial<Twin['policy']> = {}): Twin =>
  TwinSchema.parse({
    ...requestCountTwin('web', 20),
    policy: { maxInstances: 60, ...policy },
    source: 'registered',
    version: 1,
    createdAt: '2026-11-15T00:00:00.000Z',
    updatedAt: '2026-11-15T00:00:00.000Z',
  });

/** The replayed day after HISTORY_DAYS, as twinDemand reads it from the store. */
function input(twin = twinWith()): TwinDemand {
  return {
    twin,
    demand: dailyWave(HISTORY_DAYS + 1),
    start: HISTORY_DAYS * 1440,
    startTime: START + HISTORY_DAYS * 1440 * MIN,
    capacityPerInstance: 20,
    physics: FleetPhysicsSchema.parse({
      warmupMinutes: twin.policy.warmupMinutes,
      minInstances: 1,
      maxInstances: twin.policy.maxInstances,
    }),
  };
}

/** A flash crowd at the day's peak (minute 720): × 1.8 in 2 minutes, gone in 40. */
const flashCrowdAtPeak = WhatIfSchema.parse({
  demand: [{ kind: 'flash-crowd', atMinute: 700, peak: 1.8, riseMinutes: 2, decayMinutes: 40 }],
});
const noChange = WhatIfSchema.parse({});

describe('Function: runScenario', () => {
  it("runs the twin's live policy and target tracking by default, with the first one's timeline", () => {
    // Act
    const r = runScenario(input(), { whatIf: flashCrowdAtPeak, slo: { maxBreachPct: 100 } });

    // Assess
    expect(r.policies.map((p) => [p.name, p.kind])).toEqual([
      ['twin', 'twin'],
      ['target-tracking', 'target-tracking'],
    ]);
    expect(r.whatIf.map((o) => o.policy)).toEqual(['twin', 'target-tracking']);
    expect(r.timeline.demandWhatIf).toHaveLength(288);
    expect(r.timeline.policies.map((p) => p.policy)).toEqual(['twin', 'target-tracking']);
    expect(r.timeline.policies[0].inServiceWhatIf).toEqual(r.timeline.inServiceWhatIf);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    expect(sum(r.timeline.policies[1].breachWhatIf)).toBe(r.whatIf[1].scores.breachMinutes);
    expect(r.timeline.forecastFrom).toBeUndefined();
  });

  it("merges each listed policy's settings over the live policy, and adds target tracking when not listed", () => {
    // Act
    const r = runScenario(input(twinWith({ targetUtilization: 0.7, maxStep: 7 })), {
      whatIf: noChange,
      slo: {},
      policies: [{ name: 'cautious', settings: { headroom: 0.3, targetUtilization: 0.5 } }],
    });

    // Assess
    expect(r.policies).toEqual([
      {
        name: 'cautious',
        kind: 'twin',
        settings: {
          targetUtilization: 0.5,
          quantile: 0.9,
          headroom: 0.3,
          stabilizationMinutes: 15,
          maxStep: 7,
        },
      },
      { name: 'target-tracking', kind: 'target-tracking', settings: { targetUtilization: 0.7 } },
    ]);
  });

  it('runs more capacity for a policy with more headroom under the same scenario', () => {
    const r = runScenario(input(), {
      whatIf: flashCrowdAtPeak,
      slo: {},
      policies: [
        { name: 'twin', settings: {} },
        { name: 'roomy', settings: { headroom: 0.5 } },
      ],
    });
    const [live, roomy] = r.whatIf;
    expect(roomy.scores.instanceHours).toBeGreaterThan(live.scores.instanceHours);
    expect(roomy.scores.breachMinutes).toBeLessThanOrEqual(live.scores.breachMinutes);
  });

  it('says a policy holds when its breach minutes are within the SLO, without searching', () => {
    const r = runScenario(input(), { whatIf: noChange, slo: { maxBreachPct: 100 } });
    expect(r.slo.budgetMinutes).toBe(1440);
    expect(r.verdicts.map((v) => [v.policy, v.holds, v.replays])).toEqual([
      ['twin', true, 0],
      ['target-tracking', true, 0],
    ]);
  });

  it('finds the least extra headroom that makes a failing twin policy hold, and a replay at it holds', () => {
    // Prepare
    const slo = { maxBreachMinutes: 2 };

    // Act
    const r = runScenario(input(), {
      whatIf: flashCrowdAtPeak,
      slo,
      policies: [{ name: 'twin', settings: {} }],
    });

    // Assess: it fails, and the fix is headroom on the 0.05 grid
    const v = r.verdicts[0];
    expect(v).toMatchObject({ policy: 'twin', holds: false, budgetMinutes: 2 });
    expect(v.breachMinutes).toBeGreaterThan(2);
    expect(v.fix).toMatchObject({ setting: 'headroom', from: 0 });
    const h = v.fix?.value as number;
    expect(Math.round(h * 100) % 5).toBe(0);
    expect(v.replays).toBeLessThanOrEqual(6); // 1 + ⌈log2 20⌉
    // re-checked by replaying the planner as the live twin runs it, at the fix and a step below
    const at = (headroom: number) =>
      replay(
        twinPolicy({
          headroom,
          targetUtilization: 0.6,
          maxStep: 10,
          stabilizationMinutes: 15,
          autoTune: { enabled: false },
        }),
        {
          ...input(),
          whatIf: flashCrowdAtPeak,
        },
      ).scores;
    expect(at(h).breachMinutes).toBeLessThanOrEqual(2);
    expect(at(h).instanceHours).toBeCloseTo(v.fix?.instanceHours as number, 10);
    expect(v.fix?.extraInstanceHours).toBeCloseTo(at(h).instanceHours - r.whatIf[0].scores.instanceHours, 10);
    if (h > 0.05) expect(at(Math.round((h - 0.05) * 100) / 100).breachMinutes).toBeGreaterThan(2);
  });

  it('says nothing holds, and why, when maxInstances is too few for the scenario', () => {
    // Prepare: the afternoon peak of 600 needs 34 instances at 90 %; the crowd needs 60
    const twin = twinWith({ maxInstances: 30 });

    // Act
    const r = runScenario(input(twin), {
      whatIf: flashCrowdAtPeak,
      slo: { maxBreachMinutes: 0 },
      policies: [{ name: 'target-tracking', settings: {} }],
    });

    // Assess
    const v = r.verdicts[0];
    expect(v.holds).toBe(false);
    expect(v.fix).toBeUndefined();
    expect(v.unfixable).toMatch(
      /^maxInstances 30 is too few: the scenario's busiest minute needs \d+ instances/,
    );
  });

  it('runs a scenario placed in the forecast after the replayed day, and marks where the forecast starts', () => {
    // Prepare: two hours of forecast; a surge in its second hour
    const withTwoHours: ScenarioInput = withForecast(input(), 2);
    const whatIf = WhatIfSchema.parse({
      demand: [{ kind: 'surge', fromMinute: 1500, toMinute: 1560, factor: 3 }],
    });

    // Act
    const r = runScenario(withTwoHours, { whatIf, slo: {} });

    // Assess
    expect(r.window).toMatchObject({ minutes: 1560, forecastFromMinute: 1440 });
    expect(r.timeline.forecastFrom).toBe(START + (HISTORY_DAYS + 1) * 1440 * MIN);
    expect(r.timeline.demandWhatIf).toHaveLength(312);
    expect(r.timeline.demandWhatIf[300]).toBeCloseTo(3 * r.timeline.demandAsItWas[300], 0);
    expect(r.timeline.demandWhatIf[290]).toBe(r.timeline.demandAsItWas[290]);
  });
});

describe('Function: scenarioTimeline', () => {
  /** A replay's timeline of `minutes` with large, many-digit values: the worst case for its size. */
  const timeline = (minutes: number): Timeline => ({
    demand: Float64Array.from({ length: minutes }, (_, i) => 123_456.7 + i),
    desired: new Int32Array(minutes).fill(400),
    inService: Int32Array.from({ length: minutes }, (_, i) => 100 + (i % 300)),
    warming: new Int32Array(minutes),
    utilization: new Float64Array(minutes),
    breach: Uint8Array.from({ length: minutes }, (_, i) => i % 2),
    unserved: new Float64Array(minutes),
  });
  const runsOf = (policies: number, minutes: number) =>
    Array.from({ length: policies }, (_, i) => ({
      policy: `p${i}`,
      before: timeline(minutes),
      after: timeline(minutes),
    }));

  it('keeps 5-minute slots for a day of two policies', () => {
    const t = scenarioTimeline(0, undefined, runsOf(2, 1440));
    expect([t.stepMinutes, t.demandAsItWas.length]).toEqual([5, 288]);
  });

  it('coarsens the slots of 14 days and a day of forecast for six policies until they fit the record', () => {
    // Act
    const t = scenarioTimeline(0, 14 * 1440 * MIN, runsOf(6, 15 * 1440));

    // Assess
    expect(t.stepMinutes).toBeGreaterThan(5);
    expect(JSON.stringify(t).length).toBeLessThanOrEqual(TIMELINE_BUDGET_CHARS);
    expect(t.demandAsItWas).toHaveLength((15 * 1440) / t.stepMinutes);
    expect(t.policies).toHaveLength(6);
  });

  it('takes the first step that fits', () => {
    const runs = runsOf(1, 1440);
    const five = JSON.stringify(scenarioTimeline(0, undefined, runs)).length;
    expect(scenarioTimeline(0, undefined, runs, five).stepMinutes).toBe(5);
    expect(scenarioTimeline(0, undefined, runs, five - 1).stepMinutes).toBe(10);
  });
});

describe('Function: withForecast', () => {
  it("appends the twin forecaster's p50 of 5-minute peaks, each held over its slot's minutes", () => {
    // Act
    const out = withForecast(input(), 3);

    // Assess
    const before = input().demand.length;
    expect(out.demand.length).toBe(before + 180);
    expect(out.forecast).toMatchObject({ fromMinute: 1440, model: expect.stringMatching(/^twin/) });
    for (let slot = 0; slot < 36; slot++) {
      const minutes = Array.from(out.demand.subarray(before + slot * 5, before + slot * 5 + 5));
      expect(new Set(minutes).size).toBe(1);
    }
    // midnight follows the replayed day: near the wave's trough of 100, not its peak of 600
    expect(out.demand[before]).toBeGreaterThan(50);
    expect(out.demand[before]).toBeLessThan(200);
    expect(Array.from(out.demand.subarray(0, before))).toEqual(Array.from(input().demand));
  });

  it('changes nothing with no hours asked', () => {
    const i = input();
    expect(withForecast(i, 0)).toBe(i);
  });
});

describe('Schema: ScenarioDocumentSchema', () => {
  const issues = (doc: unknown) =>
    ScenarioDocumentSchema.safeParse(doc).error?.issues.map((i) => [i.path.join('.'), i.message]);

  it('keeps an old document valid and fills in the defaults', () => {
    expect(
      ScenarioDocumentSchema.parse({ days: 2, whatIf: { failures: [{ atMinute: 600, count: 5 }] } }),
    ).toEqual({
      days: 2,
      forecastHours: 0,
      whatIf: { failures: [{ atMinute: 600, count: 5 }], demand: [], warmupChanges: [], metricOutages: [] },
      slo: {},
    });
  });

  it('refuses a minute after the replayed days and the forecast, naming the field', () => {
    expect(
      issues({
        days: 1,
        forecastHours: 2,
        whatIf: { metricOutages: [{ fromMinute: 1560, toMinute: 1600 }] },
      }),
    ).toEqual([
      [
        'whatIf.metricOutages.0.fromMinute',
        'minute 1560 is after the scenario (minutes 0 … 1559: 1 day(s) replayed, then 2 forecast hour(s) from minute 1440)',
      ],
    ]);
  });

  it('refuses more than a day of forecast, two policies of one name, and target tracking with planner settings', () => {
    expect(
      issues({
        forecastHours: 25,
        policies: [
          { name: 'a', settings: {} },
          { name: 'a', settings: {} },
          { name: 'target-tracking', settings: { headroom: 0.1 } },
        ],
      }),
    ).toEqual([
      ['forecastHours', 'Too big: expected number to be <=24'],
      ['policies.2.settings.headroom', 'target-tracking takes only targetUtilization'],
      ['policies.1.name', 'each policy needs a name of its own'],
    ]);
  });
});
