import { discoverEdge } from '../../../layers/core/graph/discover.js';
import { follow, loadSeries } from './synthetic.js';

const MIN = 60_000;

describe('Function: discoverEdge', () => {
  it('recovers a known lag and ratio from a pair where the downstream follows the upstream', () => {
    // Prepare: three days per minute; downstream = 0.4 × upstream 7 minutes later + its own load
    const up = loadSeries(3 * 1440, 1, 1);
    const own = loadSeries(3 * 1440, 1, 2, 6).map((v) => 0.3 * v);
    const down = follow(up, own, 0.4, 7);

    // Act
    const edge = discoverEdge(up, down, { stepMs: MIN });

    // Assess
    expect(edge?.lagMinutes).toBe(7);
    expect(edge?.ratio).toBeCloseTo(0.4, 1);
    expect(edge?.confidence).toBeGreaterThan(0.6);
  });

  it('finds the lag in whole 5-minute slots', () => {
    const up = loadSeries(6 * 288, 5, 3);
    const down = follow(
      up,
      loadSeries(6 * 288, 5, 4, 3).map((v) => 0.2 * v),
      2,
      2,
    );

    const edge = discoverEdge(up, down, { stepMs: 5 * MIN });

    expect([edge?.lagMinutes, Number(edge?.ratio.toFixed(1))]).toEqual([10, 2]);
  });

  it('gives low confidence to two unrelated services, even though both follow the day', () => {
    // Prepare: the same daily cycle, independent wander and bursts
    const a = loadSeries(3 * 1440, 1, 5);
    const b = loadSeries(3 * 1440, 1, 6);

    // Act
    const edge = discoverEdge(a, b, { stepMs: MIN });

    // Assess
    expect(edge?.confidence ?? 0).toBeLessThan(0.1);
  });

  it('gives low confidence to a related pair seen too briefly', () => {
    const up = loadSeries(30, 1, 7);
    const down = follow(
      up,
      loadSeries(30, 1, 8).map((v) => 2 * v),
      0.4,
      3,
    );

    const edge = discoverEdge(up, down, { stepMs: MIN, minSamples: 10 });

    expect(edge?.confidence ?? 0).toBeLessThan(0.3);
  });
});
