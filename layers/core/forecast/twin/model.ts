import { HOUR_MS, MINUTE_MS, slotsPerDay, slotsPerHour } from '../../series/grid.js';
import { clamp, median, quantileSorted, robustSigma, solveRidge } from '../../stats.js';
import type { QuantileForecast } from '../types.js';
import { type BaseSpec, baseStart, computeBase, describeBase, type Seasons } from './seasonal-base.js';

/**
 * The `twin` forecaster's model: a robust seasonal base (the same moment of past days or weeks,
 * extremes trimmed) plus a direct multi-horizon regression of the deviation from that base on
 * the recent deviations (last value, last 15 minutes' median, last 2 hours' and last day's mean).
 * The regression is the exponential-smoothing part: its coefficients, fitted per horizon on
 * the series' own history, say how fast today's level and trend decay back to the seasonal
 * shape (a damped trend, learned rather than assumed). Deviations are winsorized, so a spike
 * neither drags the level nor the fit, while a level shift, which persists, passes through.
 *
 * Model choice: every candidate (identity or log scale × base: none, daily×1, daily×7,
 * weekly×1, weekly×2, daily+weekly) is fitted and backtested at hourly origins over the last
 * 14 days; the best per horizon block (< 1 h, 1–6 h, 6–24 h) by MAE is kept. Quantiles are the
 * backtest's out-of-sample residual quantiles per horizon (split conformal), on the chosen scale.
 */
export interface TwinOptions {
  /** Days of history the backtest fits on. @default 14 */
  trainDays: number;
  /** Deviations beyond this many robust σ are clipped. @default 4 */
  winsorSigmas: number;
  /** Widening of the conformal band around p50 (1 = as measured in the backtest). @default 1.1 */
  bandScale: number;
  /** Ridge penalty, relative to the number of pairs per horizon. @default 0.01 */
  ridge: number;
  /**
   * Extra widening reached at a day ahead: the backtest's residuals come from a window the
   * model was chosen on, and the far horizons drift most from it. @default 0.4
   */
  bandGrowth: number;
}

export const DEFAULT_TWIN_OPTIONS: TwinOptions = {
  trainDays: 14,
  winsorSigmas: 4,
  bandScale: 1.1,
  ridge: 0.01,
  bandGrowth: 0.4,
};

interface Transform {
  kind: 'identity' | 'log';
  offset: number;
}

interface Candidate {
  transform: Transform;
  base: BaseSpec;
}

/** A candidate fitted at every horizon bin. */
interface FittedCandidate {
  cand: Candidate;
  center: number;
  sigma: number;
  /** Per bin: FEATURES coefficients. */
  coef: Float64Array;
  q10: Float64Array;
  q50: Float64Array;
  q90: Float64Array;
  /** Backtest MAE per block (original scale). */
  mae: Float64Array;
  /** Backtest origins. */
  origins: number;
}

export interface TwinModel {
  fittedAt: number;
  horizon: number;
  seasons: Seasons;
  windows: FeatureWindows;
  bins: HorizonBins;
  /** Per block, the candidate used. */
  chosen: FittedCandidate[];
  /** Extra widening per bin for horizons the backtest could not reach (short history). */
  stretch: Float64Array;
}

interface FeatureWindows {
  short: number;
  mid: number;
  day: number;
}

/** Horizons grouped into bins that share coefficients and quantiles; bins grouped into blocks. */
interface HorizonBins {
  /** bin index of each horizon step */
  binOf: Int32Array;
  /** representative horizon of each bin */
  rep: Int32Array;
  /** block of each bin */
  blockOf: Int32Array;
  blocks: number;
}

const FEATURES = 5;
const SELECTION_HALF_LIFE_DAYS = 1;

export function seasonsOf(stepMs: number): Seasons {
  const day = slotsPerDay(stepMs);
  return { hour: slotsPerHour(stepMs), day, week: 7 * day };
}

function featureWindows(stepMs: number, day: number): FeatureWindows {
  return {
    short: Math.max(1, Math.round((15 * MINUTE_MS) / stepMs)),
    mid: Math.max(1, Math.round((2 * HOUR_MS) / stepMs)),
    day,
  };
}

