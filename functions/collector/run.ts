import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { type DiscoveryClients, discoverTwins, registerDiscovered } from '../../layers/aws/discovery.js';
import {
  type CollectionReport,
  type CollectorSettings,
  collectOnce,
} from '../../layers/core/collect/collect.js';
import type { MetricSource } from '../../layers/core/collect/metric-source.js';
import type { TwinStore } from '../../layers/core/store/twin-store.js';
import type { TwinMode } from '../../layers/core/twin/twin.js';

export interface CollectorPorts {
  store: TwinStore;
  source: MetricSource;
  discovery?: DiscoveryClients & { tagKey?: string; mode?: TwinMode };
  log: Logger;
  metrics: Metrics;
  settings: CollectorSettings;
}

/** One scheduled run: register newly tagged services, then collect every twin's metrics. */
export async function runCollector(p: CollectorPorts, now: () => number): Promise<CollectionReport> {
  if (p.discovery) {
    const { created } = await registerDiscovered(p.store, await discoverTwins(p.discovery, p.discovery));
    if (created.length) p.log.info('registered discovered twins', { created });
  }
  const report = await collectOnce({
    store: p.store,
    source: p.source,
    now,
    settings: p.settings,
    progress: (message) => p.log.debug(message),
  });
  // one custom metric ($0.30 a month each): samples and duration are in the "collection done" line
  p.metrics.addMetric('twinsFailed', MetricUnit.Count, report.failed.length);
  for (const f of report.failed) p.log.warn('twin collection failed', f);
  p.log.info('collection done', { ...report, failed: report.failed.length });
  return report;
}
