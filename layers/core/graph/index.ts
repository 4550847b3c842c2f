/**
 * The dependency graph. Edges are declared on the caller (`dependsOn`, twin.ts) or discovered
 * from the load series (discover.ts, buildGraph in graph.ts, GET /graph); criticality.ts counts
 * what depends on each twin; propagate.ts combines a downstream's own forecast with its
 * upstreams'. In the live loop the edges travel backwards: sync-upstreams.ts keeps each called
 * twin's `upstreams` (the reverse edges, estimated when put) in step with its callers, and the
 * forecast-and-plan loop reads a downstream's upstreams from them (loop/plan-batch.ts) and
 * propagates through policy/upstream-outlook.ts. sync-upstreams.ts works through the TwinStore
 * port, so it is not exported here with the pure functions.
 */
export {
  type Criticality,
  criticalFirst,
  criticality,
  type DependencyGraph,
  type GraphEdge,
} from './criticality.js';
export { type DiscoveredEdge, type DiscoverOptions, discoverEdge } from './discover.js';
export { buildGraph, type LoadSeries, propagatedForecast, type UpstreamOfTwin } from './graph.js';
export { type Propagated, type PropagationInput, propagate, type UpstreamForecast } from './propagate.js';
