import { outcomeWithoutActing } from '../act/actuate.js';
import type { ScalingTarget } from '../act/scaling-target.js';
import { inParallel } from '../in-parallel.js';
import { CPU_FRESH_MS, HISTORY_DAYS, planLive } from '../policy/live-plan.js';
import { DAY_MS, MINUTE_MS } from '../series/grid.js';
import type { Controls, TwinStore } from '../store/twin-store.js';
import type { Twin } from '../twin/twin.js';
import { recordFailure, recordOutcome } from './decision-records.js';
import { decisionIdFor, decisionSlot } from './decision-slot.js';
import type { PendingActuation, PlanBatchEvent, PlanBatchResult } from './events.js';
import { dueTwinsOf } from './list-due.js';
import { TransientError } from './transient-error.js';

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
  await inParallel(twins, p.concurrency ?? 8, async (twin) => {
    try {
      const planned = await planTwin(p, twin, now, slot, controls);
      result.planned++;
      p.onPlanned?.(twin.id, planned.record);
      if (planned.actuate) result.actuations.push({ request: planned.request, record: planned.record });
    } catch (e) {
      if (p.isTransient(e)) throw new TransientError(e);
      result.failed++;
      await recordFailure(p.store, twin.id, slot, e);
    }
  });
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
  const [loadSamples, cpuSamples, target, recentAsks] = await Promise.all([
    load ? p.store.readSamples(twinId, load.key, now - HISTORY_DAYS * DAY_MS, now + 1) : [],
    cpu ? p.store.readSamples(twinId, cpu.key, now - CPU_FRESH_MS, now + 1) : undefined,
    p.target.describe(twin.target),
    askedSince(p.store, twinId, now - twin.policy.stabilizationMinutes * MINUTE_MS),
  ]);
  const plan = planLive({
    twin,
    load: loadSamples,
    utilization: cpuSamples,
    target,
    recentAsks,
    now,
    scheduleMinutes: p.scheduleMinutes,
  });
  await p.store.putRecord(twinId, 'forecast', {
    id: `forecast-${slot.at}`,
    at: slot.at,
    metric: load?.key ?? '',
    model: plan.forecast.model,
    points: plan.forecast.p50.map((p50, h) => ({
      t: plan.forecast.t0 + h * plan.forecast.stepMs,
      p10: fourDigits(plan.forecast.p10[h]),
      p50: fourDigits(p50),
      p90: fourDigits(plan.forecast.p90[h]),
    })),
  });
  const record = {
    id: slot.recordId,
    at: slot.at,
    desired: plan.decision.desired,
    previous: target.capacity,
    reason: { ...plan.decision.reason, capacityPerInstance: plan.capacityPerInstance },
  };
  const request = actuationRequest(twin, slot.recordId, plan.decision.desired);
  if (twin.policy.mode === 'forecast-only') {
    await p.store.putRecord(twinId, 'decision', { ...record, action: 'recorded-only' });
    return { request, record, actuate: false };
  }
  const known = outcomeWithoutActing(request, target, controls);
  if (known) await recordOutcome(p.store, twinId, record, known);
  return { request, record, actuate: !known };
}

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
      const r = d.reason as { planned?: number; reactiveFloor?: number };
      asks.push(Math.max(r.planned ?? 0, r.reactiveFloor ?? 0));
    }
    cursor = page.cursor;
  } while (cursor);
  return asks;
}

/** Four significant digits: the record fits one 1 KB write unit instead of two, every cycle, for every twin. */
const fourDigits = (v: number): number => (Number.isFinite(v) && v !== 0 ? Number(v.toPrecision(4)) : v);
