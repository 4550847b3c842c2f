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