function horizonBins(horizon: number, stepMs: number): HorizonBins {
  const hour = slotsPerHour(stepMs);
  const width = Math.max(1, Math.floor(hour / 4));
  const binOf = new Int32Array(horizon);
  const rep: number[] = [];
  const blockOf: number[] = [];
  const blockFor = (h: number) => (h < hour ? 0 : h < 6 * hour ? 1 : 2);
  let h = 0;
  while (h < horizon) {
    const w = h < hour ? 1 : width;
    const end = Math.min(horizon, h + w);
    for (let k = h; k < end; k++) binOf[k] = rep.length;
    rep.push(h + Math.floor((end - h - 1) / 2));
    blockOf.push(blockFor(h));
    h = end;
  }
  return { binOf, rep: Int32Array.from(rep), blockOf: Int32Array.from(blockOf), blocks: 3 };
}

function forward(tr: Transform, v: number): number {
  return tr.kind === 'log' ? Math.log(Math.max(v, 0) + tr.offset) : v;
}
function inverse(tr: Transform, z: number): number {
  return tr.kind === 'log' ? Math.exp(z) - tr.offset : z;
}

/** Forward-filled history (leading gaps take the first observation) on a transformed scale. */
function transformed(y: Float64Array, tr: Transform, from: number, fill: Float64Array): Float64Array {
  const z = new Float64Array(y.length);
  let last = fill[0];
  for (let i = 0; i < y.length; i++) {
    if (!Number.isNaN(y[i])) last = y[i];
    z[i] = i < from ? Number.NaN : forward(tr, last);
  }
  return z;
}

/** Winsorized deviations from the base, and their prefix sums for window means. */
interface Deviations {
  /** ew[t − lo] for t in [lo, hi) */
  ew: Float64Array;
  prefix: Float64Array;
  lo: number;
}

function deviations(
  z: Float64Array,
  base: Float64Array,
  baseFrom: number,
  lo: number,
  hi: number,
  center: number,
  limit: number,
): Deviations {
  const ew = new Float64Array(hi - lo);
  const prefix = new Float64Array(hi - lo + 1);
  for (let t = lo; t < hi; t++) {
    const e = z[t] - base[t - baseFrom];
    const w = Number.isFinite(e) ? clamp(e, center - limit, center + limit) : center;
    ew[t - lo] = w;
    prefix[t - lo + 1] = prefix[t - lo] + w;
  }
  return { ew, prefix, lo };
}

const shortBuf = new Float64Array(256);

/** Features at origin o (the deviations strictly before o). */
function featuresAt(d: Deviations, o: number, win: FeatureWindows, out: Float64Array): void {
  const first = d.lo;
  const windowMean = (len: number) => {
    const a = Math.max(first, o - len) - first;
    const b = o - first;
    return (d.prefix[b] - d.prefix[a]) / (b - a);
  };
  out[0] = 1;
  out[1] = d.ew[o - 1 - first];
  const a = Math.max(first, o - Math.min(win.short, shortBuf.length));
  let m = 0;
  for (let t = a; t < o; t++) shortBuf[m++] = d.ew[t - first];
  const s = shortBuf.subarray(0, m).sort();
  out[2] = m % 2 ? s[(m - 1) / 2] : 0.5 * (s[m / 2 - 1] + s[m / 2]);
  out[3] = windowMean(win.mid);
  out[4] = windowMean(win.day);
}

function candidates(y: Float64Array, s: Seasons, trainSlots: number): Candidate[] {
  const n = y.length;
  const observed = Array.from(y).filter((v) => !Number.isNaN(v));
  const transforms: Transform[] = [{ kind: 'identity', offset: 0 }];
  const med = median(observed);
  if (observed.every((v) => v >= 0) && med > 0) transforms.push({ kind: 'log', offset: 0.1 * med });
  const minTrain = Math.min(trainSlots, Math.max(s.day, 12));
  const bases: BaseSpec[] = [{ kind: 'none', depth: 0 }];
  const fits = (b: BaseSpec) => n - baseStart(b, s) >= minTrain;
  for (const b of [
    { kind: 'daily', depth: 1 },
    { kind: 'daily', depth: 7 },
    { kind: 'weekly', depth: 1 },
    { kind: 'weekly', depth: 2 },
    { kind: 'mix', depth: 1 },
  ] as BaseSpec[]) {
    if (fits(b)) bases.push(b);
  }
  if (!fits({ kind: 'daily', depth: 7 })) {
    const depth = Math.floor((n - minTrain) / s.day);
    if (depth >= 3) bases.push({ kind: 'daily', depth });
  }
  return transforms.flatMap((transform) => bases.map((base) => ({ transform, base })));
}

/**
 * Fits the twin model on the history y (NaN = missing). Returns undefined when the history is
 * too short to backtest (the caller falls back to a level forecast).
 */
