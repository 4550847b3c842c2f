import { median } from '../../layers/core/stats.js';
import { CapacityFitError, fitCapacityModel } from '../../layers/core/twin/capacity.js';
import type { DriftFlag } from '../../layers/core/twin/drift-detector.js';
import { episodeStep, episodesOf, type ResidualWindow } from '../../layers/core/twin/drift-watch.js';
import type { Calibration, CapacityModelRecord } from '../../layers/core/twin/twin.js';
import {
  capacityRecordOf,
  latestThreeSigma,
  latestUtilizationDrift,
  lineOf,
  refitCapacity,
  UTILIZATION_WINDOW_MS,
  type UtilizationSlots,
  utilizationResiduals,
} from '../../layers/core/twin/utilization-drift.js';
import type { LoadedTrace } from './trace-set.js';

/**
 * Utilization drift on real traces. Public traces do not record a fleet with its load and CPU,
 * so each case is built from real parts: a real load trace, a fleet scaled on it every hour, CPU
 * from a known capacity model (idle 8 %, 100 % at the protocol's k = p99(load per minute) / 40)
 * plus the real short-term noise of a real CPU trace (its deviation from its own centred 1-hour
 * median, so its spikes and wobble, not its daily shape). After a week of warm-up, on which the
 * twin's model is fitted with capacity.ts, a bad deploy makes every request 30 % dearer (capacity
 * per instance ÷ 1.3); three days later it is rolled back; and so on every three days, up to
 * eight changes in 25 scored days. Each change opens a 24-hour window.
 *
 * Both detectors run the live watch's loop (loop/utilization-watch.ts), hourly on the last six
 * hours of 5-minute slots, with its hold-off, refit after a flag and settling, and differ only in
 * the rule over the window's residuals: `twin`, the CUSUM (k = 0.5, h from cusumOptionsFor);
 * `three-sigma`, any slot more than 3 σ off the line. A flag's time is the check's (the alert).
 * Scores as the drift track's: recall over windows, flags outside every window per day, median
 * delay from the change.
 */

export const UTILIZATION_DETECTORS = ['twin', 'three-sigma'] as const;
export type UtilizationDetectorName = (typeof UTILIZATION_DETECTORS)[number];

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const SLOT = 5 * MIN;
const WARMUP_DAYS = 7;
const SCORED_DAYS = 25;
const CHANGE_EVERY_DAYS = 3;
const FIRST_CHANGE_DAYS = 1.5;
const MAX_CHANGES = 8;
/** A bad deploy: each request costs this much more CPU. */
const DEARER = 1.3;
const WINDOW_MS = DAY;
const IDLE = 8;
const TARGET_UTILIZATION = 0.6;

export interface UtilizationCase {
  load: string;
  noise: string;
  slots: UtilizationSlots;
  /** Change times (ms) and the cost factor from each on. */
  changes: { at: number; factor: number }[];
  scoredFrom: number;
  scoredTo: number;
  /** What the warm-up fit made of it, or why it failed. */
  model?: CapacityModelRecord;
  problem?: string;
  truthCapacity: number;
}

export interface UtilizationDriftRun {
  load: string;
  noise: string;
  detector: UtilizationDetectorName;
  windows: number;
  hits: number;
  recall: number | null;
  /** Hits whose first flag said the right way (up for a dearer deploy, down for its rollback). */
  rightDirection: number;
  flags: number;
  falseAlarms: number;
  days: number;
  falseAlarmsPerDay: number;
  medianDelayMin: number | null;
  /** Capacity per instance after the last refit, against the truth then. */
  finalCapacity: number | null;
  truthCapacityAtEnd: number;
  problem?: string;
}

/** Per-minute load of each 5-minute slot: a count per step spread over its minutes, slots inside a longer step held. */
function slotLoad(trace: LoadedTrace): { t0: number; values: Float64Array } {
  const { t0, stepMs, values } = trace.grid;
  const perMinute = MIN / stepMs;
  const start = Math.ceil(t0 / SLOT) * SLOT;
  const n = Math.floor((t0 + values.length * stepMs - start) / SLOT);
  const out = new Float64Array(n).fill(Number.NaN);
  for (let i = 0; i < n; i++) {
    const from = start + i * SLOT;
    let sum = 0;
    let count = 0;
    for (let j = Math.floor((from - t0) / stepMs); t0 + j * stepMs < from + SLOT && j < values.length; j++) {
      if (j < 0 || Number.isNaN(values[j])) continue;
      sum += values[j] * perMinute;
      count++;
    }
    if (count) out[i] = sum / count;
  }
  return { t0: start, values: out };
}

/** The noise trace's deviation from its centred 1-hour median (0 where missing). */
function shortTermNoise(trace: LoadedTrace): Float64Array {
  const v = trace.grid.values;
  const half = Math.max(1, Math.round(HOUR / trace.grid.stepMs / 2));
  return v.map((x, i) => {
    if (Number.isNaN(x)) return 0;
    const around = Array.from(v.subarray(Math.max(0, i - half), i + half + 1)).filter(
      (y) => !Number.isNaN(y),
    );
    return x - median(around);
  });
}

