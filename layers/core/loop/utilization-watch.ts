import { SLOT_MS } from '../policy/live-plan.js';
import { DAY_MS, MINUTE_MS } from '../series/grid.js';
import type { Sample } from '../series/read-trace.js';
import { TwinConflictError, type TwinStore } from '../store/twin-store.js';
import {
  CAPACITY_FIT_WINDOW_MS,
  capacityFitAttemptDue,
  capacityFitVerdict,
  capacityFitWanted,
} from '../twin/capacity-upkeep.js';
import { type AlertPublisher, type DriftAlert, episodeStep, episodesOf } from '../twin/drift-watch.js';
import type { CapacityModelRecord, MetricQuery, Twin, TwinPatch } from '../twin/twin.js';
import {
  type FleetSize,
  latestUtilizationDrift,
  lineOf,
  type Refit,
  refitCapacity,
  UTILIZATION_WINDOW_MS,
  utilizationCheckDue,
  utilizationResiduals,
  utilizationSlots,
} from '../twin/utilization-drift.js';

/** What the utilization watch needs of the loop's ports. */
export interface UtilizationWatchPorts {
  store: TwinStore;
  alerts?: AlertPublisher;
  scheduleMinutes: number;
}

/**
 * Utilization drift, once an hour per twin (twin/utilization-drift.ts): the last six hours of CPU
 * against the capacity model's line at the load and fleet of each slot. On a new drift: a
 * `drifting` record saying which way CPU left the line, the capacity model refitted on the data
 * since the drift began (too little of it: the old model is kept, the record says why, and each
 * hourly check of the episode tries again), the twin's calibration given this metric's episode
 * (the planner widens its band, as for load drift; a load episode open at the same time is kept)
 * and an alert. Once the widening is over and the window no longer flags: `recalibrated`.
 *
 * The same check first keeps the capacity model fitted (`fitCapacityWhenDue` below): a twin whose
 * model has no line, or a week-old one, gets one fitted on its last three days; a line stored this
 * way is compared from the next hour on.
 *
 * Cost. Nothing is read in the other cycles of the hour, nor for a twin without a CPU metric or a
 * fitted line (but for the upkeep's own reads, priced at `fitCapacityWhenDue`), nor while its own
 * episode is widened with the model already refitted: the gate uses only the clock and the CPU
 * samples the cycle read anyway (the last 2 hours). A check reads the CPU series over the window
 * (one query, one or two day chunks: under 1 read unit at 1.8 bytes a sample) and the decision
 * records over it (one query of about 73 records of ~0.5 KB: about 4.5 read units, eventually
 * consistent); the load is the 14 days the cycle already read. About 5.5 read units a twin an
 * hour, against ~110 for the hour's twelve planning cycles; no write unless the drift state changes.
 */
