import { z } from 'zod';
import { HOUR_MS, slotsPerHour } from '../series/grid.js';
import { clamp, median, robustSigma } from '../stats.js';
import { forecastTwin } from './twin/index.js';
import type { ForecastInput, QuantileForecast } from './types.js';

/**
 * Cold start from similar twins (issue 10). A new twin has little or no history; twins of the same
 * family (task definition family, `twinscale:family` tag, the same unit in another environment)
 * have plenty. What transfers is the *shape* of their load over the week, how noisy it is
 * relative to its level, and the capacity per instance; the level does not (the new twin's scale
 * is its own), so the prior's forecast takes its level from the twin's own last hour of data and
 * only its shape, noise and drift from the family. The family's level is used only while the twin
 * has no data at all.
 *
 * The twin's forecast is a blend of the prior's forecast and its own model's, quantile by
 * quantile; the prior's weight falls as own history accumulates and is zero from
 * PRIOR_DEFAULTS.fadeHours on (the own model alone, exactly as without a prior). While the prior
 * weighs, its band carries a shape-mismatch term besides the family's noise: the family's shape is
 * a guess for this twin until its own data confirm it.
 *
 * Pure: histories in, numbers out; the loop decides when to compute a prior and stores it on the
 * twin (twin/prior-upkeep.ts).
 */

/** Hours in the shape: one value per hour of the week, Monday 00:00 UTC first. */
export const SHAPE_HOURS = 168;

/** A family's prior as stored on a twin (`twin.prior`). */
export const LoadPriorSchema = z.object({
  /** Multiplicative load shape per hour of the week (UTC, Monday 00:00 first), mean 1. */
  shape: z.array(z.number().positive()).length(SHAPE_HOURS),
  /** σ of log errors of the shape-scaled forecast up to an hour ahead (relative noise). */
  noise: z.number().nonnegative(),
  /** Growth of that σ per hour ahead: σ(h)² = noise² + drift² × hours. */
  drift: z.number().nonnegative(),
  /** The members' typical level (median of their medians), for a twin with no data yet. */
  level: z.number().nonnegative(),
  /** σ of the log levels across members (how far a new member's scale may be from `level`). */
  levelSpread: z.number().nonnegative(),
  /** Median capacity per instance of the members' capacity models, when any has one. */
  capacityPerInstance: z.number().positive().optional(),
  /** The twins (or traces) it was computed from. */
  members: z.array(z.string()).min(1).max(50),
  /** Weeks of member history that shaped it (summed over members). */
  weeks: z.number().nonnegative(),
  /** When it was computed (ISO 8601). */
  fittedAt: z.string(),
});
export type LoadPrior = z.infer<typeof LoadPriorSchema>;

export interface PriorOptions {
  /**
   * Shrinkage: the prior weighs k / (k + own hours) (tapered to zero at fadeHours), so it has
   * half the weight after k hours of own history. Tuned on `npm run bench -- coldstart`. @default 12
   */
  halfWeightHours: number;
  /** From this much own history on, the prior has no weight at all. @default 168 (a week) */
  fadeHours: number;
  /**
   * σ (log scale) of the mismatch between the family's shape and this twin's, added to the
   * prior's band while the twin has no history; it shrinks like the prior's weight. @default 0.25
   */
  shapeMismatch: number;
  /** Own backtest errors worth as much as the family's noise estimate. @default 24 */
  noisePseudoCount: number;
  /** Backtest origins worth as much as the belief that the family's shape fits. @default 6 */
  evidencePseudoCount: number;
}

export const PRIOR_DEFAULTS: PriorOptions = {
  halfWeightHours: 12,
  fadeHours: 168,
  shapeMismatch: 0.25,
  noisePseudoCount: 24,
  evidencePseudoCount: 6,
};

/** A member's history on a regular grid (as a ForecastInput's). */
export interface MemberHistory {
  id: string;
  history: Float64Array;
  t0: number;
  stepMs: number;
  capacityPerInstance?: number;
}

/** Enough history for a member to take part: two days (one daily cycle each side of the level). */
export const MEMBER_MIN_HOURS = 48;

const Z80 = 1.2816;
/** Epoch (Thursday 00:00 UTC) is 72 hours after Monday 00:00. */
const hourOfWeek = (hourIndex: number) => (((hourIndex + 72) % SHAPE_HOURS) + SHAPE_HOURS) % SHAPE_HOURS;

