import type { MetricRequest, MetricResult, MetricSource } from '../../layers/core/collect/metric-source.js';
import type { TraceFeed } from './trace-feed.js';

/**
 * The local runtime's CloudWatch: each twin's load metric is a bundled trace replayed on the
 * runtime's clock (request ids are `<twin>/<metric>`, as the collector names them).
 */
export class TraceMetricSource implements MetricSource {
  constructor(private readonly feeds: ReadonlyMap<string, TraceFeed>) {}

  async read(requests: readonly MetricRequest[], from: number, to: number): Promise<MetricResult[]> {
    return requests.map(({ id }) => {
      const feed = this.feeds.get(id);
      if (!feed)
        return {
          id,
          samples: [],
          error: `no trace plays "${id}" on the local runtime: only the sample twins have metrics here`,
        };
      return { id, samples: feed.samples(from, to) };
    });
  }
}
