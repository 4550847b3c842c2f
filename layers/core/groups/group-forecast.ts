import { forecastTwin } from '../forecast/twin/index.js';
import { slotPeaks } from '../policy/upstream-outlook.js';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../series/grid.js';
import type { Sample } from '../series/read-trace.js';
import { median, normalQuantile } from '../stats.js';

/**
 * A tenant group's demand to come: its members' day-ahead forecasts summed with the dependence
 * between them, not quantile by quantile.
 *
 * Units: each member's demand is divided by its capacity per instance, so the group's demand is in
 * reference instances at 100 % utilization (the instance type its capacity model was measured on,
 * the catalog's `referenceType`). Services with different load units (requests, messages) then
 * add up, and a capacity plan covers the sum with instance types measured against that reference.
 *
 * Method (Gaussian combination): the group's p50 is the sum of the members' p50s; each half of
 * the band is a σ read from the member's own band, σᵢ = (p90 − p50) / z₀.₉ above and
 * (p50 − p10) / z₀.₉ below (the halves apart, so a skewed band keeps its skew), and the group's
 * σ² = Σᵢ Σⱼ ρᵢⱼ σᵢ σⱼ. ρ is the correlation of the members' residuals around their own daily
 * profile (5-minute peaks, the last `correlationDays`): a day ahead, the twin forecaster's
 * forecast is close to that seasonal base, so those residuals are what its errors are made of.
 * With ρ = 1 everywhere the group's p90 is exactly the sum of the members' p90s (the sum of
 * quantiles is the perfectly correlated case); independent members give √Σσᵢ² < Σσᵢ.
 *
 * Why not the empirical residual sum (sum the members' residual vectors time-aligned, take the
 * sum's quantiles): it needs as many aligned days as there are quantiles to estimate in the
 * tails, per horizon, and would replace the forecaster's own calibrated band (split conformal,
 * widened by horizon and drift) rather than combine it. The Gaussian combination keeps each
 * member's band and only needs the correlation, which a week of 5-minute slots estimates well.
 * Too little shared history (under a day of slots where every member was observed) assumes
 * ρ = 1: the sum of quantiles, which never provisions less than the members would alone.
 */

/** The planning slot: the live planner's (policy/live-plan.ts), peaks of per-minute demand. */
export const GROUP_SLOT_MS = 5 * MINUTE_MS;
/** History each member's forecaster learns from (the live planner's). */
export const FORECAST_HISTORY_DAYS = 14;
/** History the residual correlation is estimated from. */
export const CORRELATION_DAYS = 7;
const MIN_SHARED_SLOTS = DAY_MS / GROUP_SLOT_MS;
const Z90 = normalQuantile(0.9);

export interface MemberLoad {
  twinId: string;
  /** Demand per minute (a Sum spread over its period), time-ordered, up to now. */
  perMinute: readonly Sample[];
  /** Demand one reference instance serves per minute at 100 % utilization. */
  capacityPerInstance: number;
}

/** One member's forecast, in reference instances, per GROUP_SLOT_MS slot from `t0`. */
export interface MemberForecast {
  twinId: string;
  t0: number;
  p10: Float64Array;
  p50: Float64Array;
  p90: Float64Array;
  model: string;
  /** Residual around its daily profile at each slot of the correlation window (NaN: unobserved). */
  residuals: Float64Array;
  capacityPerInstance: number;
}

export interface ResidualCorrelation {
  /** `estimated` from `points` slots where every member was observed; `assumed-perfect` without enough. */
  method: 'estimated' | 'assumed-perfect';
  points: number;
  twins: string[];
  matrix: number[][];
}

export interface GroupForecast {
  t0: number;
  stepMs: number;
  unit: 'reference-instances';
  p10: Float64Array;
  p50: Float64Array;
  p90: Float64Array;
  /** The band's σ above and below p50 (for quantiles other than p10 and p90). */
  sigmaUp: Float64Array;
  sigmaDown: Float64Array;
  /** The naive band: members' p10s and p90s summed. */
  sumOfQuantiles: { p10: Float64Array; p90: Float64Array };
  correlation: ResidualCorrelation;
  members: MemberForecast[];
}

