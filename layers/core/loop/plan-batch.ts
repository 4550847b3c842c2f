import { type ActuationResult, outcomeWithoutActing } from '../act/actuate.js';
import type { ScalingTarget, TargetState } from '../act/scaling-target.js';
import { directDependantsWeight, scalingOrder } from '../graph/criticality.js';
import { PROPAGATION_MIN_CONFIDENCE } from '../graph/propagate.js';
import { estimateDue, refreshEstimates } from '../graph/sync-upstreams.js';
import { inParallel } from '../in-parallel.js';
import {
  CPU_FRESH_MS,
  HISTORY_DAYS,
  type LiveOutlook,
  liveOutlook,
  planWithPolicy,
  SLOT_MS,
} from '../policy/live-plan.js';
import {
  ERROR_WINDOW_RECORDS,
  MAX_PLANNED_UPSTREAMS,
  PROPAGATION_HISTORY_MS,
  type UpstreamLoad,
  type UpstreamsInput,
} from '../policy/upstream-outlook.js';
import { DAY_MS, MINUTE_MS } from '../series/grid.js';
import type { Sample } from '../series/read-trace.js';
import type { RecordOf } from '../store/records.js';
import { type Controls, TwinConflictError, type TwinStore } from '../store/twin-store.js';
import { type AlertPublisher, DRIFT_WINDOW_RECORDS, driftStep, residualsOf } from '../twin/drift-watch.js';
import { declaredEdgesOf, type MetricQuery, shadowPolicyOf, type Twin } from '../twin/twin.js';
import { recordFailure, recordOutcome } from './decision-records.js';
import { decisionIdFor, decisionSlot } from './decision-slot.js';
import type { PendingActuation, PlanBatchEvent, PlanBatchResult } from './events.js';
import { keepFamilyPrior } from './family-prior.js';
import { dueTwinsOf } from './list-due.js';
import { TransientError } from './transient-error.js';
import { watchUtilizationDrift } from './utilization-watch.js';

export interface LoopPorts {
  store: TwinStore;
  target: ScalingTarget;
  /**
   * Errors worth retrying the whole batch for (throttling, timeouts): they propagate to the
   * state machine's Retry. Anything else fails only its twin, recorded on it.
   */
  isTransient: (e: unknown) => boolean;
  /** Minutes between two runs of the schedule. */
  scheduleMinutes: number;
  /** Twins planned at once within a batch. */
  concurrency?: number;
  /** Where drift alerts go (EventBridge in AWS, the log locally); none: drift is recorded only. */
  alerts?: AlertPublisher;
  /** Told of each twin's decision (the Lambda logs it: the dashboard's forecast-vs-actual query reads those lines). */
  onPlanned?: (twinId: string, decision: PendingActuation['record']) => void;
}

/**
 * One batch of the Distributed Map: for each due twin in its range, forecast and plan; record the forecast, and
 * the decision when nothing is to be done (forecast-only mode, the kill switch on, or the target
 * already at the planned capacity); return what the actuator must change for the others. Safe to
 * retry: records are written once per id.
 */
export async function planBatch(p: LoopPorts, event: PlanBatchEvent): Promise<PlanBatchResult> {
  const now = Date.parse(event.now);
  const slot = decisionSlot(now, p.scheduleMinutes);
  // read once a batch; the actuator reads it again on every call
  const [twins, controls] = await Promise.all([dueTwinsOf(p.store, event.twins), p.store.getControls()]);
  const result: PlanBatchResult = { twins: twins.length, planned: 0, failed: 0, actuations: [] };
  const weights = new Map<string, number>();
  await inParallel(twins, p.concurrency ?? 8, async (twin) => {
    try {
      const planned = await planTwin(p, twin, now, slot, controls);
      result.planned++;
      p.onPlanned?.(twin.id, planned.record);
      if (planned.actuate) {
        result.actuations.push({ request: planned.request, record: planned.record });
        weights.set(twin.id, directDependantsWeight(twin.upstreams));
      }
    } catch (e) {
      if (p.isTransient(e)) throw new TransientError(e);
      result.failed++;
      await recordFailure(p.store, twin.id, slot, e);
    }
  });
  // the actuator starts them in this order: the most depended-on first (graph/criticality.ts)
  result.actuations = scalingOrder(
    result.actuations.map((a) => ({
      twinId: a.request.twinId,
      weight: weights.get(a.request.twinId) ?? 0,
      from: a.record.previous,
      to: a.request.desired,
      a,
    })),
  ).map((x) => x.a);
  return result;
}

