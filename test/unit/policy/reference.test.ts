import {
  oraclePolicy,
  predictiveHourlyPolicy,
  targetTrackingPolicy,
} from '../../../layers/core/policy/reference.js';
import { replay } from '../../../layers/core/simulate/replay.js';

// k = 1 throughout: demand is counted in instances' worth at 100 %.
const steps = (...parts: [number, number][]) =>
  Float64Array.from(parts.flatMap(([n, v]) => Array(n).fill(v)));

describe('Policy: target-tracking', () => {
  it('starts with what the last observed demand needs at T = 0.6', () => {
    const { timeline } = replay(targetTrackingPolicy(), {
      demand: steps([30, 6]),
      start: 20,
      capacityPerInstance: 1,
    });
    expect(timeline.desired[0]).toBe(10);
  });

  it('scales out once the last three observed minutes are above T, seen two minutes late', () => {
    // 10 instances serve 6 at 0.6; from minute 20, demand 9 (u = 0.9)
    const demand = steps([20, 6], [20, 9]);
    const { timeline } = replay(targetTrackingPolicy(), { demand, start: 10, capacityPerInstance: 1 });
    const at = (m: number) => timeline.desired[m - 10];
    expect(at(23)).toBe(10); // sees minutes 20 and 21 high: two of three
    expect(at(24)).toBe(15); // sees 20, 21, 22: ceil(9 / 0.6)
    expect(at(30)).toBe(15);
  });

  it('scales in only after fifteen observed minutes below 0.9 T', () => {
    const demand = steps([20, 6], [40, 3]);
    const { timeline } = replay(targetTrackingPolicy(), { demand, start: 10, capacityPerInstance: 1 });
    const at = (m: number) => timeline.desired[m - 10];
    expect(at(35)).toBe(10); // sees 20 … 33: fourteen low minutes
    expect(at(36)).toBe(5); // sees 20 … 34: fifteen, so ceil(3 / 0.6)
  });
});

describe('Policy: predictive-hourly', () => {
  it('sets the floor five minutes before each hour from the same hour on the days before', () => {
    // one day of history with a busy hour 60 … 120 minutes in (demand 12), quiet otherwise (demand 3)
    const day = steps([60, 3], [60, 12], [1320, 3]);
    const demand = Float64Array.from([...day, ...steps([1440, 3])]);
    const { timeline } = replay(predictiveHourlyPolicy(), { demand, start: 1440, capacityPerInstance: 1 });
    const at = (m: number) => timeline.desired[m - 1440];
    expect(at(1440)).toBe(5); // target tracking alone: ceil(3 / 0.6)
    expect(at(1440 + 54)).toBe(5);
    expect(at(1440 + 55)).toBe(20); // floor ceil(12 / 0.6) from H − 5
    expect(at(1440 + 114)).toBe(20);
    expect(at(1440 + 115)).toBe(5); // next hour's floor is quiet again
  });
});

describe('Policy: oracle', () => {
  it('provisions each minute for the largest need of the next warm-up, at 90 %', () => {
    const demand = steps([10, 9], [1, 27], [10, 9]);
    const { timeline, scores } = replay(oraclePolicy(demand, 0), {
      demand,
      start: 0,
      capacityPerInstance: 1,
    });
    // the spike at minute 10 needs 30 from minute 5 on (launched then, it serves at 10)
    expect(Array.from(timeline.desired.slice(3, 12))).toEqual([10, 10, 30, 30, 30, 30, 30, 30, 10]);
    expect(scores.breachMinutes).toBe(0);
  });
});
