import { TwinForecaster } from '../forecast/twin/index.js';
import { MINUTE_MS } from '../series/grid.js';
import { normalQuantile } from '../stats.js';

const Z90 = normalQuantile(0.9);

/**
 * Demand at quantile q from a forecast's p50 and p90, reading the band as a normal one: one rule
 * for the benchmark's planner and the live one, so a quantile means the same in both.
 */
export function quantileFromBand(q: number): (p50: number, p90: number) => number {
  const scale = normalQuantile(q) / Z90;
  return (p50, p90) => p50 + scale * (p90 - p50);
}

/**
 * The twin's view of demand to come, for the planner. Per-minute demand is summarized per
 * planning slot by its peak (capacity must cover the busiest minute, not the average); the twin
 * forecaster forecasts those peaks each time a slot completes, and every forecast is kept, so
 * the planner can ask what was forecast at any earlier moment (to replay past days when it
 * tunes itself) as well as now.
 */
export class DemandOutlook {
  private peaks = new Float64Array(0);
  private complete = 0;
  /** Per origin (complete slots at forecast time): p50 then p90, `horizon` each; NaN = not made. */
  private forecasts = new Float64Array(0);
  private readonly forecaster = new TwinForecaster();
  model: string | undefined;

  constructor(
    /** Minutes per planning slot. */
    readonly slotMinutes: number,
    /** Slots forecast ahead each time. */
    readonly horizon: number,
    /** On the first look at a long history, also forecast this many earlier origins (for tuning). */
    private readonly backfillSlots = 0,
  ) {}

  /** The origin in force for a decision that sees `observedMinutes` minutes. */
  originFor(observedMinutes: number): number {
    return Math.floor(observedMinutes / this.slotMinutes);
  }

  /** Takes in the observed minutes (all so far; only slots completed since the last call are read). */
  observe(observed: Float64Array): void {
    const slots = this.originFor(observed.length);
    if (slots <= this.complete) return;
    this.grow(slots);
    for (let s = this.complete; s < slots; s++) {
      let peak = Number.NaN;
      for (let m = s * this.slotMinutes; m < (s + 1) * this.slotMinutes; m++) {
        if (!Number.isNaN(observed[m]) && !(observed[m] <= peak)) peak = observed[m];
      }
      this.peaks[s] = peak;
    }
    const first = this.complete === 0 ? Math.max(1, slots - this.backfillSlots) : this.complete + 1;
    for (let o = first; o <= slots; o++) this.forecastAt(o);
    this.complete = slots;
  }

  private forecastAt(origin: number): void {
    const history = this.peaks.subarray(0, origin);
    if (!history.some((v) => !Number.isNaN(v))) return;
    const f = this.forecaster.forecast({
      history,
      t0: 0,
      stepMs: this.slotMinutes * MINUTE_MS,
      horizon: this.horizon,
    });
    const at = origin * 2 * this.horizon;
    this.forecasts.set(f.p50, at);
    this.forecasts.set(f.p90, at + this.horizon);
    this.model = f.model;
  }

  private grow(slots: number): void {
    if (slots < this.peaks.length) return;
    const size = Math.max(slots + 1, this.peaks.length * 2, 1024);
    const peaks = new Float64Array(size).fill(Number.NaN);
    peaks.set(this.peaks);
    const forecasts = new Float64Array(size * 2 * this.horizon).fill(Number.NaN);
    forecasts.set(this.forecasts);
    this.peaks = peaks;
    this.forecasts = forecasts;
  }

  /**
   * Peak demand per minute at quantile q over minutes [from, to), as forecast at `origin`;
   * NaN when that forecast was not made or does not reach.
   */
  peak(origin: number, from: number, to: number, q: number): number {
    if (origin > this.complete || origin * 2 * this.horizon >= this.forecasts.length) return Number.NaN;
    const atQ = quantileFromBand(q);
    const at = origin * 2 * this.horizon;
    let peak = Number.NaN;
    const first = Math.max(0, Math.floor(from / this.slotMinutes) - origin);
    const last = Math.min(this.horizon - 1, Math.floor((to - 1) / this.slotMinutes) - origin);
    for (let h = first; h <= last; h++) {
      const v = atQ(this.forecasts[at + h], this.forecasts[at + this.horizon + h]);
      if (v > peak || Number.isNaN(peak)) peak = v;
    }
    return peak;
  }
}
