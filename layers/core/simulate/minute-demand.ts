import { forwardFill, type Grid, MINUTE_MS } from '../series/grid.js';

export interface MinuteDemand {
  /** Demand per minute; minute m is `t0 + m` minutes. */
  demand: Float64Array;
  /** Whether the minute's slot was observed (missing slots hold the last observed value). */
  observed: Uint8Array;
  t0: number;
}

/**
 * A load series as demand per minute: a step of s minutes gives value / s to each of its minutes
 * (the value is a count per step), and a missing slot holds the last observed value.
 */
export function minuteDemand(g: Grid): MinuteDemand {
  if (g.stepMs % MINUTE_MS !== 0) throw new RangeError(`step ${g.stepMs / 1000}s is not whole minutes`);
  const s = g.stepMs / MINUTE_MS;
  const filled = forwardFill(g.values);
  const demand = new Float64Array(filled.length * s);
  const observed = new Uint8Array(filled.length * s);
  for (let i = 0; i < filled.length; i++) {
    const perMinute = filled[i] / s;
    const seen = Number.isNaN(g.values[i]) ? 0 : 1;
    for (let j = 0; j < s; j++) {
      demand[i * s + j] = perMinute;
      observed[i * s + j] = seen;
    }
  }
  return { demand, observed, t0: g.t0 };
}
