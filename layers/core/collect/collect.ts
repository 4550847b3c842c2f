import { z } from 'zod';
import { inParallel } from '../in-parallel.js';
import type { CollectionStatus, TwinStore } from '../store/twin-store.js';
import type { MetricQuery, Twin } from '../twin/twin.js';
import type { MetricRequest, MetricResult, MetricSource } from './metric-source.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export const CollectorSettingsSchema = z.object({
  scheduleMinutes: z
    .number()
    .int()
    .min(1)
    .max(60)
    .default(5)
    .describe('how often the collector runs: GetMetricData bills per metric read, so this sets the bill'),
  overlapMinutes: z
    .number()
    .int()
    .min(0)
    .max(180)
    .default(10)
    .describe('each run rereads this much before the last one, to pick up late datapoints'),
  firstRunHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 14)
    .default(3)
    .describe('history read for a new twin'),
  maxWindowHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 14)
    .default(24)
    .describe('longest window read in one run, after an outage (CloudWatch keeps 1-minute data 15 days)'),
  concurrency: z.number().int().min(1).max(64).default(8).describe('twins written in parallel'),
  utilizationEveryMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(60)
    .describe(
      'how often utilization metrics (CPU) are read: they teach the capacity model, not the next decision',
    ),
});
export type CollectorSettings = z.infer<typeof CollectorSettingsSchema>;

export interface CollectionReport {
  twins: number;
  samplesAdded: number;
  samplesRevised: number;
  failed: { twinId: string; error: string }[];
  durationMs: number;
}

export interface CollectDeps {
  store: TwinStore;
  source: MetricSource;
  now: () => number;
  settings?: z.input<typeof CollectorSettingsSchema>;
  /** Progress, one line per group of twins read. */
  progress?: (message: string) => void;
}

/**
 * One collector run: for every twin, the window since its last collected minute (minus the
 * overlap) is read from the metric source and appended to the store. Load metrics are read every
 * run; utilization metrics, which teach the capacity model rather than the next decision, every
 * `utilizationEveryMinutes` (GetMetricData bills per metric read, not per datapoint, so the same
 * 1-minute data costs a sixth). A cursor moves only once all the metrics it covers are stored, so
 * a crash or a failed query means the next run rereads the window; appends are idempotent, so
 * nothing is lost or doubled. A failing twin is recorded on the twin and does not stop the others.
 */
export async function collectOnce(deps: CollectDeps): Promise<CollectionReport> {
  const s = CollectorSettingsSchema.parse(deps.settings ?? {});
  const started = deps.now();
  const to = Math.floor(started / MINUTE) * MINUTE;
  const report: CollectionReport = {
    twins: 0,
    samplesAdded: 0,
    samplesRevised: 0,
    failed: [],
    durationMs: 0,
  };
  const windowFrom = (since: number | undefined) =>
    Math.max(
      to - s.maxWindowHours * HOUR,
      (since ?? to - s.firstRunHours * HOUR) - s.overlapMinutes * MINUTE,
    );

  const plans: TwinPlan[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.store.listTwins({ limit: 100, cursor });
    for (const twin of page.items) {
      const status = await deps.store.getCollectionStatus(twin.id);
      const load = twin.metrics.filter((m) => m.role === 'load');
      const utilization = twin.metrics.filter((m) => m.role === 'utilization');
      const parts: Part[] = [];
      if (load.length)
        parts.push({ role: 'load', metrics: load, from: windowFrom(status?.collectedThrough) });
      const utilizationSince = load.length ? status?.utilizationThrough : status?.collectedThrough;
      const due =
        utilizationSince === undefined || to - utilizationSince >= s.utilizationEveryMinutes * MINUTE;
      if (utilization.length && due)
        parts.push({ role: 'utilization', metrics: utilization, from: windowFrom(utilizationSince) });
      plans.push({ twin, status, parts });
      report.twins++;
    }
    cursor = page.cursor;
  } while (cursor);

  // Metrics sharing a window share GetMetricData calls: in steady state, one window per role.
  const byWindow = new Map<number, MetricRequest[]>();
  for (const { twin, parts } of plans)
    for (const part of parts) {
      const group = byWindow.get(part.from) ?? [];
      if (group.length === 0) byWindow.set(part.from, group);
      for (const query of part.metrics) group.push({ id: `${twin.id}/${query.key}`, query });
    }
  const results = new Map<string, MetricResult>();
  for (const [from, requests] of byWindow) {
    deps.progress?.(`reading ${requests.length} metrics from ${new Date(from).toISOString()}`);
    for (const r of await deps.source.read(requests, from, to)) results.set(r.id, r);
  }
  await inParallel(plans, s.concurrency, async (plan) => {
    const error = await storeTwin(plan, results);
    if (error) report.failed.push({ twinId: plan.twin.id, error });
  });
  report.durationMs = deps.now() - started;
  return report;

  async function storeTwin({ twin, status, parts }: TwinPlan, results: Map<string, MetricResult>) {
    const store = deps.store;
    const errors: string[] = [];
    const next: CollectionStatus = { ...status, twinId: twin.id, consecutiveFailures: 0 };
    for (const part of parts) {
      const before = errors.length;
      for (const m of part.metrics) {
        const r = results.get(`${twin.id}/${m.key}`);
        if (!r || r.error) {
          errors.push(`${m.key}: ${r?.error ?? 'no result returned'}`);
          continue;
        }
        try {
          const a = await store.appendSamples(twin.id, m.key, r.samples);
          report.samplesAdded += a.added;
          report.samplesRevised += a.revised;
        } catch (e) {
          // the name says what kind of failure it was (throttling, a timeout, a 5xx)
          const err = e as Error;
          errors.push(`${m.key}: ${err.name ?? 'Error'}: ${err.message}`);
        }
      }
      if (errors.length > before) continue;
      // a twin without load metrics counts its utilization as what it has collected
      if (part.role === 'load' || !parts.some((q) => q.role === 'load')) next.collectedThrough = to;
      if (part.role === 'utilization') next.utilizationThrough = to;
    }
    if (errors.length === 0) {
      await store.putCollectionStatus({
        twinId: twin.id,
        collectedThrough: next.collectedThrough,
        utilizationThrough: next.utilizationThrough,
        consecutiveFailures: 0,
      });
      return undefined;
    }
    const error = errors.join('; ');
    await store.putCollectionStatus({
      ...next,
      lastError: error,
      lastErrorAt: new Date(deps.now()).toISOString(),
      consecutiveFailures: (status?.consecutiveFailures ?? 0) + 1,
    });
    return error;
  }
}

interface Part {
  role: 'load' | 'utilization';
  metrics: MetricQuery[];
  from: number;
}

interface TwinPlan {
  twin: Twin;
  status: CollectionStatus | undefined;
  parts: Part[];
}