/**
 * A member's forecast from `now` over `horizonMs` (the twin forecaster at a day-ahead horizon: it
 * picks its base and band per horizon block, up to 24 h), and its residuals for the correlation.
 */
export function forecastMember(m: MemberLoad, now: number, horizonMs: number): MemberForecast {
  const origin = Math.floor(now / GROUP_SLOT_MS) * GROUP_SLOT_MS;
  const t0 = origin - FORECAST_HISTORY_DAYS * DAY_MS;
  const slots = (origin - t0) / GROUP_SLOT_MS;
  const peaks = slotPeaks(
    m.perMinute.filter((s) => s.t < now),
    t0,
    slots,
    GROUP_SLOT_MS,
  ).map((v) => v / m.capacityPerInstance);
  if (!peaks.some((v) => !Number.isNaN(v)))
    throw new GroupInputError(
      `twin "${m.twinId}" has no load samples in the last ${FORECAST_HISTORY_DAYS} days: the collector must run first`,
    );
  const horizon = Math.ceil(horizonMs / GROUP_SLOT_MS);
  const f = forecastTwin({ history: peaks, t0, stepMs: GROUP_SLOT_MS, horizon });
  return {
    twinId: m.twinId,
    t0: origin,
    p10: f.p10,
    p50: f.p50,
    p90: f.p90,
    model: f.model,
    residuals: dailyResiduals(peaks.subarray(slots - (CORRELATION_DAYS * DAY_MS) / GROUP_SLOT_MS)),
    capacityPerInstance: m.capacityPerInstance,
  };
}

/** Each slot minus the median of the same slot of day across the window (NaN stays NaN). */
export function dailyResiduals(y: Float64Array): Float64Array {
  const perDay = DAY_MS / GROUP_SLOT_MS;
  const out = new Float64Array(y.length).fill(Number.NaN);
  for (let s = 0; s < perDay; s++) {
    const same: number[] = [];
    for (let i = s; i < y.length; i += perDay) if (!Number.isNaN(y[i])) same.push(y[i]);
    if (same.length < 2) continue;
    const profile = median(same);
    for (let i = s; i < y.length; i += perDay) if (!Number.isNaN(y[i])) out[i] = y[i] - profile;
  }
  return out;
}

/**
 * Pearson correlations of the members' residuals over the slots where all were observed (listwise:
 * the matrix is then a proper correlation matrix, so the group's variance is never negative).
 */
export function residualCorrelation(
  members: readonly Pick<MemberForecast, 'twinId' | 'residuals'>[],
  minPoints = MIN_SHARED_SLOTS,
): ResidualCorrelation {
  const n = members.length;
  const twins = members.map((m) => m.twinId);
  const len = Math.min(...members.map((m) => m.residuals.length));
  const rows: number[] = [];
  for (let i = 0; i < len; i++) if (members.every((m) => Number.isFinite(m.residuals[i]))) rows.push(i);
  const identity = (v: number) =>
    Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : v)));
  if (n < 2 || rows.length < minPoints)
    return {
      method: n < 2 ? 'estimated' : 'assumed-perfect',
      points: rows.length,
      twins,
      matrix: identity(1),
    };
  const centred = members.map((m) => {
    const xs = rows.map((i) => m.residuals[i]);
    const mu = xs.reduce((a, b) => a + b, 0) / xs.length;
    return xs.map((x) => x - mu);
  });
  const norm = centred.map((xs) => Math.sqrt(xs.reduce((a, x) => a + x * x, 0)));
  const matrix = identity(0);
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      let dot = 0;
      for (let k = 0; k < rows.length; k++) dot += centred[i][k] * centred[j][k];
      // a member whose residuals never move carries no band to correlate: 0
      const r = norm[i] > 0 && norm[j] > 0 ? dot / (norm[i] * norm[j]) : 0;
      matrix[i][j] = matrix[j][i] = Math.max(-1, Math.min(1, r));
    }
  return { method: 'estimated', points: rows.length, twins, matrix };
}