export function utilizationCase(load: LoadedTrace, noiseTrace: LoadedTrace): UtilizationCase {
  const { t0, values } = slotLoad(load);
  const sorted = Float64Array.from(values.filter((v) => !Number.isNaN(v))).sort();
  const k = sorted[Math.min(sorted.length - 1, Math.floor(0.99 * sorted.length))] / 40;
  const slope = (100 - IDLE) / k;
  const noise = shortTermNoise(noiseTrace);
  const scoredFrom = t0 + WARMUP_DAYS * DAY;
  const scoredTo = Math.min(t0 + values.length * SLOT, scoredFrom + SCORED_DAYS * DAY);
  const changes: UtilizationCase['changes'] = [];
  for (
    let at = scoredFrom + FIRST_CHANGE_DAYS * DAY;
    at + WINDOW_MS <= scoredTo && changes.length < MAX_CHANGES;
    at += CHANGE_EVERY_DAYS * DAY
  )
    changes.push({ at, factor: changes.length % 2 === 0 ? DEARER : 1 });
  const slots: UtilizationSlots = { times: [], load: [], instances: [], cpu: [] };
  let instances = 2;
  let hourPeak = 0;
  for (let i = 0; i < values.length; i++) {
    const t = t0 + i * SLOT;
    if (t >= scoredTo) break;
    // the fleet: rescaled at each hour for the previous hour's busiest slot
    if (t % HOUR === 0 && hourPeak > 0) {
      instances = Math.min(400, Math.max(2, Math.ceil(hourPeak / (k * TARGET_UTILIZATION))));
      hourPeak = 0;
    }
    if (Number.isNaN(values[i])) continue;
    hourPeak = Math.max(hourPeak, values[i]);
    const factor = changes.filter((c) => c.at <= t).at(-1)?.factor ?? 1;
    const cpu = IDLE + slope * factor * (values[i] / instances) + noise[i % noise.length];
    slots.times.push(t);
    slots.load.push(values[i]);
    slots.instances.push(instances);
    slots.cpu.push(Math.max(0, Math.min(100, cpu)));
  }
  const warm = slots.times.findIndex((t) => t >= scoredFrom);
  let model: CapacityModelRecord | undefined;
  let problem: string | undefined;
  try {
    const w = (xs: number[]) => xs.slice(0, warm);
    model = capacityRecordOf(
      fitCapacityModel(w(slots.load), w(slots.instances), w(slots.cpu)),
      new Date(t0).toISOString(),
    );
  } catch (e) {
    if (!(e instanceof CapacityFitError)) throw e;
    problem = e.message;
  }
  const last = changes.at(-1)?.factor ?? 1;
  return {
    load: load.entry.id,
    noise: noiseTrace.entry.id,
    slots,
    changes,
    scoredFrom,
    scoredTo,
    model,
    problem,
    truthCapacity: k / last,
  };
}

const slice = (s: UtilizationSlots, from: number, to: number): UtilizationSlots => ({
  times: s.times.slice(from, to),
  load: s.load.slice(from, to),
  instances: s.instances.slice(from, to),
  cpu: s.cpu.slice(from, to),
});

/** The live watch's hourly loop over the scored days; the times of its drifting alerts and their directions. */
export function utilizationFlags(c: UtilizationCase, detector: UtilizationDetectorName) {
  const detect =
    detector === 'twin'
      ? latestUtilizationDrift
      : (w: ResidualWindow): (DriftFlag & { t: number }) | undefined => latestThreeSigma(w);
  const flags: { t: number; direction: 'up' | 'down' }[] = [];
  let model = c.model;
  let calibration: Calibration | null = null;
  let lo = 0;
  let hi = 0;
  for (let now = c.scoredFrom; now <= c.scoredTo && model; now += HOUR) {
    while (lo < c.slots.times.length && c.slots.times[lo] < now - UTILIZATION_WINDOW_MS) lo++;
    while (hi < c.slots.times.length && c.slots.times[hi] < now) hi++;
    const slots = slice(c.slots, lo, hi);
    const own = episodesOf(calibration).find((e) => e.metric === 'cpu');
    const widened = own !== undefined && Date.parse(own.widenUntil) > now;
    const pending = own !== undefined && Date.parse(model.fittedAt) < Date.parse(own.since);
    if (widened && !pending) continue;
    const fittedAt = new Date(now).toISOString();
    if (widened && own) {
      const refit = refitCapacity(slots, Date.parse(own.since), fittedAt);
      if ('model' in refit) model = refit.model;
      continue;
    }
    const line = lineOf(model);
    if (!line) break;
    const w = utilizationResiduals(slots, line);
    const step = episodeStep(w, calibration, 'cpu', SLOT, now, detect);
    if (step.kind === 'flag') {
      flags.push({ t: now, direction: step.flag.direction });
      const refit = refitCapacity(slots, w.times[step.flag.onset] ?? step.flag.t, fittedAt);
      if ('model' in refit) model = refit.model;
      calibration = step.calibration;
    } else if (step.kind === 'settled') calibration = step.calibration;
  }
  return { flags, model };
}

