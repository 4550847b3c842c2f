import { DAY_MS, HOUR_MS } from '../series/grid.js';
import { episodesOf } from './drift-watch.js';
import type { Calibration, CapacityModelRecord, Twin } from './twin.js';
import { lineOf, type Refit } from './utilization-drift.js';

/**
 * Keeping a twin's capacity model fitted from its own metrics. A twin registered by discovery or
 * through the API without a model, or with one set by hand, has no line: the what-if and optimize
 * routes refuse it, the live planner re-estimates capacity from the last half hour of CPU every
 * cycle, and utilization drift has nothing to compare. So the loop's hourly utilization check
 * (loop/utilization-watch.ts) fits one (capacity.ts `fitCapacityModel`) on the last
 * CAPACITY_FIT_WINDOW_MS of load, CPU and fleet when the model has no line or its line is older
 * than CAPACITY_REFIT_MS, at most once per CAPACITY_FIT_RETRY_MS whatever came of it, and never
 * while the twin's own utilization drift episode is open (the drift watch refits then, on the data
 * since the drift began). Pure: the loop reads the data and the last attempt's record.
 */

/**
 * A fitted line is refreshed after a week: it follows slow changes (traffic mix, a runtime
 * upgrade) that stay below what the drift CUSUM flags.
 */
export const CAPACITY_REFIT_MS = 7 * DAY_MS;
/**
 * The data a fit reads: three days of 5-minute slots (up to 864), three daily cycles of load, so
 * the line is fitted over the whole range of load per instance the service sees, night and peak.
 */
export const CAPACITY_FIT_WINDOW_MS = 3 * DAY_MS;
/** At most one attempt a day: each reads the window's CPU and decision records, fitted or not. */
export const CAPACITY_FIT_RETRY_MS = DAY_MS;
/**
 * No attempt before the twin has this much load history (the samples the cycle already holds): a
 * new twin has decision records (its fleet) only since it was registered, and an attempt on an hour
 * of them would fail on too few slots and then wait a day.
 */
export const CAPACITY_FIT_MIN_HISTORY_MS = 12 * HOUR_MS;
/** A fit more than this factor from the current model's capacity is a jump… */
export const CAPACITY_JUMP_FACTOR = 2;
/** …stored only when its 95 % interval is within ±this share of its capacity. */
export const CAPACITY_JUMP_INTERVAL_SHARE = 0.1;

/** Why a fit is due: the model has no line (none at all, or one set by hand), or its line is old. */
export type CapacityFitTrigger = 'no-line' | 'stale';

/**
 * Whether the twin's capacity model wants a fit now, judged without any read: a utilization
 * metric's model with no line or a line older than CAPACITY_REFIT_MS, no open utilization drift
 * episode for that metric, and at least CAPACITY_FIT_MIN_HISTORY_MS of load (`loadFrom`: the
 * first load sample the cycle read). Undefined: nothing to do. The last attempt is checked next
 * (`capacityFitAttemptDue`), as it costs a read.
 */
export function capacityFitWanted(input: {
  model: CapacityModelRecord | undefined;
  calibration: Calibration | null | undefined;
  cpuKey: string;
  loadFrom: number | undefined;
  now: number;
}): CapacityFitTrigger | undefined {
  const { model, now } = input;
  if (input.loadFrom === undefined || now - input.loadFrom < CAPACITY_FIT_MIN_HISTORY_MS) return undefined;
  if (episodesOf(input.calibration).some((e) => e.metric === input.cpuKey)) return undefined;
  if (!model || !lineOf(model)) return 'no-line';
  const fittedAt = Date.parse(model.fittedAt);
  // an unreadable date is as good as an old one
  return Number.isFinite(fittedAt) && now - fittedAt < CAPACITY_REFIT_MS ? undefined : 'stale';
}

/** Whether a day has passed since the last attempt (`lastAttemptAt`, ISO 8601; none: due). */
export function capacityFitAttemptDue(lastAttemptAt: string | undefined, now: number): boolean {
  if (lastAttemptAt === undefined) return true;
  const at = Date.parse(lastAttemptAt);
  return !Number.isFinite(at) || now - at >= CAPACITY_FIT_RETRY_MS;
}

/** What becomes of a fit: stored on the twin, kept off it (and why), or no fit at all (and why). */
export type CapacityFitVerdict =
  | { outcome: 'fitted'; model: CapacityModelRecord }
  | { outcome: 'kept'; model: CapacityModelRecord; message: string }
  | { outcome: 'failed'; problem: string };

/**
 * Whether a fit replaces the current model. Within CAPACITY_JUMP_FACTOR of it (or with no model at
 * all): yes, the data's own estimate beats one set by hand or fitted a week ago. Further than that,
 * the fleet either changed for real (a new instance type, a deploy that doubled the cost of a
 * request) or the fit was misled (a CPU metric of another fleet, a load metric counting something
 * else, a window of mostly idle slots): the planner would then provision half or twice what it
 * did from one day to the next, so the jump is taken only when the data pin it down, its 95 %
 * interval within ±CAPACITY_JUMP_INTERVAL_SHARE. Otherwise the model is kept, the record says why,
 * and the next attempt (a day later) decides again on a day more of data.
 */
export function capacityFitVerdict(
  refit: Refit,
  current: CapacityModelRecord | undefined,
): CapacityFitVerdict {
  if (!('model' in refit)) return { outcome: 'failed', problem: refit.problem };
  const fit = refit.model;
  if (!current) return { outcome: 'fitted', model: fit };
  const ratio = fit.capacityPerInstance / current.capacityPerInstance;
  if (ratio <= CAPACITY_JUMP_FACTOR && ratio >= 1 / CAPACITY_JUMP_FACTOR)
    return { outcome: 'fitted', model: fit };
  const halfWidth = (fit.high - fit.low) / 2;
  if (halfWidth <= CAPACITY_JUMP_INTERVAL_SHARE * fit.capacityPerInstance)
    return { outcome: 'fitted', model: fit };
  return {
    outcome: 'kept',
    model: fit,
    message:
      `the fit (${fit.capacityPerInstance.toPrecision(4)} per instance, 95 % interval ${fit.low.toPrecision(4)}–${fit.high.toPrecision(4)}) ` +
      `is more than ${CAPACITY_JUMP_FACTOR}× from the current model's ${current.capacityPerInstance.toPrecision(4)} ` +
      `and its interval is wider than ±${100 * CAPACITY_JUMP_INTERVAL_SHARE} %: the current model is kept until a tighter fit confirms the change`,
  };
}

/**
 * Why a twin has no capacity model and how it gets one: what the what-if, scenario and optimize
 * runs answer when asked to simulate it.
 */
export function noCapacityModel(twin: Pick<Twin, 'id' | 'metrics'>): string {
  const put = 'set one with PUT /twins/{id}/capacity-model';
  if (!twin.metrics.some((m) => m.role === 'utilization'))
    return (
      `twin "${twin.id}" has no capacity model: ${put}, or register it with a metric of role "utilization" ` +
      '(CPUUtilization) for the forecast-and-plan loop to fit one'
    );
  return (
    `twin "${twin.id}" has no capacity model yet: the forecast-and-plan loop fits one in its hourly check once ` +
    `it has ${CAPACITY_FIT_MIN_HISTORY_MS / HOUR_MS} hours of load and at least 30 five-minute slots of CPU, load and ` +
    'recorded fleet size with varied load per instance (it tries at most once a day: GET /twins/{id}/capacity-fits ' +
    `says how the last try went); or ${put}`
  );
}