/** The members' forecasts combined (they must share t0 and length). */
export function combineForecasts(
  members: readonly MemberForecast[],
  correlation: ResidualCorrelation,
): Omit<GroupForecast, 'members'> {
  if (members.length === 0)
    throw new GroupInputError('a group forecast needs at least one member with a forecast');
  const len = Math.min(...members.map((m) => m.p50.length));
  const rho = correlation.matrix;
  const p50 = new Float64Array(len);
  const sigmaUp = new Float64Array(len);
  const sigmaDown = new Float64Array(len);
  const naive10 = new Float64Array(len);
  const naive90 = new Float64Array(len);
  const up = new Float64Array(members.length);
  const down = new Float64Array(members.length);
  for (let h = 0; h < len; h++) {
    members.forEach((m, i) => {
      p50[h] += m.p50[h];
      naive10[h] += m.p10[h];
      naive90[h] += m.p90[h];
      up[i] = Math.max(0, m.p90[h] - m.p50[h]) / Z90;
      down[i] = Math.max(0, m.p50[h] - m.p10[h]) / Z90;
    });
    sigmaUp[h] = Math.sqrt(quadratic(up, rho));
    sigmaDown[h] = Math.sqrt(quadratic(down, rho));
  }
  return {
    t0: members[0].t0,
    stepMs: GROUP_SLOT_MS,
    unit: 'reference-instances',
    p10: p50.map((v, h) => Math.max(0, v - Z90 * sigmaDown[h])),
    p50,
    p90: p50.map((v, h) => v + Z90 * sigmaUp[h]),
    sigmaUp,
    sigmaDown,
    sumOfQuantiles: { p10: naive10, p90: naive90 },
    correlation,
  };
}

/** σᵀ ρ σ, never below 0 (float noise). */
function quadratic(s: Float64Array, rho: number[][]): number {
  let v = 0;
  for (let i = 0; i < s.length; i++) for (let j = 0; j < s.length; j++) v += rho[i][j] * s[i] * s[j];
  return Math.max(0, v);
}

/** The group's demand at quantile q in slot h (q = 0.1, 0.5, 0.9 give p10, p50, p90). */
export function groupQuantile(g: Pick<GroupForecast, 'p50' | 'sigmaUp' | 'sigmaDown'>, h: number, q: number) {
  const z = normalQuantile(q);
  return Math.max(0, g.p50[h] + z * (z >= 0 ? g.sigmaUp[h] : g.sigmaDown[h]));
}

/** The members' day-ahead forecasts from `now` over `horizonMs`, and the group's. */
export function forecastGroup(members: readonly MemberLoad[], now: number, horizonMs: number): GroupForecast {
  const forecasts = members.map((m) => forecastMember(m, now, horizonMs));
  const combined = combineForecasts(forecasts, residualCorrelation(forecasts));
  return { ...combined, members: forecasts };
}

/** An hour of the group forecast: the peak slot of each quantile within it. */
export interface HourlyDemand {
  /** The hour's start (ISO 8601). */
  hour: string;
  p10: number;
  p50: number;
  p90: number;
  /** The peak at the quantile asked for. */
  quantile: number;
  /** The naive band's p90 (the members' p90s summed), for comparison. */
  sumOfP90: number;
}

/** The forecast's `hours` hours from `firstHour` (ms, on the hour), each summarized by its peaks. */
export function hourlyDemand(g: GroupForecast, firstHour: number, hours: number, q: number): HourlyDemand[] {
  const per = HOUR_MS / g.stepMs;
  return Array.from({ length: hours }, (_, i) => {
    const from = Math.round((firstHour + i * HOUR_MS - g.t0) / g.stepMs);
    const peak = { p10: 0, p50: 0, p90: 0, quantile: 0, sumOfP90: 0 };
    for (let h = Math.max(0, from); h < Math.min(g.p50.length, from + per); h++) {
      peak.p10 = Math.max(peak.p10, g.p10[h]);
      peak.p50 = Math.max(peak.p50, g.p50[h]);
      peak.p90 = Math.max(peak.p90, g.p90[h]);
      peak.quantile = Math.max(peak.quantile, groupQuantile(g, h, q));
      peak.sumOfP90 = Math.max(peak.sumOfP90, g.sumOfQuantiles.p90[h]);
    }
    return { hour: new Date(firstHour + i * HOUR_MS).toISOString(), ...peak };
  });
}

/** A group that cannot be forecast or planned: the message says what is missing. */
export class GroupInputError extends Error {
  override readonly name = 'GroupInputError';
}
