import { geometricMean, scoringWindow, seasonalNaiveSeries } from '../../layers/core/forecast/score.js';
import { TwinForecaster } from '../../layers/core/forecast/twin/index.js';
import type { QuantileForecast } from '../../layers/core/forecast/types.js';
import { discoverEdge } from '../../layers/core/graph/discover.js';
import { propagate } from '../../layers/core/graph/propagate.js';
import type { Grid } from '../../layers/core/series/grid.js';
import type { Progress } from './progress.js';
import type { LoadedTrace } from './trace-set.js';

/** How a synthetic downstream is made from a real upstream and another trace's real load. */
export interface PairSpec {
  ratio: number;
  lagMinutes: number;
  /** The noise trace is scaled so its mean is this share of ratio × the upstream's mean. */
  noiseShare: number;
}

export const GRAPH_PAIR_DEFAULTS: PairSpec = { ratio: 0.6, lagMinutes: 10, noiseShare: 0.3 };

export interface GraphPairRun {
  upstream: string;
  noise: string;
  stepMinutes: number;
  ratio: number;
  lagMinutes: number;
  origins: number;
  /** Median over origins of what discovery found. */
  found: { lagMinutes: number; ratio: number; confidence: number };
  /** Mean weight the propagated forecast gave the upstream. */
  upstreamWeight: number;
  ownRelMAE60: number | null;
  propagatedRelMAE60: number | null;
  ownCoverage60: number;
  propagatedCoverage60: number;
  seconds: number;
}

/**
 * downstream(t) = ratio × upstream(t − lag) + s × noise(t), where noise is another real trace
 * read at the same elapsed time from its start (its own days and bursts, wrapped at whole days
 * when shorter) and s makes its mean `noiseShare` of the upstream part's. The lag is rounded to
 * whole slots, at least one.
 */
export function makeDownstream(
  up: Grid,
  noise: Grid,
  spec: PairSpec,
): { values: Float64Array; lagSlots: number } {
  const lagSlots = Math.max(1, Math.round((spec.lagMinutes * 60_000) / up.stepMs));
  const n = up.values.length;
  const noiseDays = Math.max(1, Math.floor((noise.values.length * noise.stepMs) / 86_400_000));
  const noiseAt = (i: number) => {
    const elapsed = (i * up.stepMs) % (noiseDays * 86_400_000);
    return noise.values[Math.min(noise.values.length - 1, Math.floor(elapsed / noise.stepMs))];
  };
  const meanOf = (f: (i: number) => number) => {
    let s = 0;
    let c = 0;
    for (let i = 0; i < n; i++) {
      const v = f(i);
      if (Number.isFinite(v)) {
        s += v;
        c++;
      }
    }
    return c ? s / c : 0;
  };
  const scale = (spec.noiseShare * spec.ratio * meanOf((i) => up.values[i])) / (meanOf(noiseAt) || 1);
  const values = new Float64Array(n).fill(Number.NaN);
  for (let i = lagSlots; i < n; i++) values[i] = spec.ratio * up.values[i - lagSlots] + scale * noiseAt(i);
  return { values, lagSlots };
}

/**
 * Scores the downstream's 60-minute forecasts at the forecast track's hourly origins, its own
 * twin forecast against the same forecast propagated from the upstream. At each origin the edge
 * is discovered from the three days before it, and the weights use the forecasts' errors over
 * the day before (forecasting starts a day before the scored window to have them).
 */
