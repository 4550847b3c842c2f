import type { Sample } from '../series/read-trace.js';
import { CapacityFitError, type CapacityModel, fitCapacityModel } from './capacity.js';
import type { DriftFlag } from './drift-detector.js';
import { latestDrift, type ResidualWindow } from './drift-watch.js';
import type { CapacityModelRecord } from './twin.js';

/**
 * Utilization drift: the twin's capacity model predicts CPU from load per instance; when the live
 * CPU stops following that line (a deploy that makes each request dearer, a new instance type), the
 * capacity per instance the planner provisions with is wrong, whatever the load forecast says.
 *
 * For each 5-minute slot: the observed CPU (mean of its samples) against the model's line at the
 * slot's load per instance (mean per-minute load over the instances in service then, from the
 * decision records), flattened above the knee. Residuals are standardized by the fit's own
 * residual σ, so the same CUSUM as load drift's (k = 0.5, h for one false alarm per 14 days of
 * slots) reads them and its threshold follows the series' noise. Pure: the loop
 * (loop/utilization-watch.ts) reads the samples and records.
 */

/** The window each check reads: six hours of slots, the widening's length, so a settled window is all post-refit. */
export const UTILIZATION_WINDOW_MS = 6 * 3_600_000;
/**
 * The smallest σ a residual is divided by, in CPU percentage points: a fit on a very quiet series
 * (σ of a few tenths) would otherwise turn CloudWatch's own rounding and a single busy minute into
 * a drift; a 1-point change of CPU is below what capacity planning can act on anyway.
 */
export const UTILIZATION_SIGMA_FLOOR = 1;

/** The part of a fitted capacity model that predicts CPU from load per instance. */
export interface UtilizationLine {
  idleUtilization: number;
  utilizationPerLoad: number;
  kneeUtilization: number | null;
  residualSigma: number;
}

/** The line of a stored model, or undefined when it has none (a capacity set by hand). */
export function lineOf(model: CapacityModelRecord | undefined): UtilizationLine | undefined {
  if (!model || model.idleUtilization === undefined || model.utilizationPerLoad === undefined)
    return undefined;
  return {
    idleUtilization: model.idleUtilization,
    utilizationPerLoad: model.utilizationPerLoad,
    kneeUtilization: model.kneeUtilization ?? null,
    residualSigma: model.residualSigma ?? 0,
  };
}

/** CPU % the line predicts at `loadPerInstance` (per minute): idle + slope × load, flat above the knee. */
export function predictedUtilization(line: UtilizationLine, loadPerInstance: number): number {
  const u = line.idleUtilization + line.utilizationPerLoad * loadPerInstance;
  return line.kneeUtilization === null ? u : Math.min(u, line.kneeUtilization);
}

/** The fleet as a decision record saw it: `instances` in service from `at` (ms) on. */
export interface FleetSize {
  at: number;
  instances: number;
}

/** Slots with a CPU mean, a load mean and a fleet size, in time order (aligned arrays). */
export interface UtilizationSlots {
  times: number[];
  /** Mean per-minute load of the whole fleet. */
  load: number[];
  instances: number[];
  /** Mean CPU %. */
  cpu: number[];
}

/**
 * Slots of [from, to): each one with at least one CPU sample, one load sample and a known fleet
 * (the latest fleet size at or before its start) is kept; the others are left out. `load` is per
 * minute; `fleet` in any order.
 */
export function utilizationSlots(input: {
  load: readonly Sample[];
  cpu: readonly Sample[];
  fleet: readonly FleetSize[];
  from: number;
  to: number;
  slotMs: number;
}): UtilizationSlots {
  const { slotMs, to } = input;
  const start = Math.floor(input.from / slotMs) * slotMs;
  const n = Math.max(0, Math.ceil((to - start) / slotMs));
  const sums = (samples: readonly Sample[]) => {
    const sum = new Float64Array(n);
    const count = new Uint32Array(n);
    for (const s of samples) {
      if (s.t < input.from || s.t >= to || !Number.isFinite(s.v)) continue;
      const i = Math.floor((s.t - start) / slotMs);
      sum[i] += s.v;
      count[i]++;
    }
    return { sum, count };
  };
  const cpu = sums(input.cpu);
  const load = sums(input.load);
  const fleet = [...input.fleet].sort((a, b) => a.at - b.at);
  const out: UtilizationSlots = { times: [], load: [], instances: [], cpu: [] };
  let f = -1;
  for (let i = 0; i < n; i++) {
    const t = start + i * slotMs;
    while (f + 1 < fleet.length && fleet[f + 1].at <= t) f++;
    const instances = f >= 0 ? fleet[f].instances : 0;
    if (!cpu.count[i] || !load.count[i] || !(instances > 0)) continue;
    out.times.push(t);
    out.load.push(load.sum[i] / load.count[i]);
    out.instances.push(instances);
    out.cpu.push(cpu.sum[i] / cpu.count[i]);
  }
  return out;
}

