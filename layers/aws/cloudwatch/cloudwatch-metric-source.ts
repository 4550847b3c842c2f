import {
  type CloudWatchClient,
  GetMetricDataCommand,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import type { MetricRequest, MetricResult, MetricSource } from '../../core/collect/metric-source.js';
import type { Sample } from '../../core/series/read-trace.js';
import { type BackoffOptions, isThrottling, withBackoff } from '../retry.js';

/** GetMetricData's limit on queries per call. */
export const MAX_QUERIES_PER_CALL = 500;

/**
 * Reads metrics with GetMetricData: up to 500 queries per call, every page (NextToken),
 * throttling retried with backoff and jitter. A call CloudWatch rejects as a whole (one bad
 * query fails the batch) is retried query by query, so only the bad query fails.
 */
export class CloudWatchMetricSource implements MetricSource {
  constructor(
    private readonly cw: CloudWatchClient,
    private readonly backoff: BackoffOptions = {},
  ) {}

  async read(requests: readonly MetricRequest[], from: number, to: number): Promise<MetricResult[]> {
    const out: MetricResult[] = [];
    for (let i = 0; i < requests.length; i += MAX_QUERIES_PER_CALL) {
      const batch = requests.slice(i, i + MAX_QUERIES_PER_CALL);
      try {
        out.push(...(await this.readBatch(batch, from, to)));
      } catch (e) {
        if (isThrottling(e) || batch.length === 1) {
          out.push(...batch.map((r) => ({ id: r.id, samples: [], error: describe(e) })));
          continue;
        }
        for (const r of batch) {
          try {
            out.push(...(await this.readBatch([r], from, to)));
          } catch (e1) {
            out.push({ id: r.id, samples: [], error: describe(e1) });
          }
        }
      }
    }
    return out;
  }

  private async readBatch(
    batch: readonly MetricRequest[],
    from: number,
    to: number,
  ): Promise<MetricResult[]> {
    // Query ids must match ^[a-z][a-zA-Z0-9_]*$: ours are positions, mapped back below.
    const queries: MetricDataQuery[] = batch.map((r, i) => ({
      Id: `q${i}`,
      ReturnData: true,
      MetricStat: {
        Metric: {
          Namespace: r.query.namespace,
          MetricName: r.query.metricName,
          Dimensions: r.query.dimensions.map((d) => ({ Name: d.name, Value: d.value })),
        },
        Period: r.query.periodSeconds,
        Stat: r.query.stat,
      },
    }));
    const points = batch.map(() => new Map<number, number>());
    const errors: (string | undefined)[] = batch.map(() => undefined);
    let token: string | undefined;
    do {
      const page = await withBackoff(
        () =>
          this.cw.send(
            new GetMetricDataCommand({
              MetricDataQueries: queries,
              StartTime: new Date(from),
              EndTime: new Date(to),
              ScanBy: 'TimestampAscending',
              NextToken: token,
            }),
          ),
        this.backoff,
      );
      for (const r of page.MetricDataResults ?? []) {
        const i = Number(r.Id?.slice(1));
        if (!(i >= 0 && i < batch.length)) continue;
        r.Timestamps?.forEach((t, j) => {
          const v = r.Values?.[j];
          const ms = t.getTime();
          if (v !== undefined && Number.isFinite(v) && ms >= from && ms < to) points[i].set(ms, v);
        });
        if (r.StatusCode === 'Forbidden' || r.StatusCode === 'InternalError')
          errors[i] = `${r.StatusCode}: ${(r.Messages ?? []).map((m) => m.Value).join('; ') || 'no detail'}`;
      }
      token = page.NextToken;
    } while (token);
    return batch.map((r, i) => {
      const samples: Sample[] = [...points[i]].map(([t, v]) => ({ t, v })).sort((a, b) => a.t - b.t);
      return errors[i] ? { id: r.id, samples, error: errors[i] } : { id: r.id, samples };
    });
  }
}

const describe = (e: unknown): string => {
  const err = e as Error;
  return `${err.name ?? 'Error'}: ${err.message}`;
};
