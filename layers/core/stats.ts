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