/**
 * Observed CPU − predicted CPU for each slot, each with σ = the fit's residual σ (at least
 * `floor` points): a window `latestDrift` reads as it reads load's. The prediction takes each
 * slot's own fleet, so a fleet that grew is no drift when the line explains it.
 */
export function utilizationResiduals(
  slots: UtilizationSlots,
  line: UtilizationLine,
  floor = UTILIZATION_SIGMA_FLOOR,
): ResidualWindow {
  const sigma = Math.max(floor, line.residualSigma);
  const out: ResidualWindow = { residuals: [], sigmas: [], times: [] };
  for (let i = 0; i < slots.times.length; i++) {
    out.residuals.push(slots.cpu[i] - predictedUtilization(line, slots.load[i] / slots.instances[i]));
    out.sigmas.push(sigma);
    out.times.push(slots.times[i]);
  }
  return out;
}

/** Huber's constant, the capacity fit's (capacity.ts). */
const HUBER = 1.345;

/**
 * The CUSUM over the window's Huber scores ψ(r/σ) = clip(r/σ, ±1.345) rather than r/σ: the
 * capacity fit is a Huber M-estimate, so these scores average zero on the data it was fitted on,
 * whatever the skew of CPU noise (real CPU spikes up, never down, and the plain mean of its
 * residuals sits above the robust line: a CUSUM on them drifts up without any change). A shift of
 * several σ still adds 1.345 − k a slot and crosses h in about nine slots.
 */
export function latestUtilizationDrift(
  w: ResidualWindow,
  slotMs: number,
): (DriftFlag & { t: number }) | undefined {
  const scores = w.residuals.map((r, i) => w.sigmas[i] * Math.max(-HUBER, Math.min(HUBER, r / w.sigmas[i])));
  return latestDrift({ ...w, residuals: scores }, slotMs);
}

/**
 * The reference rule on the same residuals: the last slot more than three of its σ from the line
 * (each such slot a flag of its own, no accumulation).
 */
export function latestThreeSigma(w: ResidualWindow): (DriftFlag & { t: number }) | undefined {
  for (let i = w.residuals.length - 1; i >= 0; i--) {
    const z = w.residuals[i] / w.sigmas[i];
    if (Math.abs(z) > 3)
      return { index: i, onset: i, direction: z > 0 ? 'up' : 'down', score: Math.abs(z) / 3, t: w.times[i] };
  }
  return undefined;
}

/** A fit as the twin stores it: the capacity and its interval, and the line for the next comparisons. */
export function capacityRecordOf(fit: CapacityModel, fittedAt: string): CapacityModelRecord {
  const low = Math.max(0, fit.interval[0]);
  return {
    capacityPerInstance: fit.capacityPerInstance,
    low,
    high: Math.max(fit.interval[1], low, Number.MIN_VALUE),
    fittedAt,
    idleUtilization: fit.idleUtilization,
    utilizationPerLoad: fit.utilizationPerLoad,
    kneeUtilization: fit.kneeUtilization,
    residualSigma: fit.residualSigma,
    explained: fit.explained,
    points: fit.points,
  };
}

export type Refit = { model: CapacityModelRecord } | { problem: string };

/**
 * The capacity model refitted on the slots from `since` on: only the data since the drift began,
 * since older slots describe the fleet as it was and a robust fit would treat the new behaviour as
 * their outliers. Too little of it (capacity.ts needs 30 slots, 2.5 hours, and some spread of load
 * per instance) is a `problem`, and the caller keeps the old model.
 */
export function refitCapacity(slots: UtilizationSlots, since: number, fittedAt: string): Refit {
  const from = slots.times.findIndex((t) => t >= since);
  const pick = (xs: number[]) => (from < 0 ? [] : xs.slice(from));
  try {
    const fit = fitCapacityModel(pick(slots.load), pick(slots.instances), pick(slots.cpu));
    return { model: capacityRecordOf(fit, fittedAt) };
  } catch (e) {
    if (e instanceof CapacityFitError) return { problem: e.message };
    throw e;
  }
}

/**
 * Whether this cycle checks utilization. CPU is collected once an hour (the collector's
 * `utilizationEveryMinutes`), so checking every 5-minute cycle would reread the same samples:
 * the check runs in the first cycle of each hour (the cycle whose slot starts in the hour's first
 * `scheduleMinutes`), and only when CPU newer than the previous check's hour has arrived.
 */
export function utilizationCheckDue(
  now: number,
  scheduleMinutes: number,
  latestCpu: number | undefined,
): boolean {
  const cycle = scheduleMinutes * 60_000;
  const slot = Math.floor(now / cycle) * cycle;
  const hour = Math.floor(slot / 3_600_000) * 3_600_000;
  return slot - hour < cycle && latestCpu !== undefined && latestCpu >= hour - 3_600_000;
}
