import { z } from 'zod';
import { quantileSorted, robustSigma } from '../stats.js';

/**
 * A service's per-instance capacity, learned from its own metrics: CPU utilization (%) against
 * load per instance is a line with an intercept (the idle cost) up to a knee where the response
 * flattens (saturation, queueing). Capacity is the load per instance at which the line reaches
 * 100 %, the unit the fleet simulator's utilization is measured in.
 */
export const CapacityModelSchema = z.object({
  /** Load per instance (per minute) one instance serves at 100 % CPU. */
  capacityPerInstance: z.number().positive(),
  /** 95 % interval of capacityPerInstance (delta method on the robust fit). */
  interval: z.tuple([z.number(), z.number()]),
  idleUtilization: z.number().describe('CPU % at zero load: the intercept'),
  utilizationPerLoad: z.number().positive().describe('CPU % per unit of load per instance: the slope'),
  /** CPU % above which utilization stops following load linearly; null when the data never bend. */
  kneeUtilization: z.number().nullable(),
  residualSigma: z.number(),
  /** Share of CPU's (robust) variance the fit explains. */
  explained: z.number(),
  points: z.number().int(),
});
export type CapacityModel = z.infer<typeof CapacityModelSchema>;

export class CapacityFitError extends Error {
  override readonly name = 'CapacityFitError';
}

const HUBER = 1.345;
// Below this, capacity read off the line would be noise dressed as a number.
const MIN_EXPLAINED = 0.3;

interface LineFit {
  a: number;
  b: number;
  /** Covariance of (a, b). */
  cov: [number, number, number];
  sigma: number;
  loss: number;
}

/** Huber-weighted least squares of y = a + b x with the knee's plateau: x beyond xk counts as xk. */
function robustLine(x: Float64Array, y: Float64Array, xk: number): LineFit | undefined {
  const n = x.length;
  const w = new Float64Array(n).fill(1);
  let a = 0;
  let b = 0;
  let sigma = 1;
  for (let iter = 0; iter < 20; iter++) {
    let sw = 0;
    let sx = 0;
    let sy = 0;
    let sxx = 0;
    let sxy = 0;
    for (let i = 0; i < n; i++) {
      const xi = Math.min(x[i], xk);
      sw += w[i];
      sx += w[i] * xi;
      sy += w[i] * y[i];
      sxx += w[i] * xi * xi;
      sxy += w[i] * xi * y[i];
    }
    const det = sw * sxx - sx * sx;
    if (!(det > 0)) return undefined;
    const nb = (sw * sxy - sx * sy) / det;
    const na = (sy - nb * sx) / sw;
    const res = new Float64Array(n);
    for (let i = 0; i < n; i++) res[i] = y[i] - na - nb * Math.min(x[i], xk);
    sigma = Math.max(robustSigma(res), 1e-9);
    for (let i = 0; i < n; i++) {
      const r = Math.abs(res[i]) / sigma;
      w[i] = r <= HUBER ? 1 : HUBER / r;
    }
    const converged = Math.abs(na - a) + Math.abs(nb - b) < 1e-10 * (1 + Math.abs(na) + Math.abs(nb));
    a = na;
    b = nb;
    if (converged) break;
  }
  let sw = 0;
  let sx = 0;
  let sxx = 0;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const xi = Math.min(x[i], xk);
    sw += w[i];
    sx += w[i] * xi;
    sxx += w[i] * xi * xi;
    const r = Math.abs(y[i] - a - b * xi) / sigma;
    loss += r <= HUBER ? 0.5 * r * r : HUBER * r - 0.5 * HUBER * HUBER;
  }
  const det = sw * sxx - sx * sx;
  const s2 = sigma * sigma;
  return { a, b, cov: [(s2 * sxx) / det, (-s2 * sx) / det, (s2 * sw) / det], sigma, loss: loss * s2 };
}

/**
 * Fits the capacity model from aligned samples of load (per minute, whole fleet), instances in
 * service and CPU utilization (%). Samples with a missing value or no instance are skipped.
 */
