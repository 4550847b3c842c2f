import { z } from 'zod';
import { inParallel } from '../in-parallel.js';
import type { TwinStore } from '../store/twin-store.js';
import type { Twin } from '../twin/twin.js';
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
 * overlap) is read from the metric source and appended to the store. A twin's cursor moves only
 * once all its metrics are stored, so a crash or a failed query means the next run rereads the
 * window; appends are idempotent, so nothing is lost or doubled. A failing twin is recorded on
 * the twin and does not stop the others.
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

  // Twins sharing a window share GetMetricData calls: in steady state, all of them.
  const byWindow = new Map<number, Twin[]>();
  let cursor: string | undefined;
  do {
    const page = await deps.store.listTwins({ limit: 100, cursor });
    for (const twin of page.items) {
      const status = await deps.store.getCollectionStatus(twin.id);
      const since = status?.collectedThrough ?? to - s.firstRunHours * HOUR;
      const from = Math.max(to - s.maxWindowHours * HOUR, since - s.overlapMinutes * MINUTE);
      const group = byWindow.get(from);
      if (group) group.push(twin);
      else byWindow.set(from, [twin]);
      report.twins++;
    }
    cursor = page.cursor;
  } while (cursor);

  for (const [from, twins] of byWindow) {
    const requests: MetricRequest[] = twins.flatMap((t) =>
      t.metrics.map((query) => ({ id: `${t.id}/${query.key}`, query })),
    );
    deps.progress?.(
      `reading ${requests.length} metrics of ${twins.length} twins from ${new Date(from).toISOString()}`,
    );
    const results = new Map((await deps.source.read(requests, from, to)).map((r) => [r.id, r]));
    await inParallel(twins, s.concurrency, async (twin) => {
      const error = await storeTwin(twin, results);
      if (error) report.failed.push({ twinId: twin.id, error });
    });
  }
  report.durationMs = deps.now() - started;
  return report;

  async function storeTwin(twin: Twin, results: Map<string, MetricResult>): Promise<string | undefined> {
    const store = deps.store;
    const errors: string[] = [];
    for (const m of twin.metrics) {
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
        errors.push(`${m.key}: ${(e as Error).message}`);
      }
    }
    const previous = await store.getCollectionStatus(twin.id);
    if (errors.length === 0) {
      await store.putCollectionStatus({ twinId: twin.id, collectedThrough: to, consecutiveFailures: 0 });
      return undefined;
    }
    const error = errors.join('; ');
    await store.putCollectionStatus({
      twinId: twin.id,
      collectedThrough: previous?.collectedThrough,
      lastError: error,
      lastErrorAt: new Date(deps.now()).toISOString(),
      consecutiveFailures: (previous?.consecutiveFailures ?? 0) + 1,
    });
    return error;
  }
}