export async function watchUtilizationDrift(
  p: UtilizationWatchPorts,
  twin: Twin,
  loadSamples: readonly Sample[],
  recentCpu: readonly Sample[],
  now: number,
  slot: { at: string },
): Promise<void> {
  const load = twin.metrics.find((m) => m.role === 'load');
  const cpu = twin.metrics.find((m) => m.role === 'utilization');
  if (!load || !cpu) return;
  if (!utilizationCheckDue(now, p.scheduleMinutes, recentCpu.at(-1)?.t)) return;
  // a line fitted this hour was fitted on these very slots: the drift check waits for the next hour
  if (await fitCapacityWhenDue(p, twin, load, cpu, loadSamples, now, slot)) return;
  const line = lineOf(twin.capacityModel);
  if (!line || !twin.capacityModel) return;
  const own = episodesOf(twin.calibration).find((e) => e.metric === cpu.key);
  const widened = own !== undefined && Date.parse(own.widenUntil) > now;
  const refitPending = own !== undefined && Date.parse(twin.capacityModel.fittedAt) < Date.parse(own.since);
  if (widened && !refitPending) return;

  const slots = await readUtilizationSlots(p, twin, load, cpu, loadSamples, now, UTILIZATION_WINDOW_MS);
  const before = twin.capacityModel.capacityPerInstance;
  const id = `drift-${slot.at}.${cpu.key}`;

  if (widened && own) {
    // the episode's model is not refitted yet: try again on what has arrived since
    const refit = refitCapacity(slots, Date.parse(own.since), new Date(now).toISOString());
    if (!('model' in refit)) return;
    await p.store.putRecord(twin.id, 'drift', {
      id,
      at: slot.at,
      metric: cpu.key,
      status: 'drifting',
      direction: own.direction,
      score: 0,
      message: `${cpu.key}: the capacity model is refitted now that enough data has arrived since ${own.since}: ${refitText(before, refit)}`,
      ...refitFields(before, refit),
    });
    await updateTwin(p.store, twin, (t) =>
      t.capacityModel && Date.parse(t.capacityModel.fittedAt) < Date.parse(own.since)
        ? { capacityModel: refit.model }
        : undefined,
    );
    return;
  }

  const window = utilizationResiduals(slots, line);
  const step = episodeStep(window, twin.calibration, cpu.key, SLOT_MS, now, latestUtilizationDrift);
  if (step.kind === 'none') return;
  const span = {
    residuals: window.residuals.length,
    from: new Date(window.times[0] ?? now).toISOString(),
    to: new Date(window.times.at(-1) ?? now).toISOString(),
  };
  let alert: Omit<DriftAlert, 'twinId' | 'metric' | 'at' | 'score'> & { score: number };
  let refit: Refit | undefined;
  if (step.kind === 'flag') {
    const { flag, calibration } = step;
    const onset = window.times[flag.onset] ?? flag.t;
    refit = refitCapacity(slots, onset, new Date(now).toISOString());
    const dearer = flag.direction === 'up';
    alert = {
      status: 'drifting',
      direction: flag.direction,
      score: flag.score,
      message:
        `${cpu.key} ran ${dearer ? 'above' : 'below'} what the capacity model predicts from load and instances ` +
        `since ${new Date(onset).toISOString()} (each instance now serves ${dearer ? 'less' : 'more'} load at the same CPU): ` +
        `${refitText(before, refit)}; the forecast band is widened until ${calibration.widenUntil}`,
    };
  } else {
    alert = {
      status: 'recalibrated',
      score: 0,
      message: `${cpu.key} follows the capacity model again (${before.toPrecision(4)} per instance): the widening is lifted`,
    };
  }
  await p.store.putRecord(twin.id, 'drift', {
    id,
    at: slot.at,
    metric: cpu.key,
    ...alert,
    ...span,
    ...(refit ? refitFields(before, refit) : {}),
  });
  await p.alerts?.publish({ twinId: twin.id, metric: cpu.key, at: slot.at, ...alert });
  // the twin last, on its newest version: the load watch may have changed it this very cycle
  await updateTwin(p.store, twin, (t) => {
    const again = episodeStep(window, t.calibration, cpu.key, SLOT_MS, now, latestUtilizationDrift);
    if (again.kind !== step.kind) return undefined;
    if (again.kind === 'settled') return { calibration: again.calibration };
    if (again.kind !== 'flag') return undefined;
    return {
      calibration: again.calibration,
      ...(refit && 'model' in refit ? { capacityModel: refit.model } : {}),
    };
  });
}

/**
 * The capacity model's upkeep (twin/capacity-upkeep.ts), in the same hourly check, before the drift
 * comparison: for a twin whose model has no line (none at all, or one set by hand) or a line older
 * than CAPACITY_REFIT_MS, and no open utilization episode of its own (the drift watch refits then),
 * the line is fitted on the last CAPACITY_FIT_WINDOW_MS of load, CPU and fleet and stored on the
 * twin, under the optimistic lock and only while the model it was judged against is still the
 * stored one. A `capacity-fit` record says what came of it: the fit, why it was kept off the twin,
 * or why nothing could be fitted; the newest record also gates the next attempt, a day later
 * whatever the outcome. True when a new model was stored.
 *
 * Cost. Nothing is read for a twin whose line is fresh: the gate uses the twin and the samples the
 * cycle read. A twin that wants a fit reads its newest `capacity-fit` record at each hourly check
 * (one query of one record, 0.5 read unit) until a fit is stored. An attempt, at most one a day,
 * reads three days of CPU (one query of three or four day chunks, about 1.5 read units at 1.8 bytes
 * a sample) and the decision records over them (up to 864 of ~0.5 KB, in pages of 100: about 54
 * read units, eventually consistent); the load is the 14 days the cycle already read. A fitted twin
 * thus refits once a week for about 56 read units, against ~18,500 for its week of planning
 * cycles. Writes: the record (1 unit) and, when stored, the twin.
 */