/** The shape at time t: linear between hour centres, so a slot's shape varies smoothly. */
export function shapeAt(shape: ArrayLike<number>, t: number): number {
  const p = t / HOUR_MS - 0.5;
  const i = Math.floor(p);
  const f = p - i;
  return shape[hourOfWeek(i)] * (1 - f) + shape[hourOfWeek(i + 1)] * f;
}

/** What one member says: its shape, noise, drift and level; undefined below MEMBER_MIN_HOURS. */
export interface MemberProfile {
  id: string;
  shape: Float64Array;
  noise: number;
  drift: number;
  level: number;
  weeks: number;
  capacityPerInstance?: number;
}

/**
 * A member's weekly shape: hourly means divided by their centred 24-hour mean give the daily
 * profile (median per hour of day); day means over their centred 7-day mean give the day-of-week
 * factors; what a given hour of the week does beyond the two (a flatter Sunday) is kept, shrunk
 * towards none by how few weeks saw it. Smoothed over neighbouring hours, normalised to mean 1.
 */
export function memberProfile(m: MemberHistory): MemberProfile | undefined {
  const { history: y, t0, stepMs } = m;
  const observed = Array.from(y).filter((v) => Number.isFinite(v));
  if (observed.length === 0 || (y.length * stepMs) / HOUR_MS < MEMBER_MIN_HOURS) return undefined;
  // the mean, as the shape's is 1 (its median would sit below it on a peaky day)
  const level = observed.reduce((a, b) => a + Math.max(0, b), 0) / observed.length;
  if (!(level > 0)) return undefined;
  // hourly means on the UTC clock
  const h0 = Math.floor(t0 / HOUR_MS);
  const hours = Math.floor((t0 + y.length * stepMs) / HOUR_MS) - h0 + 1;
  const sum = new Float64Array(hours);
  const cnt = new Float64Array(hours);
  for (let i = 0; i < y.length; i++) {
    if (!Number.isFinite(y[i])) continue;
    const h = Math.floor((t0 + i * stepMs) / HOUR_MS) - h0;
    sum[h] += Math.max(0, y[i]);
    cnt[h]++;
  }
  const hv = sum.map((s, h) => (cnt[h] > 0 ? s / cnt[h] : Number.NaN));
  const ma = centredMean(hv, 24, 16);
  const ratio = hv.map((v, h) => (ma[h] > 0 ? v / ma[h] : Number.NaN));

  const daily = profileBy(ratio, (h) => (h0 + h) % 24, 24).values;
  normalise(daily);
  // day-of-week factors from UTC day means
  const d0 = Math.floor(h0 / 24);
  const days = Math.ceil(hours / 24) + 1;
  const dSum = new Float64Array(days);
  const dCnt = new Float64Array(days);
  for (let h = 0; h < hours; h++) {
    if (!Number.isFinite(hv[h])) continue;
    const d = Math.floor((h0 + h) / 24) - d0;
    dSum[d] += hv[h];
    dCnt[d]++;
  }
  const dm = dSum.map((s, d) => (dCnt[d] >= 16 ? s / dCnt[d] : Number.NaN));
  const wma = weekMean(dm);
  const dRatio = dm.map((v, d) => (wma[d] > 0 ? v / wma[d] : Number.NaN));
  // Monday = 0: the epoch's day 0 was a Thursday
  const weekly = profileBy(dRatio, (d) => (d0 + d + 3) % 7, 7);
  for (let k = 0; k < 7; k++) weekly.values[k] = 1 + (weekly.values[k] - 1) * shrink(weekly.counts[k], 0.5);
  normalise(weekly.values);
  // the hour of the week beyond daily × weekly
  const beyond = profileBy(
    ratio.map((r, h) => r / daily[(h0 + h) % 24]),
    (h) => hourOfWeek(h0 + h),
    SHAPE_HOURS,
  );
  const raw = new Float64Array(SHAPE_HOURS);
  for (let k = 0; k < SHAPE_HOURS; k++) {
    const hod = k % 24; // Monday 00:00 UTC starts a day
    const inter = 1 + (beyond.values[k] - 1) * shrink(beyond.counts[k], 2);
    raw[k] = Math.max(1e-3, daily[hod] * weekly.values[Math.floor(k / 24)] * inter);
  }
  const shape = new Float64Array(SHAPE_HOURS);
  for (let k = 0; k < SHAPE_HOURS; k++)
    shape[k] =
      0.25 * raw[(k + SHAPE_HOURS - 1) % SHAPE_HOURS] + 0.5 * raw[k] + 0.25 * raw[(k + 1) % SHAPE_HOURS];
  normalise(shape);
  const { noise, drift } = shapeErrors(y, t0, stepMs, shape, 0.1 * level);
  return {
    id: m.id,
    shape,
    noise,
    drift,
    level,
    weeks: (y.length * stepMs) / (168 * HOUR_MS),
    ...(m.capacityPerInstance ? { capacityPerInstance: m.capacityPerInstance } : {}),
  };
}

