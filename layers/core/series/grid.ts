import type { Sample } from './read-trace.js';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/**
 * A series on a regular grid: slot i stands for `t0 + i × stepMs`. A missing slot is NaN.
 * Every module past the reader works on grids, so gaps are explicit rather than implied by time.
 */
export interface Grid {
  t0: number;
  stepMs: number;
  values: Float64Array;
}

export interface GridStats {
  slots: number;
  emptySlots: number;
  /** Rows that shared a slot with another and were averaged into it. */
  mergedRows: number;
  /** Rows stamped off the grid (a daylight-saving jump, a jittered sensor), moved to the nearest slot. */
  offGridRows: number;
}

/** The most common positive gap between samples; on a tie, the smaller. */
export function inferStep(samples: readonly Sample[]): number {
  const counts = new Map<number, number>();
  for (let i = 1; i < samples.length; i++) {
    const gap = samples[i].t - samples[i - 1].t;
    if (gap > 0) counts.set(gap, (counts.get(gap) ?? 0) + 1);
  }
  let best = 0;
  let bestCount = 0;
  for (const [gap, n] of counts) {
    if (n > bestCount || (n === bestCount && gap < best)) {
      best = gap;
      bestCount = n;
    }
  }
  if (best === 0) throw new RangeError('a grid needs at least two distinct timestamps');
  return best;
}

/**
 * Places sorted samples on a grid: each goes to the nearest slot, samples sharing a slot are
 * averaged, empty slots stay NaN. The conventions are the benchmark referee's, so the project's
 * scores and the referee's agree.
 */
export function toGrid(
  samples: readonly Sample[],
  stepMs = inferStep(samples),
): { grid: Grid; stats: GridStats } {
  const t0 = samples[0].t;
  const slotOf = (t: number) => Math.floor((t - t0) / stepMs + 0.5);
  const n = slotOf(samples[samples.length - 1].t) + 1;
  const sum = new Float64Array(n);
  const count = new Uint32Array(n);
  let offGridRows = 0;
  for (const s of samples) {
    const i = slotOf(s.t);
    sum[i] += s.v;
    count[i]++;
    if ((s.t - t0) % stepMs !== 0) offGridRows++;
  }
  const values = new Float64Array(n);
  let emptySlots = 0;
  let mergedRows = 0;
  for (let i = 0; i < n; i++) {
    if (count[i] === 0) emptySlots++;
    else mergedRows += count[i] - 1;
    values[i] = count[i] > 0 ? sum[i] / count[i] : Number.NaN;
  }
  return { grid: { t0, stepMs, values }, stats: { slots: n, emptySlots, mergedRows, offGridRows } };
}

/** The time of slot i. */
export const slotTime = (g: Grid, i: number): number => g.t0 + i * g.stepMs;

/** Slots per hour, rounded and at least one (a step longer than an hour still has a slot). */
export const slotsPerHour = (stepMs: number): number => Math.max(1, Math.round(HOUR_MS / stepMs));

/** Slots per day, rounded: the daily season of a grid whose step does not divide a day is approximate. */
export const slotsPerDay = (stepMs: number): number => Math.max(1, Math.round(DAY_MS / stepMs));

/** Each missing slot takes the last observed value before it (NaN before the first). Causal. */
export function forwardFill(values: Float64Array): Float64Array {
  const out = new Float64Array(values.length);
  let last = Number.NaN;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isNaN(values[i])) last = values[i];
    out[i] = last;
  }
  return out;
}
