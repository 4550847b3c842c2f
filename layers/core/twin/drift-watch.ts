import { normalQuantile } from '../stats.js';
import { CusumDetector, cusumOptionsFor, type DriftFlag, HOLDOFF_MS } from './drift-detector.js';
import type { Calibration, DriftEpisode } from './twin.js';

/**
 * The live side of drift detection, run by the forecast-and-plan loop for each twin every cycle.
 *
 * Stateless per cycle over a bounded window: the twin's last `DRIFT_WINDOW_RECORDS` forecast
 * records (one per cycle, already written by the loop) are paired with what happened, the
 * observed peak of each record's first slot (from the load samples the cycle read anyway). The
 * residual is standardized by the forecast's own band, σ = (p90 − p10) / 2·z₀.₉, so a calibrated
 * twin gives unit-variance residuals and the threshold adapts to the series with the band. The
 * same CUSUM as the benchmark's (k = 0.5, h for one false alarm per 14 days of 5-minute slots)
 * reads them; no state is kept between cycles, so a twin that is not drifting costs one query
 * of its recent forecast records and no write.
 */

/** Three hours of 5-minute cycles: long enough for a 1-σ shift to cross h, one query page. */
export const DRIFT_WINDOW_RECORDS = 36;
/** While recalibrating, the forecast band's half-widths are this much wider. */
export const DRIFT_BAND_SCALE = 1.5;
/** How long a flagged twin plans with the wider band before it may settle: the detector's hold-off. */
export const DRIFT_WIDEN_MS = HOLDOFF_MS;

const Z90 = normalQuantile(0.9);

/** What one stored forecast said of its first slot (records.ts `forecast`, points[0]). */
export interface PredictedSlot {
  t: number;
  p10: number;
  p50: number;
  p90: number;
}

/** A drift alert, as published on the alerts port (EventBridge in AWS). */
export interface DriftAlert {
  twinId: string;
  metric: string;
  status: 'drifting' | 'recalibrated';
  direction?: 'up' | 'down';
  score?: number;
  at: string;
  message: string;
}

/** The EventBridge event a drift alert is sent as (the infra's rule matches these to the alarm topic). */
export const DRIFT_EVENT = { source: 'twinscale', detailType: 'Twinscale drift' } as const;

/** Where drift alerts go: EventBridge (routed to the alarm topic) in AWS, the log locally. */
export interface AlertPublisher {
  publish(alert: DriftAlert): Promise<void>;
}

export interface ResidualWindow {
  residuals: number[];
  sigmas: number[];
  times: number[];
}

/**
 * Pairs each predicted slot with the observed peak of per-minute demand in [t, t + slotMs);
 * slots not yet over (t + slotMs > now) or with no sample are left out. `predicted` in any order.
 */
export function residualsOf(
  predicted: readonly PredictedSlot[],
  demand: readonly { t: number; v: number }[],
  slotMs: number,
  now: number,
): ResidualWindow {
  const slots = [...new Map(predicted.map((p) => [p.t, p])).values()]
    .filter((p) => p.t + slotMs <= now)
    .sort((a, b) => a.t - b.t);
  const out: ResidualWindow = { residuals: [], sigmas: [], times: [] };
  for (const p of slots) {
    let peak = Number.NEGATIVE_INFINITY;
    for (const s of demand) if (s.t >= p.t && s.t < p.t + slotMs && s.v > peak) peak = s.v;
    if (!Number.isFinite(peak)) continue;
    // a zero-width band (a flat history) still needs a scale: 1 % of the level, or 1
    const floor = Math.max(1e-9, 0.01 * Math.abs(p.p50)) || 1;
    out.residuals.push(peak - p.p50);
    out.sigmas.push(Math.max(floor, (p.p90 - p.p10) / (2 * Z90)));
    out.times.push(p.t);
  }
  return out;
}

/** The last flag of the CUSUM over the window, if any, with the time of its slot. */
export function latestDrift(w: ResidualWindow, slotMs: number): (DriftFlag & { t: number }) | undefined {
  const d = new CusumDetector({ ...cusumOptionsFor(slotMs), warmup: 0, holdoff: 0 });
  let last: DriftFlag | undefined;
  for (let i = 0; i < w.residuals.length; i++) last = d.push(i, w.residuals[i], w.sigmas[i]) ?? last;
  return last && { ...last, t: w.times[last.index] };
}

