import type { Decision, PolicyView, ScalingPolicy } from '../../../layers/core/policy/types.js';
import { FleetPhysicsSchema } from '../../../layers/core/simulate/physics.js';
import { replay } from '../../../layers/core/simulate/replay.js';
import {
  DemandTransformSchema,
  flashCrowdMultiplier,
  InstanceFailureSchema,
  mergeOutages,
  transformDemand,
  WhatIfSchema,
} from '../../../layers/core/simulate/what-if.js';

/** A policy asking for a fixed fleet that records how much demand it saw at each decision. */
function watching(desired: number) {
  const seen: number[] = [];
  const policy: ScalingPolicy = {
    name: 'watching',
    decide(v: PolicyView): Decision {
      seen.push(v.observed.length);
      return { desired };
    },
  };
  return { policy, seen };
}

const flat = (n: number, v = 10) => new Float64Array(n).fill(v);

describe('Kind: flash crowd', () => {
  const crowd = (over: object = {}) =>
    DemandTransformSchema.parse({
      kind: 'flash-crowd',
      atMinute: 2,
      peak: 5,
      riseMinutes: 4,
      decayMinutes: 10,
      ...over,
    });

  it('climbs linearly from × 1 to the peak over the rise', () => {
    // Prepare
    const f = crowd();

    // Act
    const rise = [0, 1, 2, 3, 4].map((m) => flashCrowdMultiplier(f as never, m));

    // Assess
    expect(rise).toEqual([1, 2, 3, 4, 5]);
  });

  it('decays exponentially: two thirds of the excess gone a third of the way in, none left at the end', () => {
    const f = crowd() as never;

    // the excess (4) at the top, a third of the decay in, at its end
    expect(flashCrowdMultiplier(f, 4) - 1).toBeCloseTo(4, 10);
    expect((flashCrowdMultiplier(f, 4 + 10 / 3) - 1) / 4).toBeCloseTo(
      (Math.exp(-1) - Math.exp(-3)) / (1 - Math.exp(-3)),
      10,
    );
    expect(flashCrowdMultiplier(f, 14)).toBe(1);
    // falling all the way
    for (let m = 4; m < 14; m++)
      expect(flashCrowdMultiplier(f, m + 1)).toBeLessThan(flashCrowdMultiplier(f, m));
  });

  it('decays linearly when asked', () => {
    const f = crowd({ decay: 'linear' }) as never;
    expect([4, 9, 14].map((m) => flashCrowdMultiplier(f, m))).toEqual([5, 3, 1]);
  });

  it('multiplies demand only from its start to the end of its decay', () => {
    // Act
    const out = transformDemand(flat(20), [crowd({ decay: 'linear' })]);

    // Assess: minutes 0–1 untouched, the spike over 2–15, then as it was
    expect(Array.from(out.slice(0, 7))).toEqual([10, 10, 10, 20, 30, 40, 50]);
    expect(out[11]).toBeCloseTo(30, 10);
    expect(Array.from(out.slice(16))).toEqual([10, 10, 10, 10]);
  });

  it('jumps at once with no rise', () => {
    const out = transformDemand(flat(5), [crowd({ riseMinutes: 0 })]);
    expect(out[2]).toBe(50);
  });

  it('takes defaults for the rise, the decay and its shape', () => {
    expect(DemandTransformSchema.parse({ kind: 'flash-crowd', atMinute: 0, peak: 3 })).toEqual({
      kind: 'flash-crowd',
      atMinute: 0,
      peak: 3,
      riseMinutes: 5,
      decayMinutes: 60,
      decay: 'exponential',
    });
  });

  it('refuses a peak below 1 and an unknown field, naming them', () => {
    const r = DemandTransformSchema.safeParse({ kind: 'flash-crowd', atMinute: 0, peak: 0.5, decayMins: 3 });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => [i.path.join('.'), i.code])).toEqual(
      expect.arrayContaining([
        ['peak', 'too_small'],
        ['', 'unrecognized_keys'],
      ]),
    );
  });
});