async function planTwin(
  p: LoopPorts,
  twin: Twin,
  now: number,
  slot: { at: string; recordId: string },
  controls: Controls,
): Promise<PendingActuation & { actuate: boolean }> {
  const twinId = twin.id;
  const load = twin.metrics.find((m) => m.role === 'load');
  const cpu = twin.metrics.find((m) => m.role === 'utilization');
  const [loadSamples, cpuSamples, target, recentAsks, shadowHistory, upstreams] = await Promise.all([
    load ? p.store.readSamples(twinId, load.key, now - HISTORY_DAYS * DAY_MS, now + 1) : [],
    cpu ? p.store.readSamples(twinId, cpu.key, now - CPU_FRESH_MS, now + 1) : undefined,
    p.target.describe(twin.target),
    askedSince(p.store, twinId, now - twin.policy.stabilizationMinutes * MINUTE_MS),
    // a twin without candidates reads nothing more
    twin.shadows.length ? shadowDecisionsSince(p.store, twin, now, p.scheduleMinutes) : [],
    // nor does a twin without upstreams
    load && twin.upstreams.length ? upstreamsOf(p, twin, now) : undefined,
  ]);
  // a young twin of a family plans with the family's prior (loop/family-prior.ts)
  const planned = load ? await keepFamilyPrior(p, twin, loadSamples, now) : twin;
  // the forecast once, for the live policy and every candidate
  const outlook = liveOutlook({
    twin: planned,
    load: loadSamples,
    utilization: cpuSamples,
    target,
    now,
    scheduleMinutes: p.scheduleMinutes,
    upstreams,
  });
  const decision = planWithPolicy(outlook, {
    twin,
    policy: twin.policy,
    target,
    previous: target.capacity,
    recentAsks,
    now,
    scheduleMinutes: p.scheduleMinutes,
  });
  const forecast = outlook.forecast;
  await p.store.putRecord(twinId, 'forecast', {
    id: `forecast-${slot.at}`,
    at: slot.at,
    metric: load?.key ?? '',
    model: forecast.model,
    points: forecast.p50.map((p50, h) => ({
      t: forecast.t0 + h * forecast.stepMs,
      p10: fourDigits(forecast.p10[h]),
      p50: fourDigits(p50),
      p90: fourDigits(forecast.p90[h]),
    })),
    ...(outlook.propagated ? { propagated: outlook.propagated } : {}),
  });
  const record = {
    id: slot.recordId,
    at: slot.at,
    desired: decision.desired,
    previous: target.capacity,
    reason: { ...decision.reason, capacityPerInstance: outlook.capacityPerInstance },
  };
  const request = actuationRequest(twin, slot.recordId, decision.desired);
  let known: ActuationResult | undefined;
  if (twin.policy.mode === 'forecast-only') {
    await p.store.putRecord(twinId, 'decision', { ...record, action: 'recorded-only' });
  } else {
    known = outcomeWithoutActing(request, target, controls);
    if (known) await recordOutcome(p.store, twinId, record, known);
  }
  // after the live decision is settled, so that nothing a candidate does can change it
  await planShadows(p, twin, outlook, target, shadowHistory, now, slot);
  // the twin as stored now: a prior kept this cycle moved its version on
  if (load) await watchDrift(p, planned, load, loadSamples, now, slot);
  if (load && cpuSamples) await watchUtilizationDrift(p, planned, loadSamples, cpuSamples, now, slot);
  if (upstreams && outlook.upstreamEstimates) await keepEstimates(p, twin, upstreams, outlook, now);
  const actuate = twin.policy.mode !== 'forecast-only' && !known;
  return { request, record, actuate };
}