async function fitCapacityWhenDue(
  p: UtilizationWatchPorts,
  twin: Twin,
  load: MetricQuery,
  cpu: MetricQuery,
  loadSamples: readonly Sample[],
  now: number,
  slot: { at: string },
): Promise<boolean> {
  const trigger = capacityFitWanted({
    model: twin.capacityModel,
    calibration: twin.calibration,
    cpuKey: cpu.key,
    loadFrom: loadSamples[0]?.t,
    now,
  });
  if (!trigger) return false;
  const last = await p.store.listRecords(twin.id, 'capacity-fit', { limit: 1 });
  if (!capacityFitAttemptDue(last.items[0]?.at, now)) return false;

  const from = now - CAPACITY_FIT_WINDOW_MS;
  const slots = await readUtilizationSlots(p, twin, load, cpu, loadSamples, now, CAPACITY_FIT_WINDOW_MS);
  const before = twin.capacityModel;
  const verdict = capacityFitVerdict(refitCapacity(slots, from, new Date(now).toISOString()), before);
  let outcome = verdict.outcome;
  let message: string;
  if (verdict.outcome === 'fitted') {
    const stored = await updateTwin(p.store, twin, (t) =>
      sameModel(t.capacityModel, before) && !episodesOf(t.calibration).some((e) => e.metric === cpu.key)
        ? { capacityModel: verdict.model }
        : undefined,
    );
    const m = verdict.model;
    const fitted =
      `${cpu.key}: capacity ${m.capacityPerInstance.toPrecision(4)} per instance (95 % interval ` +
      `${m.low.toPrecision(4)}–${m.high.toPrecision(4)}; CPU % = ${m.idleUtilization?.toPrecision(3)} + ` +
      `${m.utilizationPerLoad?.toPrecision(3)} × load per instance, explaining ${(100 * (m.explained ?? 0)).toFixed(0)} %) ` +
      `fitted on ${m.points} slots of the last ${CAPACITY_FIT_WINDOW_MS / DAY_MS} days`;
    if (stored) message = before ? `${fitted}, replacing ${modelText(before)}` : fitted;
    else {
      outcome = 'kept';
      message = `${fitted}, not stored: the twin's capacity model changed meanwhile (or its utilization drift episode opened); the next attempt decides again`;
    }
  } else if (verdict.outcome === 'kept') message = `${cpu.key}: ${verdict.message}`;
  else
    message =
      `${cpu.key}: no capacity model could be fitted on the last ${CAPACITY_FIT_WINDOW_MS / DAY_MS} days ` +
      `(${slots.times.length} slots with CPU, load and a known fleet): ${verdict.problem}; ` +
      `${before ? `${modelText(before)} is kept` : 'the twin has no model yet'}, and the next attempt is a day later`;
  await p.store.putRecord(twin.id, 'capacity-fit', {
    id: `capacity-fit-${slot.at}.${cpu.key}`,
    at: slot.at,
    metric: cpu.key,
    trigger,
    outcome,
    message: message.slice(0, 2000),
    slots: slots.times.length,
    from: new Date(from).toISOString(),
    to: new Date(now).toISOString(),
    ...(before ? { capacityBefore: before.capacityPerInstance } : {}),
    ...('model' in verdict ? { model: verdict.model } : { problem: verdict.problem }),
  });
  return outcome === 'fitted';
}

