/** Small numeric helpers shared by the forecaster, the simulator and the scores. */

/** Linear-interpolated quantile of sorted values (numpy's default), NaN when empty. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Quantile of the finite values (copies and sorts). */
export function quantile(values: ArrayLike<number>, q: number): number {
  return quantileSorted(finiteSorted(values), q);
}

export function median(values: ArrayLike<number>): number {
  return quantile(values, 0.5);
}

export function finiteSorted(values: ArrayLike<number>): Float64Array {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) out.push(values[i]);
  return Float64Array.from(out).sort();
}

/** Median absolute deviation scaled to a normal σ (1.4826 × MAD). */
export function robustSigma(values: ArrayLike<number>): number {
  const s = finiteSorted(values);
  if (s.length === 0) return Number.NaN;
  const m = quantileSorted(s, 0.5);
  const dev = s.map((v) => Math.abs(v - m)).sort();
  return 1.4826 * quantileSorted(dev, 0.5);
}

export function mean(values: ArrayLike<number>): number {
  let s = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    if (Number.isFinite(values[i])) {
      s += values[i];
      n++;
    }
  }
  return n > 0 ? s / n : Number.NaN;
}

export const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/**
 * Solves the ridge-regularized normal equations (XᵀX + λI) b = Xᵀy given XᵀX (row-major, p×p)
 * and Xᵀy, by Gaussian elimination with partial pivoting. p is tiny (≤ 8) here.
 */
export function solveRidge(xtx: Float64Array, xty: Float64Array, p: number, lambda: number): Float64Array {
  const a = new Float64Array(p * (p + 1));
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < p; j++) a[i * (p + 1) + j] = xtx[i * p + j] + (i === j ? lambda : 0);
    a[i * (p + 1) + p] = xty[i];
  }
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let r = c + 1; r < p; r++)
      if (Math.abs(a[r * (p + 1) + c]) > Math.abs(a[piv * (p + 1) + c])) piv = r;
    if (piv !== c) {
      for (let k = 0; k <= p; k++) {
        const t = a[c * (p + 1) + k];
        a[c * (p + 1) + k] = a[piv * (p + 1) + k];
        a[piv * (p + 1) + k] = t;
      }
    }
    const d = a[c * (p + 1) + c];
    if (Math.abs(d) < 1e-300) continue;
    for (let r = 0; r < p; r++) {
      if (r === c) continue;
      const f = a[r * (p + 1) + c] / d;
      if (f === 0) continue;
      for (let k = c; k <= p; k++) a[r * (p + 1) + k] -= f * a[c * (p + 1) + k];
    }
  }
  const b = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    const d = a[i * (p + 1) + i];
    b[i] = Math.abs(d) < 1e-300 ? 0 : a[i * (p + 1) + p] / d;
  }
  return b;
}

/** The standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile needs 0 < p < 1, got ${p}`);
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number) =>
    (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
    ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}
