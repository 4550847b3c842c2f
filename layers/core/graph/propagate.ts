import type { QuantileForecast } from '../forecast/types.js';
import { median } from '../stats.js';

/** One upstream's part in a downstream's forecast: its history and forecast on the downstream's grid. */
export interface UpstreamForecast {
  id: string;
  /** The upstream's load up to the same origin as the downstream's history (same t0, step, length). */
  history: ArrayLike<number>;
  /** The upstream's own forecast from that origin. */
  forecast: QuantileForecast;
  /** Its recent mean absolute error over the horizon (how far its p50 has been from what came). */
  forecastMAE: number;
  edge: { lagMinutes: number; ratio: number; confidence: number };
}

/** Edges below this confidence take no part by default: a weak correlation is noise, not a call. */
export const PROPAGATION_MIN_CONFIDENCE = 0.3;

export interface PropagationInput {
  /** The downstream's load up to the origin. */
  history: ArrayLike<number>;
  stepMs: number;
  /** The downstream's own forecast from the origin. */
  own: QuantileForecast;
  /** The own forecast's recent mean absolute error over the horizon. */
  ownMAE: number;
  upstreams: readonly UpstreamForecast[];
  /** Edges below this confidence take no part (weight 0). */
  minConfidence?: number;
  /** How far back an edge's fit to the downstream is judged, in slots (default: a day). */
  windowSlots?: number;
}

export interface Propagated {
  forecast: QuantileForecast;
  /** Mean weight over the horizon of the own model and of each upstream (they sum to 1). */
  weights: { own: number; upstreams: { id: string; weight: number }[] };
}

// a normal's σ is √(π/2) ≈ 1.2533 times its mean absolute deviation; 1.2816 σ is its p90
const MAE_TO_P90 = 1.2816 * Math.sqrt(Math.PI / 2);

interface Component {
  p10: Float64Array;
  p50: Float64Array;
  p90: Float64Array;
  /** Expected absolute error at each horizon step. */
  error: Float64Array;
}

/**
 * A downstream's forecast from its own model and its upstreams': each upstream predicts
 * `level + ratio × upstream(t − lag)`, read from the upstream's observed history while
 * t − lag is before the origin and from its forecast after. Every prediction is weighted, step
 * by step, by the inverse square of its expected error: the own model's recent error; an
 * upstream's error in explaining the downstream's last day (its residual around a level that
 * moves hourly) combined with the upstream forecast's own error once the lag has run out. An
 * upstream that explains nothing carries a residual as large as the downstream's own swings,
 * and so almost no weight. The band is the weighted mean of the parts' half-widths: no
 * narrowing for averaging, since the parts' errors are not independent.
 */
