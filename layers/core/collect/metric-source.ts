import type { Sample } from '../series/read-trace.js';
import type { MetricQuery } from '../twin/twin.js';

/** One metric to read, under an id the caller chooses (the collector uses `<twin>/<metric>`). */
export interface MetricRequest {
  id: string;
  query: MetricQuery;
}

/** A request's datapoints in time order, or why there are none. */
export interface MetricResult {
  id: string;
  samples: Sample[];
  error?: string;
}

/** Where metrics come from: CloudWatch in AWS, replayed traces locally. */
export interface MetricSource {
  /** Datapoints with from ≤ t < to for every request; a failing request does not fail the others. */
  read(requests: readonly MetricRequest[], from: number, to: number): Promise<MetricResult[]>;
}