const sameModel = (a: CapacityModelRecord | undefined, b: CapacityModelRecord | undefined): boolean =>
  a === b ||
  (a !== undefined &&
    b !== undefined &&
    a.fittedAt === b.fittedAt &&
    a.capacityPerInstance === b.capacityPerInstance &&
    a.utilizationPerLoad === b.utilizationPerLoad);

const modelText = (m: CapacityModelRecord | undefined): string =>
  m
    ? `the model of ${m.fittedAt} (${m.capacityPerInstance.toPrecision(4)} per instance${lineOf(m) ? '' : ', no line'})`
    : 'no model';

const refitText = (before: number, refit: Refit): string =>
  'model' in refit
    ? `capacity per instance refitted ${before.toPrecision(4)} → ${refit.model.capacityPerInstance.toPrecision(4)} on ${refit.model.points} slots since then`
    : `the capacity model is kept (${before.toPrecision(4)} per instance) until enough data has arrived to refit it: ${refit.problem}`;

const refitFields = (before: number, refit: Refit) => ({
  capacityBefore: before,
  ...('model' in refit
    ? { capacityAfter: refit.model.capacityPerInstance }
    : { refitProblem: refit.problem }),
});

/**
 * Applies `patchOf` (computed on the twin as stored now; undefined: nothing left to do) under the
 * optimistic lock, reading the twin again after a conflict, three times at most; after that the
 * next hourly check finds the same drift and repeats the step. True once the patch is stored.
 */
async function updateTwin(
  store: TwinStore,
  twin: Twin,
  patchOf: (current: Twin) => TwinPatch | undefined,
): Promise<boolean> {
  let current: Twin | undefined = twin;
  for (let attempt = 0; attempt < 3 && current; attempt++) {
    const patch = patchOf(current);
    if (!patch) return false;
    try {
      await store.updateTwin(current.id, current.version, patch);
      return true;
    } catch (e) {
      if (!(e instanceof TwinConflictError)) throw e;
      current = await store.getTwin(twin.id);
    }
  }
  return false;
}

/**
 * The last `windowMs` as 5-minute slots of load per minute, CPU and fleet size: the CPU samples
 * and the decisions (fleet sizes) read, the load taken from what the cycle read already.
 */
async function readUtilizationSlots(
  p: UtilizationWatchPorts,
  twin: Twin,
  load: MetricQuery,
  cpu: MetricQuery,
  loadSamples: readonly Sample[],
  now: number,
  windowMs: number,
) {
  const from = now - windowMs;
  const [cpuSamples, fleet] = await Promise.all([
    p.store.readSamples(twin.id, cpu.key, from, now + 1),
    fleetSince(p.store, twin.id, from, p.scheduleMinutes, windowMs),
  ]);
  // per-minute load, as the planner reads it: a Sum over a longer period spread over its minutes
  const perMinute = load.stat === 'Sum' ? 60 / load.periodSeconds : 1;
  return utilizationSlots({
    load: loadSamples.filter((s) => s.t >= from).map((s) => ({ t: s.t, v: s.v * perMinute })),
    cpu: cpuSamples,
    fleet,
    from,
    to: now,
    slotMs: SLOT_MS,
  });
}

/**
 * The fleet at each decision since `from` (the capacity the planner saw, `previous`), with the
 * last decision before it for the window's first slots. Decisions are listed newest first, one a
 * cycle: one page covers the drift window (pages of 100 for a longer one).
 */
async function fleetSince(
  store: TwinStore,
  twinId: string,
  from: number,
  scheduleMinutes: number,
  windowMs: number,
): Promise<FleetSize[]> {
  const limit = Math.min(100, Math.ceil(windowMs / (scheduleMinutes * MINUTE_MS)) + 2);
  const out: FleetSize[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listRecords(twinId, 'decision', { limit, cursor });
    for (const d of page.items) {
      const at = Date.parse(d.at);
      if (d.previous === undefined) continue;
      out.push({ at, instances: d.previous });
      if (at < from) return out;
    }
    cursor = page.cursor;
  } while (cursor);
  return out;
}
