import { DAY_MS, forwardFill, type Grid, HOUR_MS } from '../series/grid.js';

/**
 * The benchmark protocol's scoring window and forecast scores (shared/bench/PROTOCOL.md, with
 * the referee's conventions), as pure functions, so the project's scores agree with judge.py.
 */
export interface ScoringWindow {
  /** Slots per day (the seasonal-naive lag and the 24-hour horizon). */
  day: number;
  /** Slots per hour (the 60-minute horizon). */
  hour: number;
  /** First scored slot: 7 days in, or half a shorter trace rounded down to whole hours. */
  scoreStart: number;
  /** Slot index of each hourly origin. */
  origins: number[];
}

export function scoringWindow(g: Grid): ScoringWindow {
  if (DAY_MS % g.stepMs !== 0 || g.stepMs % 60_000 !== 0 || HOUR_MS % g.stepMs !== 0) {
    throw new RangeError(`step ${g.stepMs / 1000}s must be whole minutes dividing an hour`);
  }
  const n = g.values.length;
  const duration = n * g.stepMs;
  const warm = duration >= 14 * DAY_MS ? 7 * DAY_MS : Math.floor(duration / 2 / HOUR_MS) * HOUR_MS;
  const hour = HOUR_MS / g.stepMs;
  const scoreStart = warm / g.stepMs;
  const origins: number[] = [];
  for (let o = scoreStart; o < n; o += hour) origins.push(o);
  return { day: DAY_MS / g.stepMs, hour, scoreStart, origins };
}

/** Seasonal naive for every slot: the value a day earlier, or the last observed before it. */
export function seasonalNaiveSeries(g: Grid, day: number): Float64Array {
  const filled = forwardFill(g.values);
  const sn = new Float64Array(g.values.length).fill(Number.NaN);
  for (let t = day; t < sn.length; t++) sn[t] = filled[t - day];
  return sn;
}

export interface ForecastScores {
  relMAE: number | null;
  MASE: number | null;
  coverage80: number;
  pinball: number | null;
  MAE: number;
  naiveMAE: number;
  points: number;
}

class Accumulator {
  err = 0;
  naiveErr = 0;
  covered = 0;
  pinball = 0;
  absActual = 0;
  points = 0;

  add(y: number, sn: number, p10: number, p50: number, p90: number): void {
    this.err += Math.abs(y - p50);
    this.naiveErr += Math.abs(y - sn);
    if (p10 <= y && y <= p90) this.covered++;
    this.pinball += (loss(0.1, y - p10) + loss(0.5, y - p50) + loss(0.9, y - p90)) / 3;
    this.absActual += Math.abs(y);
    this.points++;
  }

  scores(scale: number): ForecastScores {
    const n = this.points;
    const mae = this.err / n;
    const naive = this.naiveErr / n;
    const meanAbs = this.absActual / n;
    return {
      relMAE: naive > 0 ? mae / naive : null,
      MASE: scale > 0 ? mae / scale : null,
      coverage80: this.covered / n,
      pinball: meanAbs > 0 ? this.pinball / n / meanAbs : null,
      MAE: mae,
      naiveMAE: naive,
      points: n,
    };
  }
}

const loss = (q: number, d: number) => Math.max(q * d, (q - 1) * d);

export interface TrackScores {
  h60: ForecastScores | null;
  h24: ForecastScores | null;
  complete: boolean;
  missingPoints: number;
  crossedQuantiles: number;
  naiveScaleMAE: number;
}

/**
 * Scores forecasts origin by origin, without holding them all: the 1-minute trace's day-ahead
 * forecasts are over a million points. Every required point (observed, with a seasonal naive)
 * must be given a finite forecast, or the trace is incomplete and gets no score.
 */
export class ForecastScorer {
  private readonly sn: Float64Array;
  private readonly h60 = new Accumulator();
  private readonly h24 = new Accumulator();
  private missing = 0;
  private crossed = 0;
  private readonly scale: number;

  constructor(
    private readonly g: Grid,
    readonly window: ScoringWindow = scoringWindow(g),
  ) {
    this.sn = seasonalNaiveSeries(g, window.day);
    let sum = 0;
    let count = 0;
    for (let t = window.day; t < window.scoreStart; t++) {
      if (!Number.isNaN(g.values[t]) && Number.isFinite(this.sn[t])) {
        sum += Math.abs(g.values[t] - this.sn[t]);
        count++;
      }
    }
    this.scale = count > 0 ? sum / count : 0;
  }

  /** The forecast made at `origin` (a slot index); p*[h] is for slot origin + h. */
  addOrigin(origin: number, p10: ArrayLike<number>, p50: ArrayLike<number>, p90: ArrayLike<number>): void {
    const { day, hour } = this.window;
    const y = this.g.values;
    for (let h = 0; h < day && origin + h < y.length; h++) {
      const t = origin + h;
      if (Number.isNaN(y[t]) || !Number.isFinite(this.sn[t])) continue;
      const a = p10[h];
      const b = p50[h];
      const c = p90[h];
      if (!(Number.isFinite(a) && Number.isFinite(b) && Number.isFinite(c))) {
        this.missing++;
        continue;
      }
      if (a > b || b > c) this.crossed++;
      if (h < hour) this.h60.add(y[t], this.sn[t], a, b, c);
      this.h24.add(y[t], this.sn[t], a, b, c);
    }
  }

  result(): TrackScores {
    const complete = this.missing === 0;
    return {
      h60: complete && this.h60.points > 0 ? this.h60.scores(this.scale) : null,
      h24: complete && this.h24.points > 0 ? this.h24.scores(this.scale) : null,
      complete,
      missingPoints: this.missing,
      crossedQuantiles: this.crossed,
      naiveScaleMAE: this.scale,
    };
  }
}

/** Geometric mean of the positive finite values (the protocol's summary of relMAE). */
export function geometricMean(values: ReadonlyArray<number | null | undefined>): number | null {
  const ok = values.filter((v): v is number => typeof v === 'number' && v > 0 && Number.isFinite(v));
  if (ok.length === 0) return null;
  return Math.exp(ok.reduce((s, v) => s + Math.log(v), 0) / ok.length);
}