export function fitCapacityModel(
  load: ArrayLike<number>,
  instances: ArrayLike<number>,
  cpu: ArrayLike<number>,
): CapacityModel {
  if (load.length !== instances.length || load.length !== cpu.length)
    throw new CapacityFitError('load, instances and cpu must be aligned (the same length)');
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < load.length; i++) {
    const l = load[i];
    const n = instances[i];
    const c = cpu[i];
    if (Number.isFinite(l) && Number.isFinite(c) && n > 0 && l >= 0) {
      xs.push(l / n);
      ys.push(c);
    }
  }
  if (xs.length < 30)
    throw new CapacityFitError(`${xs.length} usable samples: the capacity fit needs at least 30`);
  const x = Float64Array.from(xs);
  const y = Float64Array.from(ys);
  const sortedX = Float64Array.from(x).sort();
  if (!(quantileSorted(sortedX, 0.9) > quantileSorted(sortedX, 0.1)))
    throw new CapacityFitError('load per instance barely varies: capacity cannot be told from idle cost');
  // The knee: the plateau start that fits best, among the upper load quantiles (none = no knee).
  let best = robustLine(x, y, Number.POSITIVE_INFINITY);
  let knee: number | null = null;
  for (const q of [0.5, 0.6, 0.7, 0.8, 0.9, 0.95]) {
    const xk = quantileSorted(sortedX, q);
    const fit = robustLine(x, y, xk);
    // A knee must earn its extra parameter: at least 5 % less loss.
    if (fit && best && fit.b > 0 && fit.loss < 0.95 * best.loss) {
      best = fit;
      knee = fit.a + fit.b * xk;
    }
  }
  if (!best || !(best.b > 0))
    throw new CapacityFitError(
      'CPU does not rise with load per instance: no capacity to learn from these metrics',
    );
  const spread = robustSigma(y);
  const explained = spread > 0 ? 1 - (best.sigma / spread) ** 2 : 0;
  const rho = rankCorrelation(x, y);
  if (explained < MIN_EXPLAINED || rho < MIN_EXPLAINED)
    throw new CapacityFitError(
      `CPU barely follows load per instance (rank correlation ${rho.toFixed(2)}, the fit explains ${(100 * Math.max(0, explained)).toFixed(0)} %): these metrics do not describe one fleet`,
    );
  const { a, b, cov } = best;
  const k = (100 - a) / b;
  const ga = -1 / b;
  const gb = -(100 - a) / (b * b);
  const se = Math.sqrt(Math.max(0, ga * ga * cov[0] + 2 * ga * gb * cov[1] + gb * gb * cov[2]));
  return {
    capacityPerInstance: k,
    interval: [k - 1.96 * se, k + 1.96 * se],
    idleUtilization: a,
    utilizationPerLoad: b,
    kneeUtilization: knee,
    residualSigma: best.sigma,
    explained,
    points: x.length,
  };
}

/** Spearman's rank correlation (ties broken by position: fine for continuous metrics). */
function rankCorrelation(x: Float64Array, y: Float64Array): number {
  const ranks = (v: Float64Array) => {
    const order = Array.from(v.keys()).sort((i, j) => v[i] - v[j]);
    const r = new Float64Array(v.length);
    order.forEach((i, rank) => {
      r[i] = rank;
    });
    return r;
  };
  const rx = ranks(x);
  const ry = ranks(y);
  const n = x.length;
  const m = (n - 1) / 2;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (rx[i] - m) * (ry[i] - m);
    sxx += (rx[i] - m) ** 2;
  }
  return sxx > 0 ? sxy / sxx : 0;
}

/**
 * The per-instance capacity the planner provisions with: the learned one when the twin has both
 * a load and a utilization metric, taken at the low end of its interval (uncertainty should cost
 * instances, not breaches); otherwise the one configured for the twin.
 */
export function planningCapacity(model: CapacityModel | undefined, configured: number): number {
  if (!model) return configured;
  return Math.max(model.interval[0], model.capacityPerInstance / 2);
}
