import { ForecastScorer, geometricMean, scoringWindow } from '../../../layers/core/forecast/score.js';

// 30-minute steps: 48 slots a day. 100 slots = 50 hours, shorter than 14 days, so the warm-up
// is half of it rounded down to whole hours (25 h = slot 50) and origins are every 2 slots.
const STEP = 30 * 60_000;
const grid = { t0: 0, stepMs: STEP, values: Float64Array.from({ length: 100 }, (_, t) => t) };

describe('Class: ForecastScorer', () => {
  it('places the scored window and hourly origins as the protocol does', () => {
    const w = scoringWindow(grid);
    expect(w).toMatchObject({ day: 48, hour: 2, scoreStart: 50 });
    expect(w.origins).toEqual(Array.from({ length: 25 }, (_, j) => 50 + 2 * j));
  });

  it('computes relMAE, MASE, coverage and pinball as worked by hand', () => {
    // y(t) = t, so seasonal naive is always 48 off; p50 = y + 12, p10 = y − 1, p90 = y + 13
    const scorer = new ForecastScorer(grid);
    for (const o of scorer.window.origins) {
      const h = 48;
      const p50 = Array.from({ length: h }, (_, k) => o + k + 12);
      scorer.addOrigin(
        o,
        p50.map((v) => v - 13),
        p50,
        p50.map((v) => v + 1),
      );
    }
    const r = scorer.result();
    expect(r.complete).toBe(true);
    expect(r.naiveScaleMAE).toBe(48); // warm-up slots 48 and 49, each 48 off
    expect(r.h60?.relMAE).toBeCloseTo(12 / 48, 12);
    expect(r.h60?.MASE).toBeCloseTo(12 / 48, 12);
    expect(r.h60?.coverage80).toBe(1);
    // losses: p10 0.1 × 1, p50 0.5 × 12, p90 0.1 × 13 → mean 7.4 / 3 over the mean |y|
    // h60 points: origins 50, 52, …, 98, each with slots o and o+1 inside the 100 slots
    const h60 = scorer.window.origins.flatMap((o) => [o, o + 1].filter((t) => t < 100));
    const meanAbs = h60.reduce((a, b) => a + b, 0) / h60.length;
    expect(r.h60?.points).toBe(h60.length);
    expect(r.h60?.pinball).toBeCloseTo(7.4 / 3 / meanAbs, 12);
  });

  it('gives no score to a trace with a missing forecast point, and counts it', () => {
    const scorer = new ForecastScorer(grid);
    for (const o of scorer.window.origins) {
      const p = Array.from({ length: 48 }, (_, k) => (o === 60 && k === 1 ? Number.NaN : o + k));
      scorer.addOrigin(o, p, p, p);
    }
    const r = scorer.result();
    expect(r).toMatchObject({ complete: false, missingPoints: 1, h60: null, h24: null });
  });

  it('counts crossed quantiles', () => {
    const scorer = new ForecastScorer(grid);
    for (const o of scorer.window.origins) {
      const p = Array.from({ length: 48 }, (_, k) => o + k);
      scorer.addOrigin(
        o,
        p.map((v) => v + 1),
        p,
        p.map((v) => v + 2),
      );
    }
    expect(scorer.result().crossedQuantiles).toBeGreaterThan(0);
  });
});

describe('Function: geometricMean', () => {
  it('is the geometric mean of the positive finite values, null when there are none', () => {
    expect(geometricMean([1, 4])).toBeCloseTo(2, 12);
    expect(geometricMean([1, 4, null, Number.NaN, 0])).toBeCloseTo(2, 12);
    expect(geometricMean([null])).toBeNull();
  });
});