export type DriftStep =
  | { kind: 'none' }
  | { kind: 'flag'; flag: DriftFlag & { t: number }; calibration: Calibration }
  | { kind: 'settled' };

/** A metric's step among the twin's open episodes: settling leaves the others' in `calibration`. */
export type EpisodeStep =
  | { kind: 'none' }
  | { kind: 'flag'; flag: DriftFlag & { t: number }; calibration: Calibration }
  | { kind: 'settled'; calibration: Calibration | null };

/** The open drift episodes a calibration holds, one per metric (a calibration without a list holds one). */
export function episodesOf(c: Calibration | null | undefined): DriftEpisode[] {
  if (!c) return [];
  return (
    c.episodes ?? [{ since: c.since, widenUntil: c.widenUntil, metric: c.metric, direction: c.direction }]
  );
}

/**
 * The calibration holding these episodes, or null for none: the widening lasts until the latest
 * `widenUntil` of them; the top-level episode is the last one (the latest flagged). One episode is
 * stored as before the list existed.
 */
export function calibrationOf(
  episodes: readonly DriftEpisode[],
  bandScale = DRIFT_BAND_SCALE,
): Calibration | null {
  const latest = episodes.at(-1);
  if (!latest) return null;
  const widenUntil = episodes.reduce(
    (a, e) => (Date.parse(e.widenUntil) > Date.parse(a) ? e.widenUntil : a),
    latest.widenUntil,
  );
  return {
    since: latest.since,
    widenUntil,
    metric: latest.metric,
    direction: latest.direction,
    bandScale,
    ...(episodes.length > 1 ? { episodes: episodes.map((e) => ({ ...e })) } : {}),
  };
}

/** `c` with `episode` open for its metric (replacing that metric's earlier one), the others kept. */
export const withEpisode = (c: Calibration | null | undefined, episode: DriftEpisode): Calibration =>
  calibrationOf([...episodesOf(c).filter((e) => e.metric !== episode.metric), episode]) as Calibration;

/** `c` without `metric`'s episode: the others' widening stays; null when none is left. */
export const withoutEpisode = (c: Calibration | null | undefined, metric: string): Calibration | null =>
  calibrationOf(
    episodesOf(c).filter((e) => e.metric !== metric),
    c?.bandScale,
  );

/**
 * What `metric`'s watch does this cycle, on its own episode among the twin's open ones: flag a new
 * drift (none of its own open), settle its episode once that one's widening is over and the
 * window no longer flags, or nothing (also while widened: one episode, one alert). Another
 * metric's episode is never touched: a flag merges into the calibration, a settling removes only
 * this metric's.
 */
export function episodeStep(
  w: ResidualWindow,
  calibration: Calibration | null | undefined,
  metric: string,
  slotMs: number,
  now: number,
  /** The detector over the window: the CUSUM, or (the benchmark's reference) another rule. */
  detect: (w: ResidualWindow, slotMs: number) => (DriftFlag & { t: number }) | undefined = latestDrift,
): EpisodeStep {
  const own = episodesOf(calibration).find((e) => e.metric === metric);
  if (own && Date.parse(own.widenUntil) > now) return { kind: 'none' };
  const flag = detect(w, slotMs);
  // after the widening, a flag on residuals newer than the last one is a new episode
  if (flag && (!own || flag.t > Date.parse(own.since))) {
    return {
      kind: 'flag',
      flag,
      calibration: withEpisode(calibration, {
        since: new Date(flag.t).toISOString(),
        widenUntil: new Date(now + DRIFT_WIDEN_MS).toISOString(),
        metric,
        direction: flag.direction,
      }),
    };
  }
  return own && !flag
    ? { kind: 'settled', calibration: withoutEpisode(calibration, metric) }
    : { kind: 'none' };
}

/**
 * The step for a caller that clears the whole calibration when it settles (the load watch in
 * plan-batch.ts): as `episodeStep`, except that its settling waits while another metric's episode
 * is still open. The band stays widened for that one anyway, so "the widening is lifted" would not
 * be true yet; the other watch leaves this episode in place when it settles, and this one settles
 * the cycle after.
 */
export function driftStep(
  w: ResidualWindow,
  calibration: Calibration | null | undefined,
  metric: string,
  slotMs: number,
  now: number,
): DriftStep {
  const step = episodeStep(w, calibration, metric, slotMs, now);
  if (step.kind !== 'settled') return step;
  return step.calibration ? { kind: 'none' } : { kind: 'settled' };
}
