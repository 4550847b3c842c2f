/**
 * Seasonal baselines: what the same moment of past days or weeks says about slot t. Each is
 * computed from values strictly before t − (one season), so for any horizon shorter than the
 * season it uses only data before the origin, and it does not depend on the origin: the array
 * is computed once per fit, and extended at each forecast.
 */
export type BaseKind = 'none' | 'daily' | 'weekly' | 'mix';

export interface BaseSpec {
  kind: BaseKind;
  /** Days (daily) or weeks (weekly, mix) averaged. */
  depth: number;
}

/** Slots per hour, day and week of a grid. */
export interface Seasons {
  hour: number;
  day: number;
  week: number;
}

export const describeBase = (b: BaseSpec): string =>
  b.kind === 'none'
    ? 'level only'
    : b.kind === 'mix'
      ? `mean of daily×7 and weekly×${b.depth}`
      : `${b.kind}×${b.depth}`;

/** The earliest slot at which the base is defined with its full depth. */
export function baseStart(b: BaseSpec, s: Seasons): number {
  if (b.kind === 'none') return 0;
  if (b.kind === 'daily') return s.day * b.depth;
  return s.week * b.depth;
}

/**
 * Base values for slots [from, to) of a (transformed, forward-filled) series z of length n.
 * Lags that fall at or past n are skipped, so slots up to n + season − 1 are defined.
 */
export function computeBase(
  z: Float64Array,
  from: number,
  to: number,
  b: BaseSpec,
  s: Seasons,
): Float64Array {
  const out = new Float64Array(Math.max(0, to - from));
  if (b.kind === 'none') return out;
  const buf = new Float64Array(Math.max(b.depth, 7));
  for (let t = from; t < to; t++) {
    if (b.kind === 'mix') {
      out[t - from] =
        0.5 * robustLagMean(z, t, s.day, 7, buf) + 0.5 * robustLagMean(z, t, s.week, b.depth, buf);
    } else {
      out[t - from] = robustLagMean(z, t, b.kind === 'daily' ? s.day : s.week, b.depth, buf);
    }
  }
  return out;
}

/**
 * Mean of z[t − k·lag] for k = 1..depth, robust to one bad day: the median of three, the mean
 * without its extremes from four on. NaN when no lag is available.
 */
function robustLagMean(z: Float64Array, t: number, lag: number, depth: number, buf: Float64Array): number {
  let m = 0;
  for (let k = 1; k <= depth; k++) {
    const i = t - k * lag;
    if (i < 0) break;
    if (i >= z.length) continue;
    const v = z[i];
    if (!Number.isNaN(v)) buf[m++] = v;
  }
  if (m === 0) return Number.NaN;
  if (m <= 2) return m === 1 ? buf[0] : 0.5 * (buf[0] + buf[1]);
  let sum = 0;
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < m; i++) {
    sum += buf[i];
    if (buf[i] < lo) lo = buf[i];
    if (buf[i] > hi) hi = buf[i];
  }
  if (m === 3) return sum - lo - hi;
  return (sum - lo - hi) / (m - 2);
}