export function propagate(input: PropagationInput): Propagated {
  const { history: d, stepMs, own, ownMAE, minConfidence = PROPAGATION_MIN_CONFIDENCE } = input;
  const horizon = own.p50.length;
  const n = d.length;
  const hour = Math.max(1, Math.round(3_600_000 / stepMs));
  const window = input.windowSlots ?? Math.round(86_400_000 / stepMs);
  const parts: Component[] = [
    {
      p10: own.p10,
      p50: own.p50,
      p90: own.p90,
      error: new Float64Array(horizon).fill(Math.max(ownMAE, 1e-9)),
    },
  ];
  const used: string[] = [];
  for (const up of input.upstreams) {
    const { ratio, confidence } = up.edge;
    if (!(confidence >= minConfidence) || !(ratio > 0) || !Number.isFinite(ratio)) continue;
    if (up.history.length !== n) continue;
    const lag = Math.max(0, Math.round((up.edge.lagMinutes * 60_000) / stepMs));
    const fit = fitOf(d, up.history, ratio, lag, hour, window);
    if (!fit) continue;
    const c: Component = {
      p10: new Float64Array(horizon),
      p50: new Float64Array(horizon),
      p90: new Float64Array(horizon),
      error: new Float64Array(horizon),
    };
    let lastObserved = Number.NaN;
    for (let t = 0; t < n; t++) if (Number.isFinite(up.history[t])) lastObserved = up.history[t];
    for (let h = 0; h < horizon; h++) {
      const k = n + h - lag;
      let lo: number;
      let mid: number;
      let hi: number;
      let upError = 0;
      if (k < n) {
        mid = Number.isFinite(up.history[k]) ? up.history[k] : lastObserved;
        lo = mid;
        hi = mid;
      } else {
        mid = up.forecast.p50[k - n];
        lo = up.forecast.p10[k - n];
        hi = up.forecast.p90[k - n];
        upError = ratio * up.forecastMAE;
      }
      const fitBand = MAE_TO_P90 * fit.mae;
      c.p50[h] = fit.level + ratio * mid;
      c.p10[h] = c.p50[h] - Math.hypot(ratio * (mid - lo), fitBand);
      c.p90[h] = c.p50[h] + Math.hypot(ratio * (hi - mid), fitBand);
      c.error[h] = Math.max(Math.hypot(fit.mae, upError), 1e-9);
    }
    parts.push(c);
    used.push(up.id);
  }
  const nonNegative = Array.prototype.every.call(own.p10, (v: number) => v >= 0);
  const p10 = new Float64Array(horizon);
  const p50 = new Float64Array(horizon);
  const p90 = new Float64Array(horizon);
  const meanWeights = new Float64Array(parts.length);
  for (let h = 0; h < horizon; h++) {
    let total = 0;
    for (const c of parts) total += 1 / c.error[h] ** 2;
    let mid = 0;
    let below = 0;
    let above = 0;
    parts.forEach((c, i) => {
      const w = 1 / c.error[h] ** 2 / total;
      meanWeights[i] += w / horizon;
      mid += w * c.p50[h];
      below += w * (c.p50[h] - c.p10[h]);
      above += w * (c.p90[h] - c.p50[h]);
    });
    p50[h] = nonNegative ? Math.max(0, mid) : mid;
    p10[h] = nonNegative ? Math.max(0, mid - below) : mid - below;
    p90[h] = Math.max(p50[h], mid + above);
  }
  const names = used.length ? ` + ${used.join(', ')}` : '';
  return {
    forecast: { p10, p50, p90, model: `${own.model} propagated${names}` },
    weights: {
      own: meanWeights[0],
      upstreams: input.upstreams.map((u) => {
        const at = used.indexOf(u.id);
        return { id: u.id, weight: at < 0 ? 0 : meanWeights[at + 1] };
      }),
    },
  };
}

/**
 * How well `level + ratio × upstream(t − lag)` explained the downstream over the last `window`
 * slots, the level being the median residual of the hour before each slot (and, for the
 * forecast, of the last hour): the mean absolute error, and the level to forecast with.
 */
function fitOf(
  d: ArrayLike<number>,
  u: ArrayLike<number>,
  ratio: number,
  lag: number,
  hour: number,
  window: number,
): { level: number; mae: number } | undefined {
  const n = d.length;
  const from = Math.max(lag, n - window - hour);
  const res = new Float64Array(n - from).fill(Number.NaN);
  for (let t = from; t < n; t++) {
    const v = d[t] - ratio * u[t - lag];
    if (Number.isFinite(v)) res[t - from] = v;
  }
  let sum = 0;
  let count = 0;
  for (let i = hour; i < res.length; i++) {
    if (!Number.isFinite(res[i])) continue;
    const level = median(res.subarray(i - hour, i));
    if (!Number.isFinite(level)) continue;
    sum += Math.abs(res[i] - level);
    count++;
  }
  const level = median(res.subarray(Math.max(0, res.length - hour)));
  if (count < hour || !Number.isFinite(level)) return undefined;
  return { level, mae: sum / count };
}
