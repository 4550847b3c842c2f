import { BoundsConflictError, type TargetState } from '../act/scaling-target.js';
import { forecastWithPrior, type LoadPrior } from '../forecast/prior.js';
import { DAY_MS, MINUTE_MS } from '../series/grid.js';
import type { Sample } from '../series/read-trace.js';
import { instancesFor } from '../simulate/physics.js';
import { median } from '../stats.js';
import type { Twin, TwinPolicyConfig } from '../twin/twin.js';
import { quantileFromBand } from './demand-outlook.js';
import { applyGuardrails } from './guardrails.js';
import type { Decision } from './types.js';
import {
  perMinuteDemand,
  slotPeaks,
  type UpstreamOutlook,
  type UpstreamsInput,
  withUpstreams,
} from './upstream-outlook.js';

/** The planning slot: demand is forecast as each slot's busiest minute, as in the benchmark. */
export const SLOT_MS = 5 * MINUTE_MS;
/** Slots forecast ahead: an hour, for the record and the dashboard; the plan reads the first few. */
export const HORIZON_SLOTS = 12;
/** History the forecaster learns from. */
export const HISTORY_DAYS = 14;
/** CPU older than this is too stale to estimate capacity from (the collector reads it every hour by default). */
export const CPU_FRESH_MS = 2 * 60 * MINUTE_MS;

export interface LivePlanInput {
  twin: Twin;
  /** The load metric's samples (per its period), up to now. */
  load: readonly Sample[];
  /** The utilization metric's recent samples (CPU %), when the twin has one. */
  utilization?: readonly Sample[];
  target: TargetState;
  /** What earlier decisions inside the stabilization window asked for (plan or reactive floor). */
  recentAsks: readonly number[];
  now: number;
  /** Minutes until the next decision: the plan covers them plus the warm-up. */
  scheduleMinutes: number;
  /**
   * For a twin with upstreams (twin.upstreams), what the loop read of them: the forecast is then
   * the own model's combined with theirs (policy/upstream-outlook.ts). Absent: the own model alone.
   */
  upstreams?: UpstreamsInput;
}

export interface LiveForecast {
  t0: number;
  stepMs: number;
  p10: number[];
  p50: number[];
  p90: number[];
  model: string;
}

export interface LivePlan {
  decision: Decision;
  forecast: LiveForecast;
  capacityPerInstance: number;
}

/** A twin that cannot be planned yet; the message says what is missing and how to supply it. */
export class PlanInputError extends Error {
  override readonly name = 'PlanInputError';
}

/**
 * What every policy of a twin plans from in a cycle, computed once however many policies are
 * planned (the live one and its shadow candidates): the forecast, the capacity per instance and
 * the last observed demand.
 */
export interface LiveOutlook {
  forecast: LiveForecast;
  capacityPerInstance: number;
  /** Demand per minute in the latest sample before now: the reactive floor's input. */
  lastObservedDemand: number;
  /** Set when upstreams were given: the weight of the own model and of each upstream in the forecast. */
  propagated?: UpstreamOutlook['weights'];
  /** Set when upstreams were given: each estimated edge's estimate from this cycle's reads. */
  upstreamEstimates?: UpstreamOutlook['estimates'];
  /** Set when the capacity per instance is not the twin's own: where it came from (the decision's reason says). */
  capacityFrom?: string;
}

/** One policy's turn on the outlook: its settings, and the state its guardrails start from. */
export interface PolicyPlanInput {
  twin: Pick<Twin, 'target'>;
  policy: TwinPolicyConfig;
  /** The target's bounds (and, for the live policy, its capacity). */
  target: TargetState;
  /** The capacity the max step and stabilization step from: the target's for the live policy. */
  previous: number;
  /** What this policy's earlier decisions inside its stabilization window asked for. */
  recentAsks: readonly number[];
  now: number;
  scheduleMinutes: number;
}

/**
 * One decision for a live twin, as the benchmark's planner makes it each minute: the capacity
 * that the forecast quantile of peak demand needs over the minutes this decision governs (from
 * now until instances launched at the next decision serve), at the policy's target utilization;
 * then the guardrails against the target's current capacity and bounds.
 */