export function runUtilizationDrift(
  c: UtilizationCase,
  detector: UtilizationDetectorName,
): UtilizationDriftRun {
  const { flags, model } = utilizationFlags(c, detector);
  const windows = c.changes.map((ch, i) => ({
    from: ch.at,
    to: ch.at + WINDOW_MS,
    direction: ch.factor > (c.changes[i - 1]?.factor ?? 1) ? 'up' : 'down',
  }));
  const delays: number[] = [];
  let rightDirection = 0;
  for (const w of windows) {
    const first = flags.find((f) => f.t >= w.from && f.t <= w.to);
    if (!first) continue;
    delays.push((first.t - w.from) / MIN);
    if (first.direction === w.direction) rightDirection++;
  }
  const falseAlarms = flags.filter((f) => !windows.some((w) => f.t >= w.from && f.t <= w.to)).length;
  const days = (c.scoredTo - c.scoredFrom) / DAY;
  return {
    load: c.load,
    noise: c.noise,
    detector,
    windows: windows.length,
    hits: delays.length,
    recall: windows.length ? delays.length / windows.length : null,
    rightDirection,
    flags: flags.length,
    falseAlarms,
    days,
    falseAlarmsPerDay: falseAlarms / days,
    medianDelayMin: delays.length ? median(delays) : null,
    finalCapacity: model?.capacityPerInstance ?? null,
    truthCapacityAtEnd: c.truthCapacity,
    problem: c.problem,
  };
}

/** Every load trace with the noise of a CPU trace recorded over the same days if any, else of the longest CPU trace. */
export function runUtilizationDriftTrack(traces: readonly LoadedTrace[]): UtilizationDriftRun[] {
  const loads = traces.filter((t) => t.entry.kind === 'load');
  const cpus = traces.filter((t) => t.entry.kind === 'utilization');
  if (cpus.length === 0) return [];
  const longest = cpus.reduce((a, b) => (b.grid.values.length > a.grid.values.length ? b : a));
  const runs: UtilizationDriftRun[] = [];
  for (const load of loads) {
    const noise =
      cpus.find((c) => c.grid.t0 === load.grid.t0 && c.grid.stepMs === load.grid.stepMs) ?? longest;
    const c = utilizationCase(load, noise);
    for (const d of UTILIZATION_DETECTORS) runs.push(runUtilizationDrift(c, d));
  }
  return runs;
}

const f = (v: number | null, d = 3) => (v === null ? '—' : v.toFixed(d));

export function summarizeUtilizationDrift(runs: readonly UtilizationDriftRun[]) {
  return UTILIZATION_DETECTORS.map((detector) => {
    const rs = runs.filter((r) => r.detector === detector && !r.problem);
    const windows = rs.reduce((a, r) => a + r.windows, 0);
    const hits = rs.reduce((a, r) => a + r.hits, 0);
    const delays = rs.flatMap((r) => (r.medianDelayMin === null ? [] : [r.medianDelayMin]));
    const days = rs.reduce((a, r) => a + r.days, 0);
    return {
      detector,
      cases: rs.length,
      windows,
      hits,
      recall: windows ? hits / windows : null,
      rightDirection: rs.reduce((a, r) => a + r.rightDirection, 0),
      falseAlarmsPerDay: days ? rs.reduce((a, r) => a + r.falseAlarms, 0) / days : 0,
      medianOfMedianDelaysMin: delays.length ? median(delays) : null,
    };
  });
}

export function utilizationDriftMarkdown(runs: readonly UtilizationDriftRun[]): string {
  const summary = summarizeUtilizationDrift(runs);
  return [
    '## Utilization drift (capacity per instance ÷ 1.3 and back, every 3 days)',
    '',
    '| load | CPU noise from | detector | changes | hits | right way | false alarms | false alarms/day | median delay (min) | capacity at end (truth) | problem |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...runs.map(
      (r) =>
        `| ${r.load} | ${r.noise} | ${r.detector} | ${r.windows} | ${r.hits} | ${r.rightDirection} | ${r.falseAlarms} | ${f(r.falseAlarmsPerDay, 2)} | ${f(r.medianDelayMin, 0)} | ${r.finalCapacity === null ? '—' : r.finalCapacity.toPrecision(4)} (${r.truthCapacityAtEnd.toPrecision(4)}) | ${r.problem ?? ''} |`,
    ),
    '',
    '| detector | cases | windows | hits | recall | right way | false alarms/day | median of median delays (min) |',
    '|---|---|---|---|---|---|---|---|',
    ...summary.map(
      (s) =>
        `| ${s.detector} | ${s.cases} | ${s.windows} | ${s.hits} | ${f(s.recall)} | ${s.rightDirection} | ${f(s.falseAlarmsPerDay, 2)} | ${f(s.medianOfMedianDelaysMin, 0)} |`,
    ),
    '',
  ].join('\n');
}
