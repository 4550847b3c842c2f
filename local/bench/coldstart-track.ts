import {
  blendForecasts,
  blendWeight,
  familyPrior,
  type LoadPrior,
  PRIOR_DEFAULTS,
  type PriorOptions,
  priorForecast,
  priorWeight,
} from '../../layers/core/forecast/prior.js';
import { geometricMean, seasonalNaiveSeries } from '../../layers/core/forecast/score.js';
import { forecastTwin } from '../../layers/core/forecast/twin/index.js';
import { DAY_MS, HOUR_MS } from '../../layers/core/series/grid.js';
import type { Progress } from './progress.js';
import type { LoadedTrace, ManifestEntry } from './trace-set.js';

/**
 * Cold start from a similar twin (issue 10): each load trace plays a new twin born at hourly
 * moments of a day, forecast with only its first `cut` hours of history (2, 6, 24, 48, 168), 60
 * minutes ahead, by its own model alone (`none`) and blended with a prior computed from another
 * trace of the same kind (`prior`; `prior-only` is the prior's own forecast, for insight). Scores
 * as the forecast track's: relMAE against the seasonal naive of the full trace (the value a day
 * before, which the young twin never saw: only the scale of the ratio), coverage80.
 */
export const COLDSTART_DEFAULTS = {
  cutsHours: [2, 6, 24, 48, 168],
  /** Births at each hour of a day: origins at 24 different hours of the day per base. */
  birthsPerBase: 24,
  /** Bases a week apart from day 1 (the naive needs a day before), as many as fit, at most this many. */
  maxBases: 3,
  /** Days of the donor's history the prior is computed from (the live planner reads 14). */
  donorDays: 14,
};
export type ColdstartSettings = typeof COLDSTART_DEFAULTS;

export const COLDSTART_METHODS = ['none', 'prior', 'prior-only'] as const;
type Method = (typeof COLDSTART_METHODS)[number];

export interface CutScore {
  cutHours: number;
  origins: number;
  points: number;
  /** Mean blend weight of the prior over the origins. */
  priorWeight: number;
  relMAE: Record<Method, number | null>;
  coverage80: Record<Method, number | null>;
}

export interface ColdstartRun {
  trace: string;
  donor: string;
  donorRule: string;
  cuts: CutScore[];
  seconds: number;
}

export interface ColdstartSkip {
  trace: string;
  reason: string;
}

/**
 * The donor of a trace: among the other traces of its kind, the one sharing the most of metric
 * name (4), source collection (2: the source with its file name left out) and unit (1); ties go
 * to the next trace after it in the manifest's order (cyclically). Metadata only: no score is
 * looked at, so no pair is chosen with hindsight.
 */
export function chooseDonor(
  entry: ManifestEntry,
  all: readonly ManifestEntry[],
): { donor: ManifestEntry; rule: string } | undefined {
  const i = all.findIndex((e) => e.id === entry.id);
  const collection = (e: ManifestEntry) => (e.source ?? '').replace(/\/[^/]*$/, '');
  let best: { donor: ManifestEntry; score: number } | undefined;
  for (let k = 1; k < all.length; k++) {
    const e = all[(i + k) % all.length];
    if (e.kind !== entry.kind || e.id === entry.id) continue;
    const score =
      (e.metric && e.metric === entry.metric ? 4 : 0) +
      (e.source && collection(e) === collection(entry) ? 2 : 0) +
      (e.unit && e.unit === entry.unit ? 1 : 0);
    if (!best || score > best.score) best = { donor: e, score };
  }
  if (!best) return undefined;
  const why =
    best.score >= 4
      ? 'same metric'
      : best.score >= 2
        ? 'same source collection'
        : best.score >= 1
          ? 'same unit'
          : 'next of its kind in the manifest';
  return { donor: best.donor, rule: why };
}

/** The prior a donor trace gives: its first `donorDays` days. */
export function donorPrior(donor: LoadedTrace, donorDays: number): LoadPrior | undefined {
  const { grid } = donor;
  const slots = Math.min(grid.values.length, Math.round((donorDays * DAY_MS) / grid.stepMs));
  return familyPrior(
    [{ id: donor.entry.id, history: grid.values.subarray(0, slots), t0: grid.t0, stepMs: grid.stepMs }],
    new Date(grid.t0 + slots * grid.stepMs).toISOString(),
  );
}

