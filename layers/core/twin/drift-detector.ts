/**
 * Drift detection on the twin's residuals: what it predicted against what happened.
 *
 * `CusumDetector` is a two-sided CUSUM (Page 1954) on standardized residuals z = r / σ̂: it
 * accumulates S⁺ = max(0, S⁺ + z − k) and S⁻ = max(0, S⁻ − z − k) and flags when either passes h,
 * then restarts both sums. σ̂ adapts to the series: an exponentially weighted mean of |r| (× √(π/2),
 * a Gaussian σ) fed with residuals clipped at `clip` σ̂, so one spike cannot inflate it and a
 * drift is not learnt as noise before it is flagged. The first `warmup` residuals only seed σ̂.
 * A caller that knows its own σ (a forecast's band) passes it with each residual instead.
 *
 * `ThreeSigmaDetector` is the benchmark's reference: the residual of the seasonal-naive forecast
 * (the value a day earlier, or the last observed before it) flags whenever it is more than three
 * standard deviations of that residual over the previous week.
 *
 * Both are pure, deterministic and streaming (O(1) per point, O(week) memory for the reference).
 */

/** √(π/2): E|r| of a Gaussian residual times this is its σ. */
const MEAN_ABS_TO_SIGMA = 1.2533141373155003;

export interface CusumOptions {
  /** Allowance k, in σ: half the smallest shift worth flagging (1 σ), as Page's design suggests. */
  allowance: number;
  /** Decision interval h, in σ. */
  threshold: number;
  /** Points before the first flag; they only seed the scale. */
  warmup: number;
  /** Half-life of the scale's EWMA, in points. */
  scaleHalfLife: number;
  /** Residuals beyond this many σ̂ are clipped, in the sums and in the scale update. */
  clip: number;
  /**
   * Points after a flag during which the sums stay at zero while σ̂ keeps learning: the twin is
   * recalibrating (wider bands) and one episode raises one alert.
   */
  holdoff: number;
}

/**
 * Siegmund's approximation of a one-sided CUSUM's in-control average run length (Gaussian,
 * unit σ): ARL₀ ≈ (e^{2kb} − 2kb − 1) / 2k², b = h + 1.166.
 */
export function cusumRunLength(allowance: number, threshold: number): number {
  const x = 2 * allowance * (threshold + 1.166);
  return (Math.exp(x) - x - 1) / (2 * allowance * allowance);
}

/** The smallest h (to 0.01 σ) whose two-sided in-control run length is at least `points`. */
export function thresholdForRunLength(allowance: number, points: number): number {
  let lo = 0;
  let hi = 50;
  for (let i = 0; i < 40; i++) {
    const mid = (lo + hi) / 2;
    // two one-sided sums in parallel: ARL₀ of the pair is about half of one
    if (cusumRunLength(allowance, mid) / 2 >= points) hi = mid;
    else lo = mid;
  }
  return Math.ceil(hi * 100) / 100;
}

const DAY_MS = 86_400_000;
/** After a flag the twin recalibrates this long (live-plan widens its band): no new flag meanwhile. */
export const HOLDOFF_MS = 6 * 3_600_000;

/**
 * The constants, chosen once on principle, not per trace:
 * - k = 0.5 σ: tuned for a one-σ shift in the residual's mean (Page; Montgomery, SPC §9.1);
 * - h from Siegmund's ARL₀ so that a calibrated Gaussian residual would raise one false alarm
 *   per 14 days whatever the step (so h grows a little for 1-minute series); real residuals
 *   are heavier-tailed and autocorrelated, so the realized rate is higher;
 * - warm-up and scale half-life of one day: σ̂ forgets within a day or two, as the daily cycle does;
 * - clip at 4 σ̂: a single spike adds at most 3.5 to a sum (less than h), so it takes a run of
 *   abnormal points, or one spike on top of a drift, to flag;
 * - hold-off of 6 hours after a flag: the live loop's recalibration period (DRIFT_WIDEN_MS), one
 *   alert per episode.
 */
export function cusumOptionsFor(stepMs: number): CusumOptions {
  const perDay = Math.max(1, Math.round(DAY_MS / stepMs));
  const allowance = 0.5;
  return {
    allowance,
    threshold: thresholdForRunLength(allowance, 14 * perDay),
    warmup: perDay,
    scaleHalfLife: perDay,
    clip: 4,
    holdoff: Math.max(1, Math.round(HOLDOFF_MS / stepMs)),
  };
}

export interface DriftFlag {
  /** Index of the point that crossed the threshold. */
  index: number;
  /** `up`: the live values ran above the prediction; `down`: below. */
  direction: 'up' | 'down';
  /** The sum that crossed, over h (at least 1). */
  score: number;
  /**
   * Index of the first point of the run that crossed (the point after the sum was last zero): the
   * CUSUM's estimate of when the change began (Montgomery, SPC §9.1.2).
   */
  onset: number;
}

