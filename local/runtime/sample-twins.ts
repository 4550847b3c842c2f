import { MINUTE_MS } from '../../layers/core/series/grid.js';
import type { TwinInput } from '../../layers/core/twin/twin.js';
import { loadTrace, readManifest, TraceSetError } from '../bench/trace-set.js';
import { fittedCapacity } from '../fixtures/twins.js';
import { TraceFeed } from './trace-feed.js';

/** A twin the local runtime registers, backed by a bundled real trace. */
interface SampleTwin {
  id: string;
  trace: string;
  about: string;
  dependsOn: string[];
}

export const SAMPLE_TWINS: readonly SampleTwin[] = [
  {
    id: 'storefront',
    trace: 'wc98-requests-dev',
    about: 'the 1998 World Cup web site: requests per minute',
    dependsOn: ['checkout'],
  },
  {
    id: 'checkout',
    trace: 'nab-elb-requests-8c0756',
    about: 'an AWS load balancer: RequestCount per 5 minutes',
    dependsOn: [],
  },
  {
    id: 'feed-ingest',
    trace: 'nab-twitter-aapl',
    about: 'tweets mentioning AAPL per 5 minutes',
    dependsOn: ['checkout'],
  },
];

/** The tenant every sample twin belongs to. */
export const SAMPLE_TENANT = 'acme';

/** Fleets sized so the trace's busy minutes need about this many instances at 100 %. */
const BUSY_INSTANCES = 12;

export interface LoadedSample {
  twin: TwinInput;
  feed: TraceFeed;
  about: string;
  /** Demand per minute at time t (the trace's count spread over its step). */
  demandAt(t: number): number;
  capacityPerInstance: number;
}

/** The sample twins with their traces from `dir`, replayed from `historyDays` before `clockStart`. */
export function loadSampleTwins(dir: string, clockStart: number, historyDays: number): LoadedSample[] {
  const manifest = readManifest(dir);
  return SAMPLE_TWINS.map((s) => {
    const entry = manifest.find((e) => e.id === s.trace);
    if (!entry) throw new TraceSetError(`trace ${s.trace} (twin ${s.id}) is not in ${dir}/manifest.json`);
    const { grid } = loadTrace(dir, entry);
    const feed = new TraceFeed(grid, clockStart, historyDays);
    const stepMinutes = grid.stepMs / MINUTE_MS;
    const perMinute = [...grid.values]
      .filter(Number.isFinite)
      .map((v) => v / stepMinutes)
      .sort((a, b) => a - b);
    const busy = perMinute[Math.floor(0.95 * (perMinute.length - 1))];
    const capacityPerInstance = Math.max(1, Math.round(busy / BUSY_INSTANCES));
    const twin: TwinInput = {
      id: s.id,
      target: { kind: 'asg', autoScalingGroupName: `${s.id}-asg` },
      metrics: [
        {
          key: 'requests',
          role: 'load',
          namespace: 'AWS/ApplicationELB',
          metricName: 'RequestCount',
          stat: 'Sum',
          periodSeconds: grid.stepMs / 1000,
        },
      ],
      capacityModel: fittedCapacity(capacityPerInstance, new Date(clockStart).toISOString()),
      policy: { mode: 'forecast-and-scale', minInstances: 1, maxInstances: 60, maxStep: 20 },
      dependsOn: s.dependsOn,
      // one tenant group for the dashboard's Groups panel (GET /groups)
      tags: { 'twinscale:tenant': SAMPLE_TENANT },
    };
    const demandAt = (t: number) => {
      const v = feed.valueAt(t);
      return Number.isFinite(v) ? v / stepMinutes : 0;
    };
    return { twin, feed, about: s.about, demandAt, capacityPerInstance };
  });
}
