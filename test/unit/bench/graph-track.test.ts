import { makeDownstream, runGraphPair } from '../../../local/bench/graph-track.js';
import type { LoadedTrace } from '../../../local/bench/trace-set.js';
import { loadSeries } from '../graph/synthetic.js';

const STEP = 5 * 60_000;
const DAY = 288;

/** A synthetic load trace on a 5-minute grid, as loadTrace gives it. */
const trace = (id: string, values: Float64Array): LoadedTrace =>
  ({
    entry: { id, file: `${id}.csv`, kind: 'load', anomalyWindows: [] },
    grid: { t0: Date.parse('2026-11-01T00:00:00Z'), stepMs: STEP, values },
    stats: {},
    repairs: '',
  }) as unknown as LoadedTrace;

describe('Bench track: graph', () => {
  it('builds the downstream as ratio × the upstream delayed by whole slots plus the scaled noise', () => {
    const up = trace(
      'up',
      Float64Array.from({ length: 2 * DAY }, (_, i) => 100 + i),
    );
    const noise = trace('noise', new Float64Array(2 * DAY).fill(10));

    const { values, lagSlots } = makeDownstream(up.grid, noise.grid, {
      ratio: 0.5,
      lagMinutes: 10,
      noiseShare: 0.2,
    });

    // noise scaled to 20 % of 0.5 × mean(up) = 0.1 × 387.5 (100 + the mean of 0…575)
    expect([lagSlots, values[1]]).toEqual([2, Number.NaN]);
    expect(values[100]).toBeCloseTo(0.5 * 198 + 38.75, 9);
  });

  it('scores the downstream with propagation better than without on a pair that depends on its upstream', () => {
    // Prepare: 8 days (4 of warm-up, a shorter trace's half) of two unrelated loads
    const up = trace('up', loadSeries(8 * DAY, 5, 31));
    const noise = trace('noise', loadSeries(8 * DAY, 5, 32, 7));

    // Act
    const run = runGraphPair(up, noise, { ratio: 0.6, lagMinutes: 10, noiseShare: 0.3 });

    // Assess
    expect([run.origins, run.lagMinutes, run.found.lagMinutes]).toEqual([96, 10, 10]);
    expect(run.found.ratio).toBeCloseTo(0.6, 1);
    expect(run.propagatedRelMAE60).toBeLessThan((run.ownRelMAE60 ?? 0) * 0.95);
  });
});