class Acc {
  err = 0;
  naive = 0;
  covered = 0;
  points = 0;
  add(y: number, sn: number, p10: number, p50: number, p90: number) {
    this.err += Math.abs(y - p50);
    this.naive += Math.abs(y - sn);
    if (p10 <= y && y <= p90) this.covered++;
    this.points++;
  }
}

/** One trace with its donor's prior, every cut. */
export function runColdstartTrace(
  trace: LoadedTrace,
  donor: { id: string; rule: string; prior: LoadPrior },
  s: ColdstartSettings = COLDSTART_DEFAULTS,
  o: PriorOptions = PRIOR_DEFAULTS,
  progress?: Progress,
): ColdstartRun {
  const started = performance.now();
  const { grid } = trace;
  const y = grid.values;
  const n = y.length;
  const hour = Math.round(HOUR_MS / grid.stepMs);
  const day = 24 * hour;
  const sn = seasonalNaiveSeries(grid, day);
  const plans = s.cutsHours.map((cut) => {
    const bases: number[] = [];
    for (let b = day; bases.length < s.maxBases; b += 7 * day) {
      if (b + (s.birthsPerBase - 1) * hour + cut * hour + hour > n) break;
      bases.push(b);
    }
    return { cut, bases };
  });
  const total = plans.reduce((a, p) => a + p.bases.length * s.birthsPerBase, 0);
  let done = 0;
  const cuts: CutScore[] = [];
  for (const { cut, bases } of plans) {
    const acc: Record<Method, Acc> = { none: new Acc(), prior: new Acc(), 'prior-only': new Acc() };
    let origins = 0;
    let wSum = 0;
    for (const base of bases) {
      for (let j = 0; j < s.birthsPerBase; j++) {
        const birth = base + j * hour;
        const origin = birth + cut * hour;
        const input = {
          history: y.subarray(birth, origin),
          t0: grid.t0 + birth * grid.stepMs,
          stepMs: grid.stepMs,
          horizon: hour,
        };
        done++;
        if (!input.history.some((v) => Number.isFinite(v))) continue;
        const own = forecastTwin(input);
        const fromPrior = priorForecast(donor.prior, input, o);
        const w = blendWeight(cut, own, fromPrior, o);
        wSum += w;
        const forecasts: Record<Method, typeof own> = {
          none: own,
          prior: w > 0 ? blendForecasts(own, fromPrior, w) : own,
          'prior-only': fromPrior,
        };
        origins++;
        for (let h = 0; h < hour && origin + h < n; h++) {
          const t = origin + h;
          if (!Number.isFinite(y[t]) || !Number.isFinite(sn[t])) continue;
          for (const m of COLDSTART_METHODS) {
            const f = forecasts[m];
            acc[m].add(y[t], sn[t], f.p10[h], f.p50[h], f.p90[h]);
          }
        }
        progress?.tick(done, total);
      }
    }
    const rel = (a: Acc) => (a.points && a.naive > 0 ? a.err / a.naive : null);
    const cov = (a: Acc) => (a.points ? a.covered / a.points : null);
    cuts.push({
      cutHours: cut,
      origins,
      points: acc.none.points,
      priorWeight: origins ? wSum / origins : priorWeight(cut, o),
      relMAE: { none: rel(acc.none), prior: rel(acc.prior), 'prior-only': rel(acc['prior-only']) },
      coverage80: { none: cov(acc.none), prior: cov(acc.prior), 'prior-only': cov(acc['prior-only']) },
    });
  }
  return {
    trace: trace.entry.id,
    donor: donor.id,
    donorRule: donor.rule,
    cuts,
    seconds: (performance.now() - started) / 1000,
  };
}

export interface ColdstartSummaryRow {
  cutHours: number;
  traces: number;
  /** Mean over traces of the mean blend weight. */
  priorWeight: number;
  gmeanRelMAE: Record<Method, number | null>;
  meanCoverage80: Record<Method, number | null>;
}

