import { z } from 'zod';

/**
 * A known event that lifts demand in its window (a campaign, a release, a match): the forecast
 * inside [start, end) is multiplied by `lift`.
 */
export const CalendarEventSchema = z
  .object({
    name: z.string().min(1).max(200),
    start: z.number().int().describe('epoch ms, inclusive'),
    end: z.number().int().describe('epoch ms, exclusive'),
    lift: z.number().positive().max(1000).describe('multiplier applied to the forecast inside the window'),
  })
  .refine((e) => e.end > e.start, { message: 'end must be after start', path: ['end'] });
export type CalendarEvent = z.infer<typeof CalendarEventSchema>;

/** What a forecaster is given: the history up to the origin, on a regular grid. */
export interface ForecastInput {
  /** Slot i is at `t0 + i × stepMs`; NaN marks a missing slot. The origin is the slot after the last. */
  history: Float64Array;
  t0: number;
  stepMs: number;
  /** How many steps ahead to forecast, from the origin. */
  horizon: number;
  events?: readonly CalendarEvent[];
}

/** Quantile forecasts, one value per step from the origin. */
export interface QuantileForecast {
  p10: Float64Array;
  p50: Float64Array;
  p90: Float64Array;
  /** A short description of the model that produced it, for decisions' reasons. */
  model: string;
  /**
   * The model's own backtest MAE up to an hour ahead (original scale), when it has one: how well
   * it did on this history, for blending it with another forecast (forecast/prior.ts).
   */
  backtestMAE?: number;
  /** Origins that backtest scored. */
  backtestOrigins?: number;
}

/** A forecaster keeps what it learned between calls; each call sees only the history up to its origin. */
export interface Forecaster {
  readonly name: string;
  forecast(input: ForecastInput): QuantileForecast;
}

/** Applies calendar events to a forecast in place. */
export function applyEvents(f: QuantileForecast, input: ForecastInput): QuantileForecast {
  if (!input.events?.length) return f;
  const origin = input.t0 + input.history.length * input.stepMs;
  for (let h = 0; h < f.p50.length; h++) {
    const t = origin + h * input.stepMs;
    let lift = 1;
    for (const e of input.events) if (t >= e.start && t < e.end) lift *= e.lift;
    if (lift !== 1) {
      f.p10[h] *= lift;
      f.p50[h] *= lift;
      f.p90[h] *= lift;
    }
  }
  return f;
}