/**
 * The family's prior from its members (those with too little history are left out; undefined when
 * none is left): the geometric mean of their shapes, the median of their noise, drift and level,
 * and the median of the capacities they have.
 */
export function familyPrior(members: readonly MemberHistory[], fittedAt: string): LoadPrior | undefined {
  const profiles = members.map(memberProfile).filter((p): p is MemberProfile => p !== undefined);
  if (profiles.length === 0) return undefined;
  const shape = new Float64Array(SHAPE_HOURS);
  for (let k = 0; k < SHAPE_HOURS; k++) {
    let s = 0;
    for (const p of profiles) s += Math.log(p.shape[k]);
    shape[k] = Math.exp(s / profiles.length);
  }
  normalise(shape);
  const logLevels = profiles.map((p) => Math.log(p.level));
  const capacities = profiles.flatMap((p) => (p.capacityPerInstance ? [p.capacityPerInstance] : []));
  return {
    shape: Array.from(shape, (v) => round6(v)),
    noise: round6(median(profiles.map((p) => p.noise))),
    drift: round6(median(profiles.map((p) => p.drift))),
    level: round6(median(profiles.map((p) => p.level))),
    // one member says nothing of how levels vary: assume they may differ by a factor e
    levelSpread: round6(profiles.length >= 3 ? robustSigma(logLevels) || 1 : 1),
    ...(capacities.length ? { capacityPerInstance: median(capacities) } : {}),
    members: profiles.map((p) => p.id),
    weeks: round6(profiles.reduce((s, p) => s + p.weeks, 0)),
    fittedAt,
  };
}

/** Hours of own history: from the first observed slot to the origin. */
export function ownHours(input: Pick<ForecastInput, 'history' | 'stepMs'>): number {
  const first = input.history.findIndex((v) => Number.isFinite(v));
  return first < 0 ? 0 : ((input.history.length - first) * input.stepMs) / HOUR_MS;
}

/** The prior's weight in the blend after `hours` of own history: k/(k+h), tapered to 0 at fadeHours. */
export function priorWeight(hours: number, o: PriorOptions = PRIOR_DEFAULTS): number {
  if (!(hours < o.fadeHours)) return 0;
  const h = Math.max(0, hours);
  return (o.halfWeightHours / (o.halfWeightHours + h)) * (1 - h / o.fadeHours);
}

/**
 * The prior's weight once both forecasts have been tried on the twin's own history: priorWeight,
 * times what the evidence says. Each forecast's backtest MAE up to an hour ahead gives the
 * inverse-variance share the prior would get, doubled (so that a tie keeps priorWeight) and capped
 * at 1 (the evidence only ever lowers the prior's weight: a prior that does better than the own
 * model on a few hours keeps the shrinkage weight, not more). The factor is shrunk towards 1 by
 * how few origins the prior's backtest had (evidencePseudoCount of them count as much as the
 * belief that the family's shape fits).
 */
export function blendWeight(
  hours: number,
  own: Pick<QuantileForecast, 'backtestMAE'>,
  prior: Pick<QuantileForecast, 'backtestMAE' | 'backtestOrigins'>,
  o: PriorOptions = PRIOR_DEFAULTS,
): number {
  const w = priorWeight(hours, o);
  const a = own.backtestMAE;
  const b = prior.backtestMAE;
  const c = prior.backtestOrigins ?? 0;
  if (w <= 0 || a === undefined || b === undefined || c === 0 || !(a + b > 0)) return w;
  const share = Math.min(1, (2 * a * a) / (a * a + b * b));
  const K = o.evidencePseudoCount;
  return w * ((K + c * share) / (K + c));
}

/**
 * The prior's own forecast: the family's shape scaled to the twin's level, read robustly off its
 * last hour (at least three points) of data as the median of log(value) − log(shape); with no
 * data at all, the family's level. The band is log-normal: the family's noise (pooled with the
 * twin's own errors of the same forecast when it has some), its drift over the horizon, the
 * level's estimation error, and the shape mismatch (shrinking with own history).
 */