export function summarizeColdstart(
  runs: readonly ColdstartRun[],
  s: ColdstartSettings,
): ColdstartSummaryRow[] {
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  return s.cutsHours.map((cut) => {
    const cs = runs.flatMap((r) => r.cuts.filter((c) => c.cutHours === cut && c.points > 0));
    const by = <T>(f: (m: Method) => T) =>
      Object.fromEntries(COLDSTART_METHODS.map((m) => [m, f(m)])) as Record<Method, T>;
    return {
      cutHours: cut,
      traces: cs.length,
      priorWeight: cs.length ? cs.reduce((a, c) => a + c.priorWeight, 0) / cs.length : 0,
      gmeanRelMAE: by((m) => geometricMean(cs.map((c) => c.relMAE[m]))),
      meanCoverage80: by((m) => mean(cs.flatMap((c) => (c.coverage80[m] === null ? [] : [c.coverage80[m]])))),
    };
  });
}

/** The target: the prior helps (lower gmean relMAE) at 2, 6 and 24 h and never hurts after. */
export function coldstartVerdict(rows: readonly ColdstartSummaryRow[]): { met: boolean; line: string } {
  const parts: string[] = [];
  let helps = true;
  let hurts = false;
  for (const r of rows) {
    const a = r.gmeanRelMAE.prior;
    const b = r.gmeanRelMAE.none;
    if (a === null || b === null) continue;
    parts.push(`${r.cutHours} h ${a.toFixed(3)} vs ${b.toFixed(3)}`);
    if (r.cutHours <= 24 && !(a < b)) helps = false;
    if (r.cutHours > 24 && a > b) hurts = true;
  }
  const met = helps && !hurts;
  return {
    met,
    line: `prior helps at 2, 6, 24 h; never hurts after: ${met ? 'met' : 'not met'} (gmean relMAE with prior vs without: ${parts.join('; ')})`,
  };
}

const f3 = (v: number | null | undefined) => (v === null || v === undefined ? '—' : v.toFixed(3));

export function coldstartMarkdown(
  runs: readonly ColdstartRun[],
  skipped: readonly ColdstartSkip[],
  s: ColdstartSettings,
): string {
  const rows = summarizeColdstart(runs, s);
  const verdict = coldstartVerdict(rows);
  return [
    '# Cold-start track',
    '',
    'Each load trace as a new twin born at 24 hourly moments of a day (a base a week apart, up to 3),',
    'forecast 60 minutes ahead with only the first CUT hours of its own history; the prior from',
    'another trace of the same kind (the donor). relMAE against the seasonal naive of the full trace.',
    '',
    '| trace | donor (rule) | cut h | prior weight | origins | relMAE none | relMAE prior | relMAE prior-only | cov80 none | cov80 prior | cov80 prior-only |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...runs.flatMap((r) =>
      r.cuts.map(
        (c) =>
          `| ${r.trace} | ${r.donor} (${r.donorRule}) | ${c.cutHours} | ${c.priorWeight.toFixed(2)} | ${c.origins} | ${f3(c.relMAE.none)} | ${f3(c.relMAE.prior)} | ${f3(c.relMAE['prior-only'])} | ${f3(c.coverage80.none)} | ${f3(c.coverage80.prior)} | ${f3(c.coverage80['prior-only'])} |`,
      ),
    ),
    '',
    '| cut h | traces | prior weight | gmean relMAE none | gmean relMAE prior | gmean relMAE prior-only | mean cov80 none | mean cov80 prior | mean cov80 prior-only |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.cutHours} | ${r.traces} | ${r.priorWeight.toFixed(2)} | ${f3(r.gmeanRelMAE.none)} | ${f3(r.gmeanRelMAE.prior)} | ${f3(r.gmeanRelMAE['prior-only'])} | ${f3(r.meanCoverage80.none)} | ${f3(r.meanCoverage80.prior)} | ${f3(r.meanCoverage80['prior-only'])} |`,
    ),
    '',
    ...(skipped.length ? ['Skipped:', ...skipped.map((k) => `- ${k.trace}: ${k.reason}`), ''] : []),
    verdict.line,
    '',
  ].join('\n');
}