export function planLive(p: LivePlanInput): LivePlan {
  const outlook = liveOutlook(p);
  const decision = planWithPolicy(outlook, {
    twin: p.twin,
    policy: p.twin.policy,
    target: p.target,
    previous: p.target.capacity,
    recentAsks: p.recentAsks,
    now: p.now,
    scheduleMinutes: p.scheduleMinutes,
  });
  return { decision, forecast: outlook.forecast, capacityPerInstance: outlook.capacityPerInstance };
}

/** The forecast and capacity per instance of a twin now: the part of planning no policy setting changes. */
export function liveOutlook(p: Omit<LivePlanInput, 'recentAsks'>): LiveOutlook {
  const { twin, now } = p;
  const loadQuery = twin.metrics.find((m) => m.role === 'load');
  if (!loadQuery) {
    throw new PlanInputError(`twin "${twin.id}" has no metric with role "load": add the metric to forecast`);
  }
  const perMinute = perMinuteDemand(p.load, loadQuery).filter((s) => s.t < now);
  if (perMinute.length === 0) {
    throw new PlanInputError(
      `twin "${twin.id}" has no samples of "${loadQuery.key}" yet: the collector must run first`,
    );
  }
  // capacity first: a twin without it stops before the forecast is paid for
  const { k, from } = capacityPerInstance(p, perMinute);
  // a young twin of a family: the family's prior blended in (forecast/prior.ts), none past a week
  const own = forecastPeaks(perMinute, now, twin.prior);
  // the upstreams' part before any widening: a recalibrating twin widens the combined band
  const combined = p.upstreams?.upstreams.length
    ? withUpstreams(own.forecast, own.peaks, p.upstreams, {
        now,
        scheduleMinutes: p.scheduleMinutes,
        ownMetric: loadQuery.key,
      })
    : undefined;
  return {
    forecast: widenedWhileRecalibrating(combined?.forecast ?? own.forecast, twin, now),
    capacityPerInstance: k,
    lastObservedDemand: perMinute[perMinute.length - 1].v,
    ...(combined ? { propagated: combined.weights, upstreamEstimates: combined.estimates } : {}),
    ...(from ? { capacityFrom: from } : {}),
  };
}

/** One policy's decision on the outlook: its plan, then its guardrails. */
export function planWithPolicy(o: LiveOutlook, p: PolicyPlanInput): Decision {
  const { policy, now } = p;
  const k = o.capacityPerInstance;
  const reach = p.scheduleMinutes + policy.warmupMinutes;
  const forecastPeak = peakOver(o.forecast, now, now + reach * MINUTE_MS, policy.quantile);
  const u = policy.targetUtilization;
  const last = o.lastObservedDemand;
  const planned = instancesFor(forecastPeak * (1 + policy.headroom), k, u);
  const reactiveFloor = instancesFor(last, k, u);
  const minInstances = Math.max(p.target.min, policy.minInstances ?? 0);
  const maxInstances = Math.min(p.target.max, policy.maxInstances ?? Number.POSITIVE_INFINITY);
  if (minInstances > maxInstances) throw new BoundsConflictError(p.twin.target, minInstances, maxInstances);
  const { desired, boundBy } = applyGuardrails({
    planned,
    reactiveFloor,
    recentAsk: Math.max(0, ...p.recentAsks),
    previous: p.previous,
    maxStep: policy.maxStep,
    minInstances,
    maxInstances,
  });
  return {
    desired,
    reason: {
      boundBy,
      planned,
      forecastPeak,
      quantile: policy.quantile,
      targetUtilization: u,
      window: [0, reach],
      reactiveFloor,
      lastObservedDemand: last,
      model: o.forecast.model,
      ...(o.capacityFrom ? { capacityFrom: o.capacityFrom } : {}),
    },
  };
}

/**
 * The capacity model when there is one (the loop fits one for a twin with CPU: twin/capacity-upkeep.ts);
 * until then read off the latest half hour of CPU
 * (collected less often than load, so up to a couple of hours old): load per instance over the
 * CPU it caused, the fleet running now standing in for that half hour's. Without either, the
 * family prior's capacity per instance (the median of its members' models), said so in `from`.
 */