/**
 * Stores the cycle's estimates of the twin's estimated upstream edges once the stored ones are a
 * day old (graph/sync-upstreams.ts): one write a day. Last in the cycle, after the drift watches
 * moved the twin on, and never failing the cycle (its decision is made): an edge not stored stays
 * due and is tried again next cycle.
 */
async function keepEstimates(
  p: LoopPorts,
  twin: Twin,
  read: UpstreamsInput,
  outlook: LiveOutlook,
  now: number,
): Promise<void> {
  const due = new Set(twin.upstreams.filter((e) => estimateDue(e, now)).map((e) => e.from));
  const fresh = read.upstreams
    .filter((u) => due.has(u.id))
    .map((u) => ({
      id: u.id,
      declared: u.declared,
      seen: outlook.upstreamEstimates?.find((x) => x.id === u.id)?.seen,
    }))
    .filter((f) => f.seen);
  if (fresh.length === 0) return;
  await refreshEstimates(p.store, twin.id, fresh, now).catch(() => undefined);
}

/**
 * What a downstream twin's planner reads of its upstreams (twin.upstreams, kept by
 * graph/sync-upstreams.ts): for each of the strongest MAX_PLANNED_UPSTREAMS, its twin item (its
 * load metric, and that it still calls this twin), its load over PROPAGATION_HISTORY_MS and its
 * newest ERROR_WINDOW_RECORDS forecast records; and the twin's own newest forecast records, for
 * its own recent error. Cost per cycle, only for a twin with upstreams: one query of its own
 * records, and per upstream a get, a day's chunks (two) and a query of its records.
 *
 * Order: batches run in parallel, so an upstream in another batch (or later in this one) may not
 * have planned this cycle yet when its downstream plans. Its newest stored forecast is used as it
 * is, this cycle's or the previous one's (upstream-outlook.ts realigns it to this origin and skips
 * one older than two cycles); ordering the batches by criticality (graph/criticality.ts) would
 * only make this cycle's more likely, so no wait is worth it. An upstream that cannot be read is
 * skipped, never failing the twin's cycle: the own model then plans alone.
 */
async function upstreamsOf(p: LoopPorts, twin: Twin, now: number): Promise<UpstreamsInput> {
  const edges = [...twin.upstreams]
    // an edge estimated too weak to take part is not worth its reads (one not yet estimated is,
    // and so is a weak one once a day, to be judged again: sync-upstreams.ts estimateDue)
    .filter(
      (e) =>
        e.from !== twin.id &&
        !(e.ratio !== null && e.confidence < PROPAGATION_MIN_CONFIDENCE && !estimateDue(e, now)),
    )
    .sort((a, b) => b.confidence - a.confidence || a.from.localeCompare(b.from))
    .slice(0, MAX_PLANNED_UPSTREAMS);
  const readOne = async (edge: Twin['upstreams'][number]): Promise<UpstreamLoad | undefined> => {
    const up = await p.store.getTwin(edge.from);
    const metric = up?.metrics.find((m) => m.role === 'load');
    // gone, no load, or no longer calling this twin (a reverse edge left behind): skipped
    const declared = up && declaredEdgesOf(up).find((e) => e.to === twin.id);
    if (!up || !metric || !declared) return undefined;
    const [samples, records] = await Promise.all([
      p.store.readSamples(up.id, metric.key, now - PROPAGATION_HISTORY_MS, now + 1),
      p.store.listRecords(up.id, 'forecast', { limit: ERROR_WINDOW_RECORDS }),
    ]);
    return { id: up.id, metric, load: samples, forecasts: records.items, edge, declared };
  };
  const [own, read] = await Promise.all([
    // without its own records, the own error is read off its band
    p.store.listRecords(twin.id, 'forecast', { limit: ERROR_WINDOW_RECORDS }).catch(() => ({ items: [] })),
    Promise.all(edges.map((e) => readOne(e).catch(() => undefined))),
  ]);
  return {
    ownForecasts: own.items,
    upstreams: read.filter((u): u is UpstreamLoad => u !== undefined),
  };
}

