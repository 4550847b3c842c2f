import { type DiscoveredEdge, discoverEdge } from '../graph/discover.js';
import { type Propagated, propagate, type UpstreamForecast } from '../graph/propagate.js';
import { DAY_MS, MINUTE_MS } from '../series/grid.js';
import type { Sample } from '../series/read-trace.js';
import type { RecordOf } from '../store/records.js';
import type { DeclaredEdge, MetricQuery, UpstreamEdge } from '../twin/twin.js';

/**
 * The live planner's side of forecast propagation along the dependency graph: a downstream
 * twin's own forecast combined with its upstreams' (graph/propagate.ts), from what the loop read
 * for it (layers/core/loop/plan-batch.ts). Pure: the loop reads, this computes.
 */

type ForecastRecord = RecordOf<'forecast'>;

/** Largest lag estimated when an edge has none (as GET /graph does). */
export const MAX_ESTIMATED_LAG_MINUTES = 30;
/**
 * History the propagation reads on the planner's slot grid: the day its edge fit is judged over,
 * the hour its level is taken from, and the longest lag an edge may have (2 hours).
 */
export const PROPAGATION_HISTORY_MS = DAY_MS + 3 * 60 * MINUTE_MS;
/** Forecast records read per twin for its recent error: an hour of 5-minute cycles. */
export const ERROR_WINDOW_RECORDS = 12;
/** Upstreams read per cycle at most, the strongest first: each costs a few reads. */
export const MAX_PLANNED_UPSTREAMS = 8;
/** An upstream forecast older than this many cycles is stale: the upstream is skipped. */
export const MAX_FORECAST_AGE_CYCLES = 2;

// a normal's mean absolute deviation is σ√(2/π); its p90 − p10 is 2 × 1.2816 σ
const BAND_TO_MAE = Math.sqrt(2 / Math.PI) / (2 * 1.2816);

/** One upstream as the loop read it this cycle. */
export interface UpstreamLoad {
  id: string;
  /** Its load metric: how its samples turn into demand per minute. */
  metric: MetricQuery;
  /** Its load samples over at least PROPAGATION_HISTORY_MS before now. */
  load: readonly Sample[];
  /**
   * Its newest forecast records, newest first: the newest is combined (skipped when older than
   * MAX_FORECAST_AGE_CYCLES cycles, or of another metric), all are paired with its load for its
   * recent error.
   */
  forecasts: readonly ForecastRecord[];
  edge: Pick<UpstreamEdge, 'ratio' | 'lagMinutes' | 'confidence' | 'source'>;
  /** The upstream's call of this twin, as it declares it (a declared lag stays, whatever the data say). */
  declared: DeclaredEdge;
}

/** What the loop read for a twin with upstreams. */
export interface UpstreamsInput {
  /** The twin's own newest forecast records (its recent error), newest first. */
  ownForecasts: readonly ForecastRecord[];
  upstreams: readonly UpstreamLoad[];
}

/** The own forecast on the planner's grid, as live-plan.ts makes it. */
export interface GridForecast {
  t0: number;
  stepMs: number;
  p10: number[];
  p50: number[];
  p90: number[];
  model: string;
}

/** Each slot's busiest minute of demand over `slots` slots from `t0` (NaN: no sample). */
export function slotPeaks(
  perMinute: readonly Sample[],
  t0: number,
  slots: number,
  slotMs: number,
): Float64Array {
  const peaks = new Float64Array(slots).fill(Number.NaN);
  const end = t0 + slots * slotMs;
  for (const s of perMinute) {
    if (s.t < t0 || s.t >= end || !Number.isFinite(s.v)) continue;
    const i = Math.floor((s.t - t0) / slotMs);
    if (!(s.v <= peaks[i])) peaks[i] = s.v;
  }
  return peaks;
}

/** Demand per minute: a Sum over a longer period is spread over its minutes (as live-plan.ts reads load). */
export function perMinuteDemand(
  samples: readonly Sample[],
  q: Pick<MetricQuery, 'stat' | 'periodSeconds'>,
): Sample[] {
  const scale = q.stat === 'Sum' ? 60 / q.periodSeconds : 1;
  return samples.filter((s) => Number.isFinite(s.v)).map((s) => ({ t: s.t, v: s.v * scale }));
}

/**
 * Mean absolute error of the records' p50 against the observed slot peaks, over every point whose
 * slot is on the grid (all of it is before the origin, so over); undefined when none is.
 */
export function recentMAE(
  records: readonly ForecastRecord[],
  peaks: Float64Array,
  grid: { t0: number; slotMs: number },
  metric?: string,
): number | undefined {
  const { t0, slotMs } = grid;
  let sum = 0;
  let n = 0;
  for (const r of records) {
    if (metric !== undefined && r.metric !== metric) continue;
    for (const pt of r.points) {
      const i = Math.floor((pt.t - t0) / slotMs);
      if (i < 0 || i >= peaks.length || !Number.isFinite(peaks[i]) || !Number.isFinite(pt.p50)) continue;
      sum += Math.abs(peaks[i] - pt.p50);
      n++;
    }
  }
  return n ? sum / n : undefined;
}

/** The error a forecast claims for itself, read off its band (for a twin with no matured record yet). */
const bandMAE = (p10: ArrayLike<number>, p90: ArrayLike<number>): number => {
  let s = 0;
  for (let h = 0; h < p10.length; h++) s += p90[h] - p10[h];
  return p10.length ? (BAND_TO_MAE * s) / p10.length : 0;
};

/**
 * The record's points on the horizon from `origin`: a record made a cycle earlier starts a slot
 * before and ends a slot short, so its last point is held. Undefined if it covers no step.
 */