export function runGraphPair(
  upTrace: LoadedTrace,
  noiseTrace: LoadedTrace,
  spec: PairSpec,
  progress?: Progress,
): GraphPairRun {
  const started = performance.now();
  const up = upTrace.grid;
  const { values: down, lagSlots } = makeDownstream(up, noiseTrace.grid, spec);
  const downGrid: Grid = { t0: up.t0, stepMs: up.stepMs, values: down };
  const { hour, day, origins } = scoringWindow(downGrid);
  const sn = seasonalNaiveSeries(downGrid, day);
  const first = origins[0];
  const all: number[] = [];
  for (let o = first - day; o < first; o += hour) if (o > 3 * hour) all.push(o);
  all.push(...origins);
  const ownF = new TwinForecaster();
  const upF = new TwinForecaster();
  const past: { o: number; own: QuantileForecast; up: QuantileForecast }[] = [];
  const acc = {
    own: { err: 0, cover: 0 },
    prop: { err: 0, cover: 0 },
    naive: 0,
    points: 0,
  };
  const found: { lag: number[]; ratio: number[]; confidence: number[] } = {
    lag: [],
    ratio: [],
    confidence: [],
  };
  let weightSum = 0;
  let scored = 0;
  for (const [k, o] of all.entries()) {
    const horizon = Math.min(hour, down.length - o);
    if (horizon <= 0) break;
    const dh = down.subarray(0, o);
    const uh = up.values.subarray(0, o);
    const own = ownF.forecast({ history: dh, t0: up.t0, stepMs: up.stepMs, horizon: hour });
    const upf = upF.forecast({ history: uh, t0: up.t0, stepMs: up.stepMs, horizon: hour });
    // errors of the forecasts made over the last day whose hour has fully passed
    const recent = past.filter((p) => p.o + hour <= o && p.o >= o - day);
    const ownMAE = maeOf(
      recent.map((p) => [p.o, p.own]),
      down,
      hour,
    );
    const upMAE = maeOf(
      recent.map((p) => [p.o, p.up]),
      up.values,
      hour,
    );
    past.push({ o, own, up: upf });
    const from = Math.max(0, o - 3 * day);
    const edge = discoverEdge(up.values.subarray(from, o), down.subarray(from, o), { stepMs: up.stepMs });
    const result =
      edge && Number.isFinite(ownMAE) && Number.isFinite(upMAE)
        ? propagate({
            history: dh,
            stepMs: up.stepMs,
            own,
            ownMAE,
            upstreams: [{ id: upTrace.entry.id, history: uh, forecast: upf, forecastMAE: upMAE, edge }],
          })
        : { forecast: own, weights: { own: 1, upstreams: [{ id: upTrace.entry.id, weight: 0 }] } };
    if (o < first) continue;
    scored++;
    weightSum += result.weights.upstreams[0].weight;
    if (edge) {
      found.lag.push(edge.lagMinutes);
      found.ratio.push(edge.ratio);
      found.confidence.push(edge.confidence);
    }
    for (let h = 0; h < horizon; h++) {
      const t = o + h;
      const y = down[t];
      if (!Number.isFinite(y) || !Number.isFinite(sn[t])) continue;
      const p = result.forecast;
      acc.own.err += Math.abs(y - own.p50[h]);
      acc.prop.err += Math.abs(y - p.p50[h]);
      if (own.p10[h] <= y && y <= own.p90[h]) acc.own.cover++;
      if (p.p10[h] <= y && y <= p.p90[h]) acc.prop.cover++;
      acc.naive += Math.abs(y - sn[t]);
      acc.points++;
    }
    progress?.tick(k + 1, all.length);
  }
  const med = (xs: number[]) =>
    xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] : Number.NaN;
  const rel = (err: number) => (acc.naive > 0 ? err / acc.naive : null);
  return {
    upstream: upTrace.entry.id,
    noise: noiseTrace.entry.id,
    stepMinutes: up.stepMs / 60_000,
    ratio: spec.ratio,
    lagMinutes: (lagSlots * up.stepMs) / 60_000,
    origins: scored,
    found: { lagMinutes: med(found.lag), ratio: med(found.ratio), confidence: med(found.confidence) },
    upstreamWeight: scored ? weightSum / scored : 0,
    ownRelMAE60: rel(acc.own.err),
    propagatedRelMAE60: rel(acc.prop.err),
    ownCoverage60: acc.points ? acc.own.cover / acc.points : 0,
    propagatedCoverage60: acc.points ? acc.prop.cover / acc.points : 0,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Mean absolute error of 60-minute forecasts against what came, over their observed slots. */
function maeOf(forecasts: [number, QuantileForecast][], actual: Float64Array, hour: number): number {
  let s = 0;
  let c = 0;
  for (const [o, f] of forecasts) {
    for (let h = 0; h < hour && o + h < actual.length; h++) {
      const y = actual[o + h];
      if (Number.isFinite(y) && Number.isFinite(f.p50[h])) {
        s += Math.abs(y - f.p50[h]);
        c++;
      }
    }
  }
  return c ? s / c : Number.NaN;
}

const f3 = (v: number | null) => (v === null || !Number.isFinite(v) ? '—' : v.toFixed(3));

export function graphMarkdown(runs: GraphPairRun[], spec: PairSpec, seconds: number) {
  const own = geometricMean(runs.map((r) => r.ownRelMAE60));
  const prop = geometricMean(runs.map((r) => r.propagatedRelMAE60));
  const better = runs.filter(
    (r) => r.propagatedRelMAE60 !== null && r.ownRelMAE60 !== null && r.propagatedRelMAE60 < r.ownRelMAE60,
  ).length;
  const markdown = [
    '# Graph track',
    '',
    `Downstream = ${spec.ratio} × upstream delayed ${spec.lagMinutes} min (at least one slot) + another trace's real load scaled to ${spec.noiseShare * 100} % of that part. 60-minute relMAE at the forecast track's hourly origins; the edge discovered from the 3 days before each origin.`,
    '',
    '| upstream | noise from | step | lag (true → found) | ratio (true → found) | confidence | upstream weight | relMAE 60m own | relMAE 60m propagated | coverage80 own | coverage80 propagated | origins | s |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...runs.map(
      (r) =>
        `| ${r.upstream} | ${r.noise} | ${r.stepMinutes} min | ${r.lagMinutes} → ${r.found.lagMinutes} | ${r.ratio} → ${f3(r.found.ratio)} | ${f3(r.found.confidence)} | ${f3(r.upstreamWeight)} | ${f3(r.ownRelMAE60)} | ${f3(r.propagatedRelMAE60)} | ${f3(r.ownCoverage60)} | ${f3(r.propagatedCoverage60)} | ${r.origins} | ${r.seconds.toFixed(1)} |`,
    ),
    '',
    `Overall (geometric mean of relMAE 60m): own ${f3(own)}, propagated ${f3(prop)}; propagation better on ${better} of ${runs.length} pairs.`,
    '',
    `Wall time: ${seconds.toFixed(1)} s`,
    '',
  ].join('\n');
  return {
    json: { spec, runs, overall: { ownRelMAE60: own, propagatedRelMAE60: prop, better }, seconds },
    markdown,
  };
}

/** Every load trace as an upstream, its noise from the next load trace in the manifest. */
export function runGraphTrack(
  loads: LoadedTrace[],
  spec: PairSpec,
  progressFor: (label: string) => Progress,
): { json: unknown; markdown: string } {
  const started = performance.now();
  const runs = loads.map((t, i) => {
    const noise = loads[(i + 1) % loads.length];
    const progress = progressFor(
      `graph [${i + 1}/${loads.length}] ${t.entry.id} + ${noise.entry.id}: origins`,
    );
    const run = runGraphPair(t, noise, spec, progress);
    progress.done(`relMAE 60m own ${f3(run.ownRelMAE60)}, propagated ${f3(run.propagatedRelMAE60)}`);
    return run;
  });
  return graphMarkdown(runs, spec, (performance.now() - started) / 1000);
}