export function fitTwinModel(
  y: Float64Array,
  stepMs: number,
  horizon: number,
  opts: TwinOptions,
): TwinModel | undefined {
  const n = y.length;
  const seasons = seasonsOf(stepMs);
  const windows = featureWindows(stepMs, seasons.day);
  const bins = horizonBins(horizon, stepMs);
  const trainSlots = Math.min(n, opts.trainDays * seasons.day);
  const firstObserved = y.findIndex((v) => !Number.isNaN(v));
  if (firstObserved < 0 || n - firstObserved < 6) return undefined;
  const fill = Float64Array.of(y[firstObserved]);
  const fitted: FittedCandidate[] = [];
  for (const cand of candidates(y, seasons, trainSlots)) {
    const f = fitCandidate(y, cand, { seasons, windows, bins, trainSlots, opts, fill, firstObserved });
    if (f) fitted.push(f);
  }
  if (fitted.length === 0) return undefined;
  const chosen: FittedCandidate[] = [];
  for (let b = 0; b < bins.blocks; b++) {
    let best = fitted[0];
    for (const f of fitted) if (f.mae[b] < best.mae[b] || !Number.isFinite(best.mae[b])) best = f;
    chosen.push(best);
  }
  // Horizons past what the backtest reached (short history) keep the last reached bin's fit,
  // with bands widened like a random walk's.
  const stretch = new Float64Array(bins.rep.length).fill(1);
  const reach = n - firstObserved - 2;
  for (let b = 0; b < bins.rep.length; b++) {
    if (bins.rep[b] > reach) stretch[b] = Math.sqrt((bins.rep[b] + 1) / Math.max(1, reach + 1));
  }
  return { fittedAt: n, horizon, seasons, windows, bins, chosen, stretch };
}

interface FitContext {
  seasons: Seasons;
  windows: FeatureWindows;
  bins: HorizonBins;
  trainSlots: number;
  opts: TwinOptions;
  fill: Float64Array;
  firstObserved: number;
}

