import { seededRandom } from '../../../layers/core/seeded-random.js';

/** Seeded load series for the graph tests: a daily cycle, slow wander and bursts, per minute or per step. */

/** `n` slots of `stepMinutes`: 1000 ± 400 over the day (phase in hours), a random walk, and bursts. */
export function loadSeries(n: number, stepMinutes: number, seed: number, phaseHours = 0): Float64Array {
  const rnd = seededRandom(seed);
  const y = new Float64Array(n);
  let walk = 0;
  let burst = 0;
  for (let i = 0; i < n; i++) {
    const hours = (i * stepMinutes) / 60 + phaseHours;
    walk = 0.97 * walk + (rnd() - 0.5) * 60;
    if (rnd() < 0.02) burst += 300 + 400 * rnd();
    burst *= 0.85;
    y[i] = 1000 + 400 * Math.sin((2 * Math.PI * hours) / 24) + walk + burst + (rnd() - 0.5) * 40;
  }
  return y;
}

/** downstream(t) = ratio × upstream(t − lag) + other(t); NaN before the lag. */
export function follow(up: Float64Array, other: Float64Array, ratio: number, lagSlots: number): Float64Array {
  return up.map((_, t) => (t < lagSlots ? Number.NaN : ratio * up[t - lagSlots] + other[t]));
}