describe('Kind: metric outage', () => {
  it('freezes what the policy observes from the outage start until it ends, then shows the missed minutes', () => {
    // Prepare: lag 2, the window starts at minute 10, the outage covers window minutes 3–6
    const { policy, seen } = watching(1);

    // Act
    replay(policy, {
      demand: flat(22),
      start: 10,
      capacityPerInstance: 100,
      whatIf: { metricOutages: [{ fromMinute: 3, toMinute: 7 }] },
    });

    // Assess: a decision at minute t sees t − 1 minutes (lag 2); inside the outage, what minute 12 saw
    expect(seen).toEqual([9, 10, 11, 11, 11, 11, 11, 16, 17, 18, 19, 20]);
  });

  it('merges outages that overlap or touch, so the data returns only after the last', () => {
    expect(
      mergeOutages([
        { fromMinute: 10, toMinute: 20 },
        { fromMinute: 0, toMinute: 5 },
        { fromMinute: 15, toMinute: 30 },
        { fromMinute: 30, toMinute: 31 },
      ]),
    ).toEqual([
      { fromMinute: 0, toMinute: 5 },
      { fromMinute: 10, toMinute: 31 },
    ]);
  });

  it('leaves the fleet and the demand alone: only the view changes', () => {
    const base = replay(watching(3).policy, { demand: flat(30), start: 10, capacityPerInstance: 5 });
    const out = replay(watching(3).policy, {
      demand: flat(30),
      start: 10,
      capacityPerInstance: 5,
      whatIf: { metricOutages: [{ fromMinute: 0, toMinute: 20 }] },
    });
    expect(out.timeline).toEqual(base.timeline);
  });

  it('keeps a reactive policy from reacting to a surge while it lasts', () => {
    // Prepare: demand triples at window minute 5; the policy asks for what it last saw at 50 %
    const physics = FleetPhysicsSchema.parse({ warmupMinutes: 0, observationLagMinutes: 0 });
    const reactive: ScalingPolicy = {
      name: 'reactive',
      decide: (v) => ({
        desired: Math.ceil(v.observed[v.observed.length - 1] / (0.5 * v.capacityPerInstance)),
      }),
    };
    const demand = Float64Array.from({ length: 30 }, (_, m) => (m >= 15 ? 30 : 10));
    const input = { demand, start: 10, capacityPerInstance: 10, physics };

    // Act
    const seeing = replay(reactive, input);
    const blind = replay(reactive, {
      ...input,
      whatIf: { metricOutages: [{ fromMinute: 4, toMinute: 12 }] },
    });

    // Assess: it sees the surge at once, or only when the outage ends at window minute 12
    expect(seeing.scores.breachMinutes).toBe(0);
    expect(Array.from(blind.timeline.breach)).toEqual([
      0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
  });
});

describe('Kind: zone loss and instance failures', () => {
  it('loses a fraction of the instances in service at the minute, labelled as a zone', () => {
    const { policy } = watching(9);
    const { timeline } = replay(policy, {
      demand: flat(10),
      start: 0,
      capacityPerInstance: 10,
      whatIf: {
        failures: [InstanceFailureSchema.parse({ kind: 'zone-loss', atMinute: 4, fraction: 1 / 3 })],
      },
    });
    expect(Array.from(timeline.inService)).toEqual([9, 9, 9, 9, 6, 6, 6, 6, 6, 9]);
  });

  it('refuses a zone loss given as a count, and a count given as a zone', () => {
    const zone = InstanceFailureSchema.safeParse({ kind: 'zone-loss', atMinute: 1, count: 3 });
    const count = InstanceFailureSchema.safeParse({ kind: 'instances', atMinute: 1, fraction: 0.5 });
    expect(zone.error?.issues[0]).toMatchObject({
      path: ['fraction'],
      message: 'a zone-loss takes a fraction, not a count',
    });
    expect(count.error?.issues[0]).toMatchObject({
      path: ['count'],
      message: 'an instances failure takes a count, not a fraction',
    });
  });

  it('combines several failures, surges and outages in one what-if', () => {
    // Prepare
    const whatIf = WhatIfSchema.parse({
      failures: [
        { atMinute: 2, count: 1 },
        { atMinute: 5, fraction: 0.5 },
      ],
      demand: [
        { kind: 'surge', fromMinute: 0, toMinute: 4, factor: 2 },
        { kind: 'flash-crowd', atMinute: 3, peak: 3, riseMinutes: 0, decayMinutes: 2, decay: 'linear' },
      ],
      metricOutages: [{ fromMinute: 1, toMinute: 2 }],
    });

    // Act
    const { timeline } = replay(watching(8).policy, {
      demand: flat(8),
      start: 0,
      capacityPerInstance: 10,
      whatIf,
    });

    // Assess: demand × 2 on 0–3, and the crowd's × 3 at minute 3, × 2 at 4; 8 in service, 7 after
    // the first failure, 3 after the second takes half of 7 (rounded: 4)
    expect(Array.from(timeline.demand)).toEqual([20, 20, 20, 60, 20, 10, 10, 10]);
    expect(Array.from(timeline.inService.slice(0, 6))).toEqual([8, 8, 7, 7, 7, 3]);
  });

  it('keeps an old document valid, and refuses an unknown field in it', () => {
    const old = {
      failures: [{ atMinute: 600, count: 5 }],
      demand: [{ kind: 'surge', fromMinute: 0, toMinute: 9, factor: 2 }],
    };
    expect(WhatIfSchema.parse(old)).toEqual({ ...old, warmupChanges: [], metricOutages: [] });
    expect(WhatIfSchema.safeParse({ ...old, outages: [] }).error?.issues[0]).toMatchObject({
      code: 'unrecognized_keys',
      keys: ['outages'],
    });
  });
});