/**
 * Compares the twin's recent forecasts (each stored record's first slot) with the observed peaks
 * of those slots and runs the drift detector over them (twin/drift-watch.ts). On a new drift:
 * a `drifting` record, the twin's calibration set (the planner widens its band until
 * `widenUntil`; the forecaster refits from the stored history every cycle anyway) and an alert;
 * once the widening is over and the window no longer flags, a `recalibrated` record and the
 * calibration cleared. Cost: one query of DRIFT_WINDOW_RECORDS forecast records per twin and
 * cycle, and no write unless the twin's drift state changes. The record first (idempotent id), the
 * alert, the twin last: a failure before the twin is updated repeats the step next time, so an
 * alert may be sent twice but is never lost; once the twin is updated nothing repeats.
 */
async function watchDrift(
  p: LoopPorts,
  twin: Twin,
  load: MetricQuery,
  samples: readonly Sample[],
  now: number,
  slot: { at: string },
): Promise<void> {
  const page = await p.store.listRecords(twin.id, 'forecast', { limit: DRIFT_WINDOW_RECORDS });
  const predicted = page.items.filter((r) => r.metric === load.key).flatMap((r) => r.points.slice(0, 1));
  if (predicted.length === 0) return;
  const from = Math.min(...predicted.map((x) => x.t));
  // per-minute demand, as the planner reads it: a Sum over a longer period spread over its minutes
  const perMinute = load.stat === 'Sum' ? 60 / load.periodSeconds : 1;
  const demand = samples
    .filter((s) => s.t >= from && Number.isFinite(s.v))
    .map((s) => ({ t: s.t, v: s.v * perMinute }));
  const window = residualsOf(predicted, demand, SLOT_MS, now);
  const step = driftStep(window, twin.calibration, load.key, SLOT_MS, now);
  if (step.kind === 'none') return;
  const span = {
    residuals: window.residuals.length,
    from: new Date(window.times[0] ?? now).toISOString(),
    to: new Date(window.times.at(-1) ?? now).toISOString(),
  };
  const alert =
    step.kind === 'flag'
      ? {
          status: 'drifting' as const,
          direction: step.flag.direction,
          score: step.flag.score,
          message: `${load.key} ran ${step.flag.direction === 'up' ? 'above' : 'below'} the twin's forecast since ${step.calibration.since}: its band is widened until ${step.calibration.widenUntil}`,
        }
      : {
          status: 'recalibrated' as const,
          score: 0,
          message: `${load.key} is back within the twin's forecast band: the widening is lifted`,
        };
  await p.store.putRecord(twin.id, 'drift', {
    id: `drift-${slot.at}`,
    at: slot.at,
    metric: load.key,
    ...alert,
    ...span,
  });
  await p.alerts?.publish({ twinId: twin.id, metric: load.key, at: slot.at, ...alert });
  try {
    await p.store.updateTwin(twin.id, twin.version, {
      calibration: step.kind === 'flag' ? step.calibration : null,
    });
  } catch (e) {
    // someone changed the twin meanwhile: the next cycle compares again on the new version
    if (e instanceof TwinConflictError) return;
    throw e;
  }
}

type ShadowDecision = RecordOf<'shadow-decision'>;

/**
 * Plans each candidate on the live decision's outlook (same samples, same forecast, same target
 * state) and records what it would have decided; nothing here is ever actuated. A candidate's
 * guardrails step from its own history, not the live one's: its stabilization window holds its
 * own earlier asks, and its max step counts from its own last decision, since the fleet never
 * followed it (the target's capacity only when it has no decision in the last two slots: a new
 * candidate starts from the fleet as it is, where it would start if promoted now). A candidate
 * that cannot be planned (its bounds leave nothing allowed) is recorded with why, and the live
 * decision is untouched. Cost: one record write per candidate per cycle, and one query of the
 * candidates' recent records per twin that has any.
 */
