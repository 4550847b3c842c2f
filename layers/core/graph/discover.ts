import { median } from '../stats.js';

/** What the load series say about one edge: downstream(t) ≈ level + ratio × upstream(t − lag). */
export interface DiscoveredEdge {
  lagMinutes: number;
  /** Extra downstream load per unit of upstream load (Huber regression on first differences). */
  ratio: number;
  /** Downstream load the upstream does not explain: median of downstream − ratio × lagged upstream. */
  level: number;
  /** Correlation of the first differences at the chosen lag. */
  correlation: number;
  /** Pairs of observed differences the correlation was computed on. */
  samples: number;
  /**
   * 0–1: the lower end of the correlation's 95 % interval (Fisher z), Bonferroni-corrected for
   * the lags tried, so a short or noisy overlap earns little even when its correlation is high.
   */
  confidence: number;
}

export interface DiscoverOptions {
  stepMs: number;
  /** Largest lag tried, in minutes (rounded down to whole slots). */
  maxLagMinutes?: number;
  /** Fewer difference pairs than this: no edge can be told from chance. */
  minSamples?: number;
}

// two-sided 95 % normal quantile, and its Bonferroni version is computed from the lag count
const Z95 = 1.96;

/**
 * Finds how `downstream` follows `upstream` on the same grid (same t0 and step; NaN is a
 * missing slot). Correlating first differences, not levels, is what keeps two unrelated
 * services apart: both follow the day, so their levels correlate whatever calls what.
 */
export function discoverEdge(
  upstream: ArrayLike<number>,
  downstream: ArrayLike<number>,
  options: DiscoverOptions,
): DiscoveredEdge | undefined {
  const { stepMs, maxLagMinutes = 30, minSamples = 30 } = options;
  const n = Math.min(upstream.length, downstream.length);
  const maxLag = Math.max(0, Math.floor((maxLagMinutes * 60_000) / stepMs));
  const du = diff(upstream, n);
  const dd = diff(downstream, n);
  // the lag whose correlation is surest (highest lower bound), not merely highest: a long lag
  // leaves fewer pairs, and a few pairs correlate well by chance
  const zc = zFor(maxLag + 1);
  let best: { lag: number; r: number; count: number; low: number } | undefined;
  for (let lag = 0; lag <= maxLag && lag < n - 2; lag++) {
    const { r, count } = correlation(du, dd, lag);
    if (count < minSamples || !Number.isFinite(r)) continue;
    const low = Math.atanh(clampR(r)) - zc / Math.sqrt(Math.max(1, count - 3));
    if (!best || low > best.low) best = { lag, r, count, low };
  }
  if (!best) return undefined;
  const ratio = huberThroughOrigin(du, dd, best.lag);
  const residuals: number[] = [];
  for (let t = best.lag; t < n; t++) {
    const d = downstream[t];
    const u = upstream[t - best.lag];
    if (Number.isFinite(d) && Number.isFinite(u)) residuals.push(d - ratio * u);
  }
  return {
    lagMinutes: (best.lag * stepMs) / 60_000,
    ratio,
    level: residuals.length ? median(residuals) : 0,
    correlation: best.r,
    samples: best.count,
    confidence: best.count > 3 ? Math.max(0, Math.tanh(best.low)) : 0,
  };
}

/** The normal quantile for a 95 % interval over `tries` comparisons (Bonferroni). */
function zFor(tries: number): number {
  // inverse normal by bisection on erf: plenty for one number per call
  const p = 1 - 0.05 / (2 * tries);
  let lo = Z95;
  let hi = 8;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return lo;
}

function normalCdf(x: number): number {
  // Abramowitz–Stegun 7.1.26 erf, error < 1.5e-7
  const t = 1 / (1 + (0.3275911 * x) / Math.SQRT2);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-(x * x) / 2);
  return 0.5 * (1 + y);
}

const clampR = (r: number) => Math.max(-0.999999, Math.min(0.999999, r));

function diff(y: ArrayLike<number>, n: number): Float64Array {
  const d = new Float64Array(n).fill(Number.NaN);
  for (let t = 1; t < n; t++) d[t] = y[t] - y[t - 1];
  return d;
}

/** Pearson correlation of dd(t) with du(t − lag) over the slots where both are observed. */
function correlation(du: Float64Array, dd: Float64Array, lag: number): { r: number; count: number } {
  let n = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let t = lag + 1; t < dd.length; t++) {
    const x = du[t - lag];
    const y = dd[t];
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    n++;
    sx += x;
    sy += y;
    sxx += x * x;
    syy += y * y;
    sxy += x * y;
  }
  const vx = sxx - (sx * sx) / n;
  const vy = syy - (sy * sy) / n;
  if (!(n > 2 && vx > 0 && vy > 0)) return { r: Number.NaN, count: n };
  return { r: (sxy - (sx * sy) / n) / Math.sqrt(vx * vy), count: n };
}

/**
 * dd(t) = ratio × du(t − lag), fitted by iteratively reweighted least squares with Huber
 * weights (k = 1.345 robust sigmas): a burst in the downstream's own load does not drag the ratio.
 */
function huberThroughOrigin(du: Float64Array, dd: Float64Array, lag: number): number {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let t = lag + 1; t < dd.length; t++) {
    const x = du[t - lag];
    const y = dd[t];
    if (Number.isFinite(x) && Number.isFinite(y)) {
      xs.push(x);
      ys.push(y);
    }
  }
  let beta = 0;
  let w = xs.map(() => 1);
  for (let iter = 0; iter < 20; iter++) {
    let num = 0;
    let den = 0;
    for (let i = 0; i < xs.length; i++) {
      num += w[i] * xs[i] * ys[i];
      den += w[i] * xs[i] * xs[i];
    }
    const next = den > 0 ? num / den : 0;
    const res = xs.map((x, i) => ys[i] - next * x);
    const scale = 1.4826 * median(res.map(Math.abs)) || 1e-12;
    w = res.map((r) => {
      const a = Math.abs(r) / (1.345 * scale);
      return a <= 1 ? 1 : 1 / a;
    });
    const done = Math.abs(next - beta) <= 1e-9 * Math.max(1, Math.abs(next));
    beta = next;
    if (done) break;
  }
  return beta;
}
