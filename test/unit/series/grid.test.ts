import { inferStep, toGrid } from '../../../layers/core/series/grid.js';
import { align, fillShortGaps, resample } from '../../../layers/core/series/resample.js';

const MIN = 60_000;

describe('Module: grid', () => {
  it('infers the most common gap as the step, the smaller on a tie', () => {
    expect(inferStep([0, 5, 10, 20, 30].map((m) => ({ t: m * MIN, v: 0 })))).toBe(5 * MIN);
    expect(inferStep([0, 5, 15].map((m) => ({ t: m * MIN, v: 0 })))).toBe(5 * MIN);
  });

  it('marks gaps as NaN, moves off-grid rows to the nearest slot and averages rows sharing one', () => {
    const samples = [
      { t: 0, v: 1 },
      { t: 5 * MIN, v: 2 },
      { t: 10 * MIN, v: 3 },
      { t: 11 * MIN, v: 5 }, // nearest slot is 10 min
      { t: 25 * MIN, v: 6 },
    ];
    const { grid, stats } = toGrid(samples);
    expect(Array.from(grid.values)).toEqual([1, 2, 4, Number.NaN, Number.NaN, 6]);
    expect(stats).toEqual({ slots: 6, emptySlots: 2, mergedRows: 1, offGridRows: 1 });
  });
});

describe('Module: resample', () => {
  const g = { t0: 0, stepMs: MIN, values: Float64Array.from([1, 2, 3, Number.NaN, 5, 6]) };

  it('sums counts into coarser slots, scaling a partly observed slot up to the whole', () => {
    expect(Array.from(resample(g, 3 * MIN, 'sum').values)).toEqual([6, 16.5]);
  });

  it('averages rates into coarser slots and spreads counts into finer ones', () => {
    expect(Array.from(resample(g, 2 * MIN, 'mean').values)).toEqual([1.5, 3, 5.5]);
    const fine = resample({ t0: 0, stepMs: 2 * MIN, values: Float64Array.from([4, 6]) }, MIN, 'sum');
    expect(Array.from(fine.values)).toEqual([2, 2, 3, 3]);
  });

  it('aligns grids of one step on the span they share and refuses mixed steps', () => {
    const a = { t0: 0, stepMs: MIN, values: Float64Array.from([1, 2, 3, 4]) };
    const b = { t0: 2 * MIN, stepMs: MIN, values: Float64Array.from([7, 8, 9]) };
    const [a2, b2] = align([a, b]);
    expect(a2.t0).toBe(2 * MIN);
    expect(Array.from(a2.values)).toEqual([3, 4]);
    expect(Array.from(b2.values)).toEqual([7, 8]);
    expect(() => align([a, { ...b, stepMs: 2 * MIN }])).toThrow(/resample first/);
  });

  it('interpolates short gaps and reports long ones and those at the ends', () => {
    const v = Float64Array.from([Number.NaN, 1, Number.NaN, 3, Number.NaN, Number.NaN, Number.NaN, 7]);
    const r = fillShortGaps(v, 2);
    expect(Array.from(r.values)).toEqual([Number.NaN, 1, 2, 3, Number.NaN, Number.NaN, Number.NaN, 7]);
    expect(r.filled).toBe(1);
    expect(r.longGaps).toEqual([
      [0, 1],
      [4, 3],
    ]);
  });
});