async function planShadows(
  p: LoopPorts,
  twin: Twin,
  outlook: LiveOutlook,
  target: TargetState,
  history: readonly ShadowDecision[],
  now: number,
  slot: { at: string; recordId: string },
): Promise<void> {
  for (const shadow of twin.shadows) {
    const policy = shadowPolicyOf(twin.policy, shadow);
    // its own earlier records: this candidate's, not those of an earlier one of the same id
    const own = history.filter(
      (r) => r.shadowId === shadow.id && r.shadowAddedAt === shadow.addedAt && r.at < slot.at,
    );
    const lastDecided = own.find(
      (r) => r.desired !== undefined && Date.parse(r.at) >= now - 2 * p.scheduleMinutes * MINUTE_MS,
    );
    const previous = lastDecided?.desired ?? target.capacity;
    const since = now - policy.stabilizationMinutes * MINUTE_MS;
    const recentAsks = own.filter((r) => Date.parse(r.at) >= since).map(askOf);
    const base = {
      id: `${slot.recordId}.${shadow.id}`,
      at: slot.at,
      shadowId: shadow.id,
      shadowAddedAt: shadow.addedAt,
      previous,
    };
    let record: ShadowDecision;
    try {
      const decision = planWithPolicy(outlook, {
        twin,
        policy,
        target,
        previous,
        recentAsks,
        now,
        scheduleMinutes: p.scheduleMinutes,
      });
      record = { ...base, desired: decision.desired, reason: { ...decision.reason } };
    } catch (e) {
      const err = e as { name?: string; message?: string };
      record = {
        ...base,
        reason: { error: err?.name ?? 'Error' },
        result: (err?.message ?? String(e)).slice(0, 1000),
      };
    }
    try {
      await p.store.putRecord(twin.id, 'shadow-decision', record);
    } catch (e) {
      // a retried batch is safe (records are written once); any other failure costs the
      // candidate this slot in its comparison, never the live decision
      if (p.isTransient(e)) throw e;
    }
  }
}

/** The candidates' records since the longest of their stabilization windows and the last two slots, newest first. */
async function shadowDecisionsSince(
  store: TwinStore,
  twin: Twin,
  now: number,
  scheduleMinutes: number,
): Promise<ShadowDecision[]> {
  const windowMinutes = Math.max(
    2 * scheduleMinutes,
    ...twin.shadows.map((s) => shadowPolicyOf(twin.policy, s).stabilizationMinutes),
  );
  const since = now - windowMinutes * MINUTE_MS;
  const limit = Math.min(100, twin.shadows.length * (Math.ceil(windowMinutes / scheduleMinutes) + 1));
  const out: ShadowDecision[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listRecords(twin.id, 'shadow-decision', { limit, cursor });
    for (const r of page.items) {
      if (Date.parse(r.at) < since) return out;
      out.push(r);
    }
    cursor = page.cursor;
  } while (cursor);
  return out;
}

/** What a decision asked for: its plan or its reactive floor, whichever is larger. */
const askOf = (d: { reason: Record<string, unknown> }): number => {
  const r = d.reason as { planned?: number; reactiveFloor?: number };
  return Math.max(r.planned ?? 0, r.reactiveFloor ?? 0);
};

const actuationRequest = (twin: Twin, recordId: string, desired: number): PendingActuation['request'] => ({
  twinId: twin.id,
  decisionId: decisionIdFor(twin.id, recordId),
  target: twin.target,
  desired,
  maxStep: twin.policy.maxStep,
  minInstances: twin.policy.minInstances,
  maxInstances: twin.policy.maxInstances,
});

/** The largest capacity any decision since `since` asked for (its plan or its reactive floor). */
async function askedSince(store: TwinStore, twinId: string, since: number): Promise<number[]> {
  const asks: number[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listRecords(twinId, 'decision', { limit: 10, cursor });
    for (const d of page.items) {
      if (Date.parse(d.at) < since) return asks;
      asks.push(askOf(d));
    }
    cursor = page.cursor;
  } while (cursor);
  return asks;
}

/** Four significant digits: the record fits one 1 KB write unit instead of two, every cycle, for every twin. */
const fourDigits = (v: number): number => (Number.isFinite(v) && v !== 0 ? Number(v.toPrecision(4)) : v);