export class CusumDetector {
  private up = 0;
  private down = 0;
  private upFrom = 0;
  private downFrom = 0;
  private absSum = 0;
  private seen = 0;
  private quietUntil = -1;
  private readonly alpha: number;

  constructor(readonly options: CusumOptions) {
    this.alpha = 1 - 2 ** (-1 / Math.max(1, options.scaleHalfLife));
  }

  /** σ̂ now (NaN before any residual). */
  get scale(): number {
    if (!this.seen) return Number.NaN;
    const meanAbs = this.seen < this.options.warmup ? this.absSum / this.seen : this.absSum;
    return meanAbs * MEAN_ABS_TO_SIGMA;
  }

  /**
   * Feeds residual r of point `index` (NaN: a missing point, skipped); `sigma`, when given, is the
   * caller's own standard deviation for this residual and replaces σ̂. Returns a flag or undefined.
   */
  push(index: number, r: number, sigma?: number): DriftFlag | undefined {
    if (!Number.isFinite(r)) return undefined;
    const o = this.options;
    if (sigma === undefined) {
      if (this.seen < o.warmup) {
        // warm-up: the plain mean of |r| seeds the scale
        this.seen++;
        this.absSum += Math.abs(r);
        if (this.seen === o.warmup) this.absSum /= this.seen;
        return undefined;
      }
      if (this.seen === 0) {
        // no warm-up at all: the first residual seeds the scale
        this.seen = 1;
        this.absSum = Math.abs(r);
        return undefined;
      }
    }
    const s = sigma ?? this.absSum * MEAN_ABS_TO_SIGMA;
    const z = s > 0 ? Math.max(-o.clip, Math.min(o.clip, r / s)) : 0;
    if (sigma === undefined) {
      this.absSum += this.alpha * (Math.min(Math.abs(r), s > 0 ? o.clip * s : Math.abs(r)) - this.absSum);
      this.seen++;
    }
    if (index < this.quietUntil) return undefined;
    if (this.up === 0) this.upFrom = index;
    if (this.down === 0) this.downFrom = index;
    this.up = Math.max(0, this.up + z - o.allowance);
    this.down = Math.max(0, this.down - z - o.allowance);
    if (this.up < o.threshold && this.down < o.threshold) return undefined;
    const flag: DriftFlag =
      this.up >= this.down
        ? { index, direction: 'up', score: this.up / o.threshold, onset: this.upFrom }
        : { index, direction: 'down', score: this.down / o.threshold, onset: this.downFrom };
    this.up = 0;
    this.down = 0;
    this.quietUntil = index + 1 + (o.holdoff ?? 0);
    return flag;
  }
}

/** Runs a fresh detector over a whole residual series; the flags in order. */
export function detectDrift(
  residuals: ArrayLike<number>,
  options: CusumOptions,
  sigmas?: ArrayLike<number>,
): DriftFlag[] {
  const d = new CusumDetector(options);
  const flags: DriftFlag[] = [];
  for (let i = 0; i < residuals.length; i++) {
    const f = d.push(i, residuals[i], sigmas ? sigmas[i] : undefined);
    if (f) flags.push(f);
  }
  return flags;
}

/**
 * The reference: |y − seasonal naive| > 3 σ, σ the standard deviation of the seasonal-naive
 * residuals over the previous `window` points (a week), once a day of them is known.
 */
export class ThreeSigmaDetector {
  private readonly values: number[] = [];
  private readonly ring: Float64Array;
  private head = 0;
  private count = 0;
  private sum = 0;
  private sumSq = 0;

  constructor(
    private readonly period: number,
    window = 7 * period,
    private readonly minResiduals = period,
    private readonly sigmas = 3,
  ) {
    this.ring = new Float64Array(window);
  }

  /** Feeds value y of point `index` (points come in order, one per slot; NaN for a missing one). */
  push(index: number, y: number): boolean {
    // the seasonal-naive forecast of this point, as the protocol defines it
    const lagged = index >= this.period ? this.values[index - this.period] : Number.NaN;
    const forecast = Number.isNaN(lagged) ? this.lastObservedBefore(index - this.period) : lagged;
    this.values[index] = y;
    if (Number.isNaN(y) || Number.isNaN(forecast)) return false;
    const r = y - forecast;
    let flagged = false;
    if (this.count >= this.minResiduals) {
      const mean = this.sum / this.count;
      const sd = Math.sqrt(Math.max(0, this.sumSq / this.count - mean * mean));
      flagged = Math.abs(r) > this.sigmas * sd;
    }
    if (this.count === this.ring.length) {
      const old = this.ring[this.head];
      this.sum -= old;
      this.sumSq -= old * old;
    } else this.count++;
    this.ring[this.head] = r;
    this.head = (this.head + 1) % this.ring.length;
    this.sum += r;
    this.sumSq += r * r;
    return flagged;
  }

  private lastObservedBefore(i: number): number {
    for (let j = Math.min(i, this.values.length - 1); j >= 0; j--) {
      if (!Number.isNaN(this.values[j])) return this.values[j];
    }
    return Number.NaN;
  }
}