function capacityPerInstance(
  p: Omit<LivePlanInput, 'recentAsks'>,
  load: Sample[],
): { k: number; from?: string } {
  if (p.twin.capacityModel) return { k: p.twin.capacityModel.capacityPerInstance };
  const recentCpu = (p.utilization ?? []).filter((s) => s.t >= p.now - CPU_FRESH_MS && s.t < p.now);
  const last = recentCpu.at(-1)?.t ?? Number.NEGATIVE_INFINITY;
  const cpu = new Map(recentCpu.filter((s) => s.t > last - 30 * MINUTE_MS).map((s) => [s.t, s.v]));
  const ratios = load
    .filter((s) => (cpu.get(s.t) ?? 0) >= 5)
    .map((s) => s.v / (Math.max(1, p.target.running) * ((cpu.get(s.t) as number) / 100)));
  if (ratios.length >= 3) return { k: median(ratios) };
  const prior = p.twin.prior;
  if (prior?.capacityPerInstance)
    return {
      k: prior.capacityPerInstance,
      from: `family prior: median capacity of ${prior.members.join(', ')} (this twin has no capacity model yet)`,
    };
  throw new PlanInputError(
    `twin "${p.twin.id}" has no capacity model and too few recent utilization samples to estimate one: ` +
      'add a metric with role "utilization" (CPUUtilization) or set one with PUT /twins/{id}/capacity-model',
  );
}

/** Slot peaks over the last HISTORY_DAYS, on a grid anchored to the epoch, then the forecast. */
function forecastPeaks(
  load: Sample[],
  now: number,
  prior: LoadPrior | undefined,
): { forecast: LiveForecast; peaks: Float64Array } {
  const origin = Math.floor(now / SLOT_MS) * SLOT_MS;
  const t0 = origin - HISTORY_DAYS * DAY_MS;
  const peaks = slotPeaks(load, t0, (origin - t0) / SLOT_MS, SLOT_MS);
  // The slot in progress has not peaked yet: the forecast starts at it, the last sample covers it.
  if (!peaks.some((v) => !Number.isNaN(v))) peaks[peaks.length - 1] = load[load.length - 1].v;
  const f = forecastWithPrior({ history: peaks, t0, stepMs: SLOT_MS, horizon: HORIZON_SLOTS }, prior);
  return {
    forecast: {
      t0: origin,
      stepMs: SLOT_MS,
      p10: [...f.p10],
      p50: [...f.p50],
      p90: [...f.p90],
      model: f.model,
    },
    peaks,
  };
}

/**
 * While the twin recalibrates after a drift (its `calibration` set by the loop's drift watch),
 * the band's half-widths are stretched around the median: the planner provisions for a quantile
 * further from it, and the next residuals are judged against the wider band until they settle.
 */
function widenedWhileRecalibrating(
  f: LiveForecast,
  twin: Pick<Twin, 'calibration'>,
  now: number,
): LiveForecast {
  const c = twin.calibration;
  if (!c || !(Date.parse(c.widenUntil) > now)) return f;
  const s = c.bandScale;
  return {
    ...f,
    p10: f.p10.map((v, h) =>
      v >= 0 ? Math.max(0, f.p50[h] - s * (f.p50[h] - v)) : f.p50[h] - s * (f.p50[h] - v),
    ),
    p90: f.p90.map((v, h) => f.p50[h] + s * (v - f.p50[h])),
    model: `${f.model} (band ×${s} after drift)`,
  };
}

/** The forecast quantile's peak over [from, to). */
function peakOver(f: LiveForecast, from: number, to: number, q: number): number {
  const atQ = quantileFromBand(q);
  let peak = 0;
  for (let h = 0; h < f.p50.length; h++) {
    const start = f.t0 + h * f.stepMs;
    if (start + f.stepMs <= from || start >= to) continue;
    peak = Math.max(peak, atQ(f.p50[h], f.p90[h]));
  }
  return peak;
}
