import type { Grid } from './grid.js';

/**
 * How a coarser slot summarizes the finer slots inside it: `sum` for counts (requests per
 * period), `mean` for rates and percentages (CPU utilization).
 */
export type Aggregation = 'sum' | 'mean' | 'max';

/**
 * Moves a grid to another step. Coarsening aggregates the observed fine slots of each coarse
 * slot (a `sum` over a partly observed slot is scaled up to the whole slot, so a gap does not
 * read as a dip); refining spreads each slot evenly (`sum`) or repeats it (`mean`, `max`).
 * The new grid starts at `t0` (default: the old start rounded down to the new step).
 */
export function resample(
  g: Grid,
  stepMs: number,
  how: Aggregation,
  t0 = Math.floor(g.t0 / stepMs) * stepMs,
): Grid {
  if (!(stepMs > 0)) throw new RangeError(`step must be positive, got ${stepMs}`);
  const end = g.t0 + g.values.length * g.stepMs;
  const n = Math.max(0, Math.ceil((end - t0) / stepMs));
  const values = new Float64Array(n).fill(Number.NaN);
  if (stepMs >= g.stepMs) {
    const ratio = stepMs / g.stepMs;
    const acc = new Float64Array(n);
    const cnt = new Float64Array(n);
    const max = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
    for (let i = 0; i < g.values.length; i++) {
      const v = g.values[i];
      if (Number.isNaN(v)) continue;
      const j = Math.floor((g.t0 + i * g.stepMs - t0) / stepMs);
      if (j < 0 || j >= n) continue;
      acc[j] += v;
      cnt[j]++;
      if (v > max[j]) max[j] = v;
    }
    for (let j = 0; j < n; j++) {
      if (cnt[j] === 0) continue;
      values[j] = how === 'sum' ? (acc[j] * ratio) / cnt[j] : how === 'mean' ? acc[j] / cnt[j] : max[j];
    }
  } else {
    const parts = g.stepMs / stepMs;
    for (let j = 0; j < n; j++) {
      const i = Math.floor((t0 + j * stepMs - g.t0) / g.stepMs);
      if (i < 0 || i >= g.values.length) continue;
      values[j] = how === 'sum' ? g.values[i] / parts : g.values[i];
    }
  }
  return { t0, stepMs, values };
}

/**
 * Puts several grids of one step on a common time axis: the span they all cover. Each returned
 * grid has the same t0 and length; slots outside a series' own data are NaN.
 */
export function align(grids: readonly Grid[]): Grid[] {
  if (grids.length === 0) return [];
  const stepMs = grids[0].stepMs;
  for (const g of grids) {
    if (g.stepMs !== stepMs)
      throw new RangeError(`align needs one step: got ${stepMs} and ${g.stepMs} ms (resample first)`);
  }
  const start = Math.max(...grids.map((g) => g.t0));
  const end = Math.min(...grids.map((g) => g.t0 + g.values.length * stepMs));
  const n = Math.max(0, Math.floor((end - start) / stepMs));
  return grids.map((g) => {
    const values = new Float64Array(n).fill(Number.NaN);
    const offset = Math.round((start - g.t0) / stepMs);
    for (let j = 0; j < n; j++) values[j] = g.values[j + offset] ?? Number.NaN;
    return { t0: start, stepMs, values };
  });
}

export interface FilledSeries {
  values: Float64Array;
  /** Slots that were missing and were filled by interpolation. */
  filled: number;
  /** Runs of missing slots longer than `maxGap`, left missing: [first slot, length]. */
  longGaps: Array<[number, number]>;
}

/**
 * Fills runs of at most `maxGap` missing slots by linear interpolation between their observed
 * neighbours; longer runs (and runs at either end) stay missing and are reported, because a
 * long outage is information a model should see, not a line to draw through.
 */
export function fillShortGaps(values: Float64Array, maxGap: number): FilledSeries {
  const out = Float64Array.from(values);
  const longGaps: Array<[number, number]> = [];
  let filled = 0;
  let i = 0;
  while (i < out.length) {
    if (!Number.isNaN(out[i])) {
      i++;
      continue;
    }
    let j = i;
    while (j < out.length && Number.isNaN(out[j])) j++;
    const len = j - i;
    if (i > 0 && j < out.length && len <= maxGap) {
      const a = out[i - 1];
      const b = out[j];
      for (let k = i; k < j; k++) out[k] = a + ((b - a) * (k - i + 1)) / (len + 1);
      filled += len;
    } else {
      longGaps.push([i, len]);
    }
    i = j;
  }
  return { values: out, filled, longGaps };
}