export function priorForecast(
  prior: LoadPrior,
  input: ForecastInput,
  o: PriorOptions = PRIOR_DEFAULTS,
): QuantileForecast {
  const { history: y, t0, stepMs, horizon } = input;
  const n = y.length;
  const origin = t0 + n * stepMs;
  const hour = slotsPerHour(stepMs);
  const obs: number[] = [];
  for (let i = 0; i < n; i++) if (Number.isFinite(y[i])) obs.push(i);
  const hours = ownHours(input);
  const mismatch = o.shapeMismatch * (o.halfWeightHours / (o.halfWeightHours + hours));
  const logShape = (t: number) => Math.log(shapeAt(prior.shape, t));
  let offset: number;
  let level: number;
  let sigma2: number;
  let levelVar: number;
  let backtestMAE: number | undefined;
  let origins = 0;
  if (obs.length === 0) {
    offset = 0;
    level = Math.log(Math.max(prior.level, 1e-9));
    sigma2 = prior.noise ** 2;
    levelVar = prior.levelSpread ** 2;
  } else {
    const values = obs.map((i) => y[i]);
    offset = Math.max(0.1 * median(values), 1e-9);
    const z = (i: number) => Math.log(Math.max(0, y[i]) + offset) - logShape(t0 + i * stepMs);
    const window = Math.max(3, hour);
    const recent = obs.slice(-window);
    level = median(recent.map(z));
    // the twin's own errors of this forecast (level from the window before each origin), on
    // about 300 origins at most: log errors for the band, absolute ones for the blend's weight
    const errs: number[] = [];
    let absSum = 0;
    let absCount = 0;
    const every = Math.max(1, Math.floor((obs.length - window) / 300));
    for (let k = obs.length - 1; k >= window; k -= every) {
      const lv = median(obs.slice(k - window, k).map(z));
      origins++;
      for (let j = k; j < obs.length && obs[j] - obs[k - 1] <= hour; j++) {
        const t = obs[j];
        errs.push(z(t) - lv);
        absSum += Math.abs(y[t] - (Math.exp(lv + logShape(t0 + t * stepMs)) - offset));
        absCount++;
      }
    }
    if (absCount > 0) backtestMAE = absSum / absCount;
    const own = errs.length >= 10 ? robustSigma(errs) : Number.NaN;
    const K = o.noisePseudoCount;
    sigma2 = Number.isFinite(own)
      ? (K * prior.noise ** 2 + errs.length * own ** 2) / (K + errs.length)
      : prior.noise ** 2;
    levelVar = sigma2 / recent.length;
  }
  const nonNegative = obs.every((i) => y[i] >= 0);
  const p10 = new Float64Array(horizon);
  const p50 = new Float64Array(horizon);
  const p90 = new Float64Array(horizon);
  for (let h = 0; h < horizon; h++) {
    const t = origin + h * stepMs;
    const mid = level + logShape(t);
    const ahead = ((h + 1) * stepMs) / HOUR_MS;
    const s = Math.sqrt(sigma2 + levelVar + prior.drift ** 2 * ahead + mismatch ** 2);
    p50[h] = Math.exp(mid) - offset;
    p10[h] = Math.exp(mid - Z80 * s) - offset;
    p90[h] = Math.exp(mid + Z80 * s) - offset;
    if (nonNegative) {
      p10[h] = Math.max(0, p10[h]);
      p50[h] = Math.max(0, p50[h]);
    }
  }
  return {
    p10,
    p50,
    p90,
    model: 'prior',
    ...(backtestMAE !== undefined ? { backtestMAE, backtestOrigins: origins } : {}),
  };
}

/** Quantile by quantile: w × prior + (1 − w) × own. */
export function blendForecasts(own: QuantileForecast, prior: QuantileForecast, w: number): QuantileForecast {
  const mix = (a: Float64Array, b: Float64Array) => a.map((v, h) => (1 - w) * v + w * b[h]);
  return {
    p10: mix(own.p10, prior.p10),
    p50: mix(own.p50, prior.p50),
    p90: mix(own.p90, prior.p90),
    model: `${own.model} + family prior ${Math.round(100 * w)} %`,
  };
}

/**
 * The twin forecast of a young twin with its family's prior: the own model's forecast (none
 * without own data) blended with the prior's by priorWeight. With fadeHours of history or more,
 * exactly the own model's forecast.
 */
