import type { QuantileForecast } from '../../../layers/core/forecast/types.js';
import { discoverEdge } from '../../../layers/core/graph/discover.js';
import { propagate } from '../../../layers/core/graph/propagate.js';
import { follow, loadSeries } from './synthetic.js';

const MIN = 60_000;
const DAY = 1440;
const HOUR = 60;

/** The value a day earlier, with a band of ±1.28 × its recent error: a plain own model. */
function dayAgo(y: Float64Array, origin: number, mae: number): QuantileForecast {
  const p50 = Float64Array.from({ length: HOUR }, (_, h) => y[origin + h - DAY]);
  return {
    p10: p50.map((v) => v - 1.6 * mae),
    p50,
    p90: p50.map((v) => v + 1.6 * mae),
    model: 'day-ago',
  };
}

/** Mean absolute error of the day-ago forecast over the hourly origins of the day before `origin`. */
function dayAgoMAE(y: Float64Array, origin: number): number {
  let s = 0;
  let c = 0;
  for (let t = origin - DAY; t < origin; t++) {
    if (Number.isFinite(y[t]) && Number.isFinite(y[t - DAY])) {
      s += Math.abs(y[t] - y[t - DAY]);
      c++;
    }
  }
  return s / c;
}

/** Over 24 hourly origins on day 4: the downstream's MAE with and without propagation, and the mean upstream weight. */
function backtest(up: Float64Array, down: Float64Array, minConfidence?: number, edgeOverride?: object) {
  let own = 0;
  let prop = 0;
  let weight = 0;
  let points = 0;
  for (let o = 3 * DAY; o < 4 * DAY; o += HOUR) {
    const ownMAE = dayAgoMAE(down, o);
    const upMAE = dayAgoMAE(up, o);
    const ownF = dayAgo(down, o, ownMAE);
    const edge = {
      ...discoverEdge(up.subarray(0, o), down.subarray(0, o), { stepMs: MIN }),
      ...edgeOverride,
    } as {
      lagMinutes: number;
      ratio: number;
      confidence: number;
    };
    const r = propagate({
      history: down.subarray(0, o),
      stepMs: MIN,
      own: ownF,
      ownMAE,
      minConfidence,
      upstreams: [
        { id: 'up', history: up.subarray(0, o), forecast: dayAgo(up, o, upMAE), forecastMAE: upMAE, edge },
      ],
    });
    weight += r.weights.upstreams[0].weight / 24;
    for (let h = 0; h < HOUR; h++) {
      own += Math.abs(down[o + h] - ownF.p50[h]);
      prop += Math.abs(down[o + h] - r.forecast.p50[h]);
      points++;
    }
  }
  return { own: own / points, prop: prop / points, weight };
}

describe('Function: propagate', () => {
  it("improves a downstream's forecast with its upstream's, shifted by the lag and scaled by the ratio", () => {
    // Prepare: downstream = 0.5 × upstream 15 minutes later + a smaller load of its own
    const up = loadSeries(4 * DAY, 1, 11);
    const down = follow(
      up,
      loadSeries(4 * DAY, 1, 12, 8).map((v) => 0.2 * v),
      0.5,
      15,
    );

    // Act
    const r = backtest(up, down);

    // Assess: at least a seventh less error, most of the weight on the upstream
    expect(r.prop).toBeLessThan(0.85 * r.own);
    expect(r.weight).toBeGreaterThan(0.5);
  });

  it("reads the upstream's observed load for the first lag minutes: exact when the edge explains everything", () => {
    // Prepare: downstream = 0.5 × upstream 15 minutes later + 200, and an own forecast that is far off
    const up = loadSeries(2 * DAY, 1, 17);
    const down = follow(up, new Float64Array(2 * DAY).fill(200), 0.5, 15);
    const o = DAY + 600;
    const edge = discoverEdge(up.subarray(0, o), down.subarray(0, o), { stepMs: MIN });
    const flat = new Float64Array(HOUR).fill(0);

    // Act
    const r = propagate({
      history: down.subarray(0, o),
      stepMs: MIN,
      own: { p10: flat, p50: flat, p90: flat, model: 'zero' },
      ownMAE: 100,
      upstreams: [
        {
          id: 'up',
          history: up.subarray(0, o),
          forecast: dayAgo(up, o, 50),
          forecastMAE: 50,
          edge: edge as { lagMinutes: number; ratio: number; confidence: number },
        },
      ],
    });

    // Assess
    const firstLag = Array.from(r.forecast.p50.subarray(0, 15), (v, h) => v - down[o + h]);
    expect(Math.max(...firstLag.map(Math.abs))).toBeLessThan(1e-6);
  });

  it('gives an unrelated upstream no weight: discovery finds no confidence in the edge', () => {
    // Prepare: an upstream with nothing to do with the downstream
    const up = loadSeries(4 * DAY, 1, 13);
    const down = loadSeries(4 * DAY, 1, 14).map((v) => 0.5 * v);

    // Act
    const r = backtest(up, down);

    // Assess
    expect([r.weight, r.prop]).toEqual([0, r.own]);
  });

  it('does not hurt when an unrelated upstream is forced in (ratio 1, lag 0, the confidence gate off)', () => {
    const up = loadSeries(4 * DAY, 1, 13);
    const down = loadSeries(4 * DAY, 1, 14).map((v) => 0.5 * v);

    const r = backtest(up, down, 0, { lagMinutes: 0, ratio: 1, confidence: 1 });

    // its residual around an hourly level is all it has: a small weight, at most 2 % more error
    expect(r.weight).toBeLessThan(0.2);
    expect(r.prop).toBeLessThan(1.02 * r.own);
  });

  it('leaves the own forecast untouched when the edge is below the confidence asked for', () => {
    const up = loadSeries(2 * DAY, 1, 15);
    const down = loadSeries(2 * DAY, 1, 16);
    const own = dayAgo(down, DAY + 600, 50);

    const r = propagate({
      history: down.subarray(0, DAY + 600),
      stepMs: MIN,
      own,
      ownMAE: 50,
      upstreams: [
        {
          id: 'up',
          history: up.subarray(0, DAY + 600),
          forecast: dayAgo(up, DAY + 600, 50),
          forecastMAE: 50,
          edge: { lagMinutes: 5, ratio: 1, confidence: 0.1 },
        },
      ],
    });

    expect(Array.from(r.forecast.p50)).toEqual(Array.from(own.p50));
    expect(r.weights.upstreams[0].weight).toBe(0);
  });
});
