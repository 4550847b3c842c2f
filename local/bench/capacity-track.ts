import { align } from '../../layers/core/series/resample.js';
import { CapacityFitError, fitCapacityModel } from '../../layers/core/twin/capacity.js';
import { loadTrace, type ManifestEntry } from './trace-set.js';

/**
 * The capacity model on real metric pairs: every load trace against every utilization trace
 * recorded over the same time at the same step. Public traces do not record the fleet size, so
 * the fit assumes one instance; the metrics' ids also differ, so a pair is only a candidate.
 */
export function runCapacityTrack(dir: string, entries: ManifestEntry[]) {
  const loads = entries.filter((e) => e.kind === 'load').map((e) => loadTrace(dir, e));
  const utils = entries.filter((e) => e.kind === 'utilization').map((e) => loadTrace(dir, e));
  const rows = [];
  for (const l of loads) {
    for (const u of utils) {
      if (l.grid.stepMs !== u.grid.stepMs || l.grid.t0 !== u.grid.t0) continue;
      const [lg, ug] = align([l.grid, u.grid]);
      const perMinute = lg.values.map((v) => v / (lg.stepMs / 60_000));
      const ones = new Float64Array(perMinute.length).fill(1);
      let fit: ReturnType<typeof fitCapacityModel> | undefined;
      let problem: string | undefined;
      try {
        fit = fitCapacityModel(perMinute, ones, ug.values);
      } catch (e) {
        if (!(e instanceof CapacityFitError)) throw e;
        problem = e.message;
      }
      rows.push({
        load: l.entry.id,
        utilization: u.entry.id,
        correlation: correlation(perMinute, ug.values),
        fit,
        problem,
      });
    }
  }
  const f = (v: number | null | undefined, d = 3) => (v === null || v === undefined ? '—' : v.toPrecision(d));
  const markdown = [
    '# Capacity model on metric pairs',
    '',
    rows.length === 0
      ? 'No load and utilization traces share a time range and step: no pair to fit.'
      : '| load | utilization | correlation | capacity / instance (95 % interval) | idle % | knee % | residual σ | problem |',
    ...(rows.length ? ['|---|---|---|---|---|---|---|---|'] : []),
    ...rows.map(
      (r) =>
        `| ${r.load} | ${r.utilization} | ${f(r.correlation)} | ${f(r.fit?.capacityPerInstance)} (${f(r.fit?.interval[0])} … ${f(r.fit?.interval[1])}) | ${f(r.fit?.idleUtilization)} | ${f(r.fit?.kneeUtilization)} | ${f(r.fit?.residualSigma)} | ${r.problem ?? ''} |`,
    ),
    '',
  ].join('\n');
  return { json: { rows }, markdown };
}

function correlation(a: Float64Array, b: Float64Array): number | null {
  let n = 0;
  let sa = 0;
  let sb = 0;
  let saa = 0;
  let sbb = 0;
  let sab = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) || Number.isNaN(b[i])) continue;
    n++;
    sa += a[i];
    sb += b[i];
    saa += a[i] * a[i];
    sbb += b[i] * b[i];
    sab += a[i] * b[i];
  }
  const va = saa - (sa * sa) / n;
  const vb = sbb - (sb * sb) / n;
  return n > 2 && va > 0 && vb > 0 ? (sab - (sa * sb) / n) / Math.sqrt(va * vb) : null;
}