function fitCandidate(y: Float64Array, cand: Candidate, c: FitContext): FittedCandidate | undefined {
  const n = y.length;
  const { seasons, windows, bins } = c;
  const start = Math.max(baseStart(cand.base, seasons), c.firstObserved);
  const trainFrom = Math.max(start + 1, n - c.trainSlots);
  if (n - trainFrom < 4) return undefined;
  const lo = Math.max(start, trainFrom - windows.day);
  const z = transformed(y, cand.transform, c.firstObserved, c.fill);
  let base = computeBase(z, lo, n, cand.base, seasons);
  // robust centre and scale of the raw deviations over the training span
  const raw = new Float64Array(n - trainFrom);
  for (let t = trainFrom; t < n; t++)
    raw[t - trainFrom] = Number.isNaN(y[t]) ? Number.NaN : z[t] - base[t - lo];
  const center = median(raw);
  let sigma = robustSigma(raw);
  if (!(sigma > 0)) sigma = Math.max(1e-9, Math.abs(center) * 1e-3);
  if (adjustLevelShift(z, base, lo, n, center, sigma, c.seasons.hour, lo))
    base = computeBase(z, lo, n, cand.base, seasons);
  const dev = deviations(z, base, lo, lo, n, center, c.opts.winsorSigmas * sigma);

  // origins: about 300 over the training span, at most an hour apart, newest first
  const every = clamp(Math.floor((n - trainFrom) / 300), 1, c.seasons.hour);
  const origins: number[] = [];
  for (let o = n - 1; o > trainFrom; o -= every) origins.push(o);
  const nb = bins.rep.length;
  const no = origins.length;
  const F2 = FEATURES * FEATURES;
  const feats = new Float64Array(no * FEATURES);
  // cumulative x·xᵀ over origins (newest first): a bin's normal matrix is the total less the
  // newest origins, whose targets lie past the history, less the pairs with a missing target
  const cum = new Float64Array((no + 1) * F2);
  const x = new Float64Array(FEATURES);
  for (let k = 0; k < no; k++) {
    featuresAt(dev, origins[k], windows, x);
    feats.set(x, k * FEATURES);
    for (let i = 0; i < FEATURES; i++) {
      for (let j = 0; j < FEATURES; j++)
        cum[(k + 1) * F2 + i * FEATURES + j] = cum[k * F2 + i * FEATURES + j] + x[i] * x[j];
    }
  }
  const coef = new Float64Array(nb * FEATURES);
  const xtx = new Float64Array(F2);
  const xty = new Float64Array(FEATURES);
  const firstValid = new Int32Array(nb);
  let lastFitted = -1;
  for (let b = 0; b < nb; b++) {
    const rep = bins.rep[b];
    let k0 = 0;
    while (k0 < no && origins[k0] + rep >= n) k0++;
    firstValid[b] = k0;
    for (let i = 0; i < F2; i++) xtx[i] = cum[no * F2 + i] - cum[k0 * F2 + i];
    xty.fill(0);
    let count = no - k0;
    for (let k = k0; k < no; k++) {
      const t = origins[k] + rep;
      if (Number.isNaN(y[t])) {
        count--;
        for (let i = 0; i < FEATURES; i++) {
          for (let j = 0; j < FEATURES; j++)
            xtx[i * FEATURES + j] -= feats[k * FEATURES + i] * feats[k * FEATURES + j];
        }
        continue;
      }
      const target = dev.ew[t - lo];
      for (let i = 0; i < FEATURES; i++) xty[i] += feats[k * FEATURES + i] * target;
    }
    if (count < FEATURES + 2) {
      if (lastFitted >= 0)
        coef.set(coef.subarray(lastFitted * FEATURES, (lastFitted + 1) * FEATURES), b * FEATURES);
      else coef[b * FEATURES + 1] = 1; // no data at all: persistence of the last deviation
      continue;
    }
    coef.set(solveRidge(xtx, xty, FEATURES, c.opts.ridge * count * sigma * sigma), b * FEATURES);
    lastFitted = b;
  }

  // backtest residuals (transformed scale) per bin; MAE per block on the original scale
  const resid: Float64Array[] = [];
  const sum = new Float64Array(bins.blocks);
  const cnt = new Float64Array(bins.blocks);
  const zhats: number[] = [];
  const actuals: number[] = [];
  const weights: number[] = [];
  // recent origins count more in the choice: a regime that ended a week ago should not pick the model
  const halfLife = SELECTION_HALF_LIFE_DAYS * seasons.day;
  for (let b = 0; b < nb; b++) {
    const rep = bins.rep[b];
    const r: number[] = [];
    zhats.length = 0;
    actuals.length = 0;
    weights.length = 0;
    for (let k = firstValid[b]; k < no; k++) {
      const t = origins[k] + rep;
      if (Number.isNaN(y[t])) continue;
      let zhat = base[t - lo];
      for (let i = 0; i < FEATURES; i++) zhat += coef[b * FEATURES + i] * feats[k * FEATURES + i];
      r.push(z[t] - zhat);
      zhats.push(zhat);
      actuals.push(inverse(cand.transform, z[t])); // on the shift-adjusted history, like zhat
      weights.push(0.5 ** ((n - origins[k]) / halfLife));
    }
    const sorted = Float64Array.from(r).sort();
    resid.push(sorted);
    const med = sorted.length ? quantileSorted(sorted, 0.5) : 0;
    const block = bins.blockOf[b];
    for (let i = 0; i < zhats.length; i++) {
      const w = weights[i];
      sum[block] += w * Math.abs(actuals[i] - inverse(cand.transform, zhats[i] + med));
      cnt[block] += w;
    }
  }
  const q10 = new Float64Array(nb);
  const q50 = new Float64Array(nb);
  const q90 = new Float64Array(nb);
  let lastQ = -1;
  for (let b = 0; b < nb; b++) {
    // pool a bin with its neighbours: a few hundred residuals make a steadier quantile
    const pool: number[] = [];
    for (let k = Math.max(0, b - 1); k <= Math.min(nb - 1, b + 1); k++)
      for (const v of resid[k]) pool.push(v);
    if (pool.length < 10) {
      if (lastQ >= 0) {
        q10[b] = q10[lastQ];
        q50[b] = q50[lastQ];
        q90[b] = q90[lastQ];
      } else {
        q10[b] = -1.2816 * sigma;
        q90[b] = 1.2816 * sigma;
      }
      continue;
    }
    pool.sort((a, b2) => a - b2);
    q10[b] = quantileSorted(pool, 0.1);
    q50[b] = quantileSorted(pool, 0.5);
    q90[b] = quantileSorted(pool, 0.9);
    lastQ = b;
  }
  const mae = sum.map((s, i) => (cnt[i] > 0 ? s / cnt[i] : Number.POSITIVE_INFINITY));
  return { cand, center, sigma, coef, q10, q50, q90, mae, origins: no };
}

