import type { Decision, PolicyView, ScalingPolicy } from '../../../layers/core/policy/types.js';
import { FleetPhysicsSchema } from '../../../layers/core/simulate/physics.js';
import { feasibleOracle, oracleNeed, replay } from '../../../layers/core/simulate/replay.js';
import { transformDemand } from '../../../layers/core/simulate/what-if.js';

/** A policy that plays a fixed schedule (one value per simulated minute) and records what it saw. */
function scripted(schedule: number[], start = 0) {
  const seen: { minute: number; observed: number; inService: number; warming: number }[] = [];
  const policy: ScalingPolicy = {
    name: 'scripted',
    decide(v: PolicyView): Decision {
      seen.push({
        minute: v.minute,
        observed: v.observed.length,
        inService: v.inService,
        warming: v.warming,
      });
      return { desired: schedule[Math.min(schedule.length - 1, v.minute - start)] };
    },
  };
  return { policy, seen };
}

const flat = (n: number, v = 1) => new Float64Array(n).fill(v);

describe('Function: replay', () => {
  it('starts with the first decision in service and serves launches after the warm-up', () => {
    const { policy } = scripted([2, 4]);
    const { timeline } = replay(policy, { demand: flat(8), start: 0, capacityPerInstance: 1 });
    // 2 launched at minute 1 serve from minute 6 (warm-up 5)
    expect(Array.from(timeline.inService)).toEqual([2, 2, 2, 2, 2, 2, 4, 4]);
    expect(Array.from(timeline.warming)).toEqual([0, 2, 2, 2, 2, 2, 0, 0]);
  });

  it('removes the newest instances first, warming before serving', () => {
    const { policy } = scripted([2, 4, 3, 1]);
    const { timeline } = replay(policy, { demand: flat(5), start: 0, capacityPerInstance: 1 });
    expect(Array.from(timeline.inService.slice(0, 4))).toEqual([2, 2, 2, 1]);
    expect(Array.from(timeline.warming.slice(0, 4))).toEqual([0, 2, 1, 0]);
  });

  it('keeps desired inside the bounds', () => {
    const physics = FleetPhysicsSchema.parse({ minInstances: 1, maxInstances: 3 });
    const { policy } = scripted([0, 7, -2, Number.NaN]);
    const { timeline } = replay(policy, { demand: flat(4), start: 0, capacityPerInstance: 1, physics });
    expect(Array.from(timeline.desired)).toEqual([1, 3, 1, 1]);
  });

  it('shows a policy demand only up to the minute minus the observation lag', () => {
    const { policy, seen } = scripted([1]);
    replay(policy, { demand: flat(20), start: 10, capacityPerInstance: 1 });
    expect(seen[0]).toMatchObject({ minute: 10, observed: 9 }); // minutes 0 … 8
    expect(seen[9]).toMatchObject({ minute: 19, observed: 18 });
    const lag0 = scripted([1]);
    replay(lag0.policy, {
      demand: flat(20),
      start: 10,
      capacityPerInstance: 1,
      physics: FleetPhysicsSchema.parse({ observationLagMinutes: 0 }),
    });
    expect(lag0.seen[0].observed).toBe(11);
  });

  it('counts breaches, unserved demand, cost and scale events as the protocol does', () => {
    // k = 10: 2 instances serve 18 at 90 %; 19 breaches and leaves nothing unserved, 25 leaves 5
    const demand = Float64Array.from([18, 19, 25, 10]);
    const { policy } = scripted([2, 2, 2, 3]);
    const { timeline, scores } = replay(policy, { demand, start: 0, capacityPerInstance: 10 });
    expect(Array.from(timeline.breach)).toEqual([0, 1, 1, 0]);
    expect(Array.from(timeline.unserved)).toEqual([0, 0, 5, 0]);
    expect(scores.breachMinutes).toBe(2);
    expect(scores.unservedPct).toBeCloseTo((100 * 5) / 72, 10);
    expect(scores.instanceHours).toBeCloseTo(9 / 60, 10);
    expect(scores.scaleEvents).toBe(1);
    expect(scores.oracleInstanceHours).toBeCloseTo((2 + 3 + 3 + 2) / 60, 10);
  });

  it('counts a minute with demand and no instance in service as a breach', () => {
    const physics = FleetPhysicsSchema.parse({ minInstances: 0 });
    const { policy } = scripted([0, 0]);
    const { timeline } = replay(policy, {
      demand: Float64Array.from([0, 1]),
      start: 0,
      capacityPerInstance: 1,
      physics,
    });
    expect(Array.from(timeline.breach)).toEqual([0, 1]);
  });

  it('loses instances on a failure and replaces them through the warm-up', () => {
    const { policy } = scripted([4]);
    const { timeline } = replay(policy, {
      demand: flat(12),
      start: 0,
      capacityPerInstance: 1,
      whatIf: { failures: [{ atMinute: 3, count: 2 }], demand: [], warmupChanges: [] },
    });
    expect(Array.from(timeline.inService)).toEqual([4, 4, 4, 2, 2, 2, 2, 2, 4, 4, 4, 4]);
    expect(timeline.desired[3]).toBe(4);
  });

  it('loses a zone as a fraction of the serving instances', () => {
    const { policy } = scripted([6]);
    const { timeline } = replay(policy, {
      demand: flat(3),
      start: 0,
      capacityPerInstance: 1,
      whatIf: { failures: [{ atMinute: 1, fraction: 1 / 3 }] },
    });
    expect(timeline.inService[1]).toBe(4);
  });

  it('applies a warm-up change to instances launched from then on', () => {
    const { policy } = scripted([1, 1, 2]);
    const { timeline } = replay(policy, {
      demand: flat(6),
      start: 0,
      capacityPerInstance: 1,
      whatIf: { warmupChanges: [{ atMinute: 2, warmupMinutes: 2 }] },
    });
    expect(Array.from(timeline.inService)).toEqual([1, 1, 1, 1, 2, 2]);
  });

  it('refuses a capacity that is not positive, naming it', () => {
    const { policy } = scripted([1]);
    expect(() => replay(policy, { demand: flat(3), start: 0, capacityPerInstance: 0 })).toThrow(
      'capacityPerInstance must be positive',
    );
  });
});

describe('Function: transformDemand', () => {
  it('multiplies a surge window and ramps to a lasting factor', () => {
    const d = flat(6, 10);
    expect(
      Array.from(transformDemand(d, [{ kind: 'surge', fromMinute: 1, toMinute: 3, factor: 2 }])),
    ).toEqual([10, 20, 20, 10, 10, 10]);
    expect(
      Array.from(transformDemand(d, [{ kind: 'ramp', fromMinute: 1, toMinute: 3, toFactor: 3 }])),
    ).toEqual([10, 10, 20, 30, 30, 30]);
    expect(d[2]).toBe(10); // the input is untouched
  });
});

describe('Function: feasibleOracle', () => {
  it('asks at t for the largest need over the next warm-up', () => {
    const need = oracleNeed(Float64Array.from([9, 9, 9, 27, 9, 9, 9, 9, 9]), 10);
    expect(Array.from(need)).toEqual([1, 1, 1, 3, 1, 1, 1, 1, 1]);
    expect(Array.from(feasibleOracle(need, 2))).toEqual([1, 3, 3, 3, 1, 1, 1, 1, 1]);
  });
});
