import type { Grid } from '../../layers/core/series/grid.js';
import { DAY_MS } from '../../layers/core/series/grid.js';
import type { Sample } from '../../layers/core/series/read-trace.js';

const WEEK_MS = 7 * DAY_MS;

/**
 * A recorded trace replayed on the runtime's clock, forever: shifted by whole weeks (so weekdays
 * and hours of day stay as recorded) to start `historyDays` before the clock's start, and looped
 * over whole weeks (or days, for a shorter trace) once it runs out.
 */
export class TraceFeed {
  private readonly shiftedT0: number;
  private readonly periodSlots: number;

  constructor(
    readonly grid: Grid,
    clockStart: number,
    historyDays: number,
  ) {
    const weeks = Math.ceil((grid.t0 + historyDays * DAY_MS - clockStart) / WEEK_MS);
    this.shiftedT0 = grid.t0 - weeks * WEEK_MS;
    const span = grid.values.length * grid.stepMs;
    const period =
      span >= WEEK_MS
        ? Math.floor(span / WEEK_MS) * WEEK_MS
        : Math.max(DAY_MS, Math.floor(span / DAY_MS) * DAY_MS);
    this.periodSlots = Math.min(grid.values.length, Math.round(period / grid.stepMs));
  }

  get stepMs(): number {
    return this.grid.stepMs;
  }

  /** The recorded value of the slot holding time t (NaN where the trace has a gap). */
  valueAt(t: number): number {
    const slot = Math.floor((t - this.shiftedT0) / this.grid.stepMs);
    const i = ((slot % this.periodSlots) + this.periodSlots) % this.periodSlots;
    return this.grid.values[i];
  }

  /** The samples with from ≤ t < to, at the trace's own step, gaps left out. */
  samples(from: number, to: number): Sample[] {
    const step = this.grid.stepMs;
    const out: Sample[] = [];
    const first = this.shiftedT0 + Math.ceil((from - this.shiftedT0) / step) * step;
    for (let t = first; t < to; t += step) {
      const v = this.valueAt(t);
      if (Number.isFinite(v)) out.push({ t, v });
    }
    return out;
  }
}