export function forecastWithPrior(
  input: ForecastInput,
  prior: LoadPrior | undefined,
  own: (input: ForecastInput) => QuantileForecast = forecastTwin,
  o: PriorOptions = PRIOR_DEFAULTS,
): QuantileForecast {
  const hours = ownHours(input);
  if (!prior || priorWeight(hours, o) <= 0) return own(input);
  const fromPrior = priorForecast(prior, input, o);
  if (hours === 0) return { ...fromPrior, model: 'family prior (no own data yet)' };
  const mine = own(input);
  return blendForecasts(mine, fromPrior, blendWeight(hours, mine, fromPrior, o));
}

/** Centred moving mean of width w, NaN where fewer than `need` values are observed. */
function centredMean(v: Float64Array, w: number, need: number): Float64Array {
  const out = new Float64Array(v.length).fill(Number.NaN);
  const half = Math.floor(w / 2);
  for (let i = 0; i < v.length; i++) {
    let s = 0;
    let c = 0;
    for (let j = i - half; j < i - half + w; j++) {
      if (j < 0 || j >= v.length || !Number.isFinite(v[j])) continue;
      s += v[j];
      c++;
    }
    if (c >= need) out[i] = s / c;
  }
  return out;
}

/**
 * For each day, the mean of a whole week of day means around it (centred where the data allow,
 * shifted to fit inside them at the ends: a week holds each weekday once, so no day is
 * over-represented); NaN with fewer than 7 days or 6 observed in the week.
 */
function weekMean(dm: Float64Array): Float64Array {
  const out = new Float64Array(dm.length).fill(Number.NaN);
  const last = lastFinite(dm);
  const first = dm.findIndex((v) => Number.isFinite(v));
  if (first < 0 || last - first + 1 < 7) return out;
  for (let d = first; d <= last; d++) {
    const start = clamp(d - 3, first, last - 6);
    let s = 0;
    let c = 0;
    for (let k = start; k < start + 7; k++) {
      if (!Number.isFinite(dm[k])) continue;
      s += dm[k];
      c++;
    }
    if (c >= 6) out[d] = s / c;
  }
  return out;
}

function lastFinite(v: Float64Array): number {
  for (let i = v.length - 1; i >= 0; i--) if (Number.isFinite(v[i])) return i;
  return -1;
}

/** Median of v by key (missing keys: 1), with how many values each key had. */
function profileBy(
  v: ArrayLike<number>,
  key: (i: number) => number,
  size: number,
): { values: Float64Array; counts: Int32Array } {
  const buckets: number[][] = Array.from({ length: size }, () => []);
  for (let i = 0; i < v.length; i++) if (Number.isFinite(v[i])) buckets[key(i)].push(v[i]);
  return {
    values: Float64Array.from(buckets, (b) => (b.length ? median(b) : 1)),
    counts: Int32Array.from(buckets, (b) => b.length),
  };
}

const shrink = (count: number, k: number) => count / (count + k);

function normalise(v: Float64Array): void {
  let s = 0;
  for (const x of v) s += x;
  const m = s / v.length;
  if (m > 0) for (let i = 0; i < v.length; i++) v[i] /= m;
}

const round6 = (v: number) => Number(v.toPrecision(6));

/**
 * The member's own errors of the shape-scaled forecast (level from the hour before each hourly
 * origin), on log(value + offset): σ up to an hour ahead (noise) and its growth per hour to six
 * hours ahead (drift).
 */
function shapeErrors(
  y: Float64Array,
  t0: number,
  stepMs: number,
  shape: Float64Array,
  offset: number,
): { noise: number; drift: number } {
  const hour = slotsPerHour(stepMs);
  const window = Math.max(3, hour);
  const z = (i: number) =>
    Number.isFinite(y[i])
      ? Math.log(Math.max(0, y[i]) + offset) - Math.log(shapeAt(shape, t0 + i * stepMs))
      : Number.NaN;
  const near: number[] = [];
  const far: number[] = [];
  for (let o = window; o + 6 * hour < y.length; o += hour) {
    const lv = median(Array.from({ length: window }, (_, k) => z(o - window + k)));
    if (!Number.isFinite(lv)) continue;
    for (let h = 0; h < hour; h++) near.push(z(o + h) - lv);
    far.push(z(o + 6 * hour - 1) - lv);
  }
  const noise = near.length >= 10 ? robustSigma(near) : 0.2;
  const sFar = far.length >= 10 ? robustSigma(far) : noise;
  const drift = Math.sqrt(Math.max(0, sFar ** 2 - noise ** 2) / 5.5);
  return { noise: clamp(noise, 0.01, 3), drift: clamp(drift, 0, 3) };
}