function alignedTo(r: ForecastRecord, origin: number, horizon: number, slotMs: number) {
  const at = new Map(r.points.map((p) => [p.t, p]));
  const sorted = [...r.points].sort((a, b) => a.t - b.t);
  const out = {
    p10: new Float64Array(horizon),
    p50: new Float64Array(horizon),
    p90: new Float64Array(horizon),
  };
  let found = 0;
  for (let h = 0; h < horizon; h++) {
    const t = origin + h * slotMs;
    const p = at.get(t) ?? sorted.filter((x) => x.t <= t).at(-1);
    if (!p) return undefined;
    if (at.has(t)) found++;
    out.p10[h] = p.p10;
    out.p50[h] = p.p50;
    out.p90[h] = p.p90;
  }
  return found ? { ...out, model: r.model } : undefined;
}

export interface UpstreamOutlook {
  forecast: GridForecast;
  /** Rounded to three digits, as stored on the forecast record. */
  weights: Propagated['weights'];
  /**
   * Each estimated edge's estimate from the day just read (undefined: too few samples to tell),
   * for the loop to store once the stored one is a day old (graph/sync-upstreams.ts).
   */
  estimates: { id: string; seen: DiscoveredEdge | undefined }[];
}

/**
 * The own forecast combined with the upstreams': each upstream's history on the grid that ends at
 * the own forecast's origin, its newest forecast aligned to that origin, the edge's ratio and lag
 * (an estimated edge's, or what a stored edge lacks, estimated again from the two histories: the
 * traffic mix between two services drifts, and the day is in hand), and each one's recent error
 * (its records against its observed slot peaks; the band's claim when none has matured). An
 * upstream with no fresh forecast, no estimate, or no load is left out with weight 0; when none is
 * left the own forecast stands (own weight 1).
 */
export function withUpstreams(
  own: GridForecast,
  /** The twin's own slot peaks on the grid ending at `own.t0` (the forecaster's history), at least PROPAGATION_HISTORY_MS of it. */
  ownPeaks: Float64Array,
  input: UpstreamsInput,
  o: { now: number; scheduleMinutes: number; ownMetric: string },
): UpstreamOutlook {
  const { t0: origin, stepMs: slotMs } = own;
  const slots = Math.min(ownPeaks.length, Math.round(PROPAGATION_HISTORY_MS / slotMs));
  const t0 = origin - slots * slotMs;
  const grid = { t0, slotMs };
  const history = ownPeaks.subarray(ownPeaks.length - slots);
  const horizon = own.p50.length;
  const freshFrom = o.now - MAX_FORECAST_AGE_CYCLES * o.scheduleMinutes * MINUTE_MS;
  const parts: UpstreamForecast[] = [];
  const estimates: UpstreamOutlook['estimates'] = [];
  for (const u of input.upstreams) {
    const upHistory = slotPeaks(perMinuteDemand(u.load, u.metric), t0, slots, slotMs);
    const estimated = u.edge.source === 'estimated';
    let { ratio, lagMinutes, confidence } = u.edge;
    if (estimated || ratio === null || lagMinutes === null) {
      const seen = discoverEdge(upHistory, history, {
        stepMs: slotMs,
        maxLagMinutes: MAX_ESTIMATED_LAG_MINUTES,
      });
      if (estimated) estimates.push({ id: u.id, seen });
      // a declared ratio stays; an estimated one follows the data when they tell
      if ((estimated || ratio === null) && seen && seen.ratio > 0) {
        ratio = seen.ratio;
        confidence = seen.confidence;
      }
      if (estimated || lagMinutes === null)
        lagMinutes = u.declared.lagMinutes ?? seen?.lagMinutes ?? lagMinutes ?? 0;
    }
    if (ratio === null) continue;
    const latest = u.forecasts[0];
    if (!latest || latest.metric !== u.metric.key || !(Date.parse(latest.at) >= freshFrom)) continue;
    const forecast = alignedTo(latest, origin, horizon, slotMs);
    if (!forecast) continue;
    const mae = recentMAE(u.forecasts, upHistory, grid, u.metric.key) ?? bandMAE(forecast.p10, forecast.p90);
    parts.push({
      id: u.id,
      history: upHistory,
      forecast,
      forecastMAE: mae,
      edge: { ratio, lagMinutes, confidence },
    });
  }
  const w = (v: number) => Math.round(v * 1000) / 1000;
  // nothing usable: the own model alone, and the record says the upstreams were given nothing
  if (parts.length === 0)
    return {
      forecast: own,
      weights: { own: 1, upstreams: input.upstreams.map((u) => ({ id: u.id, weight: 0 })) },
      estimates,
    };
  const ownMAE = recentMAE(input.ownForecasts, history, grid, o.ownMetric) ?? bandMAE(own.p10, own.p90);
  const out = propagate({
    history,
    stepMs: slotMs,
    own: {
      p10: Float64Array.from(own.p10),
      p50: Float64Array.from(own.p50),
      p90: Float64Array.from(own.p90),
      model: own.model,
    },
    ownMAE,
    upstreams: parts,
  });
  const read = new Map(out.weights.upstreams.map((u) => [u.id, u.weight]));
  return {
    forecast: {
      t0: origin,
      stepMs: slotMs,
      p10: [...out.forecast.p10],
      p50: [...out.forecast.p50],
      p90: [...out.forecast.p90],
      model: out.forecast.model,
    },
    weights: {
      own: w(out.weights.own),
      upstreams: input.upstreams.map((u) => ({ id: u.id, weight: w(read.get(u.id) ?? 0) })),
    },
    estimates,
  };
}