/** Forecast from the model at the origin n = y.length (y may extend past the fit). */
export function forecastWithModel(
  model: TwinModel,
  y: Float64Array,
  horizon: number,
  opts: TwinOptions,
): QuantileForecast {
  const n = y.length;
  const { seasons, windows, bins } = model;
  const p10 = new Float64Array(horizon);
  const p50 = new Float64Array(horizon);
  const p90 = new Float64Array(horizon);
  const firstObserved = y.findIndex((v) => !Number.isNaN(v));
  const fill = Float64Array.of(y[firstObserved]);
  const nonNegative = !Array.prototype.some.call(y, (v: number) => v < 0);
  const done = new Set<FittedCandidate>();
  for (const f of model.chosen) {
    if (done.has(f)) continue;
    done.add(f);
    const { cand } = f;
    const maxLag =
      cand.base.kind === 'none'
        ? 0
        : cand.base.kind === 'daily'
          ? cand.base.depth * seasons.day
          : 2 * seasons.week;
    const lo = Math.max(firstObserved, n - windows.day);
    const z = transformed(y, cand.transform, Math.max(firstObserved, lo - maxLag - 1), fill);
    let base = computeBase(z, lo, n + horizon, cand.base, seasons);
    if (adjustLevelShift(z, base, lo, n, f.center, f.sigma, seasons.hour, lo)) {
      base = computeBase(z, lo, n + horizon, cand.base, seasons);
    }
    const dev = deviations(z, base, lo, lo, n, f.center, f.sigma * opts.winsorSigmas);
    const x = new Float64Array(FEATURES);
    featuresAt(dev, n, windows, x);
    for (let h = 0; h < horizon; h++) {
      const b = bins.binOf[Math.min(h, bins.binOf.length - 1)];
      if (model.chosen[bins.blockOf[b]] !== f) continue;
      let zhat = Number.isFinite(base[n + h - lo]) ? base[n + h - lo] : 0;
      for (let i = 0; i < FEATURES; i++) zhat += f.coef[b * FEATURES + i] * x[i];
      const widen = opts.bandScale * model.stretch[b] * (1 + opts.bandGrowth * Math.min(1, h / seasons.day));
      const mid = zhat + f.q50[b];
      p50[h] = inverse(cand.transform, mid);
      p10[h] = inverse(cand.transform, mid + widen * (f.q10[b] - f.q50[b]));
      p90[h] = inverse(cand.transform, mid + widen * (f.q90[b] - f.q50[b]));
      if (nonNegative) {
        p10[h] = Math.max(0, p10[h]);
        p50[h] = Math.max(0, p50[h]);
        p90[h] = Math.max(0, p90[h]);
      }
    }
  }
  const names = model.chosen.map((f) => `${f.cand.transform.kind}:${describeBase(f.cand.base)}`);
  const near = model.chosen[0];
  return {
    p10,
    p50,
    p90,
    model: `twin[${[...new Set(names)].join(' | ')}]`,
    ...(Number.isFinite(near.mae[0]) ? { backtestMAE: near.mae[0], backtestOrigins: near.origins } : {}),
  };
}

/**
 * A level shift (a migration, a new instance size, a config change) moves every deviation from
 * the seasonal base the same way and for good; a spike does not last. When the last few hours
 * all sit more than 3σ to one side of the centre, the history before the shift is moved by the
 * shift (z is changed in place), so the seasonal base speaks of the new level at once instead
 * of a week later. Returns whether it moved anything.
 */
function adjustLevelShift(
  z: Float64Array,
  base: Float64Array,
  baseFrom: number,
  n: number,
  center: number,
  sigma: number,
  hour: number,
  earliest: number,
): boolean {
  const persist = Math.max(6, 3 * hour);
  if (n - persist <= earliest) return false;
  const recent: number[] = [];
  let above = 0;
  let below = 0;
  for (let t = n - persist; t < n; t++) {
    const e = z[t] - base[t - baseFrom];
    if (!Number.isFinite(e)) continue;
    recent.push(e);
    if (e > center + 3 * sigma) above++;
    else if (e < center - 3 * sigma) below++;
  }
  if (recent.length < persist / 2) return false;
  const side = above >= 0.8 * recent.length ? 1 : below >= 0.8 * recent.length ? -1 : 0;
  if (side === 0) return false;
  const delta = median(recent) - center;
  if (Math.abs(delta) < 4 * sigma) return false;
  // walk back to where the run of displaced deviations began
  let tau = n - persist;
  let misses = 0;
  while (tau - 1 - misses > earliest) {
    const e = z[tau - 1 - misses] - base[tau - 1 - misses - baseFrom];
    if (Number.isFinite(e) && side * (e - center) > 2 * sigma) {
      tau -= misses + 1;
      misses = 0;
    } else if (++misses > persist / 4) break;
  }
  for (let s = 0; s < tau; s++) z[s] += delta;
  return true;
}
