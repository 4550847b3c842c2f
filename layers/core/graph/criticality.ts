/** An edge of the dependency graph: `from` calls `to`, so load on `from` becomes load on `to`. */
export interface GraphEdge {
  from: string;
  to: string;
  source: 'declared' | 'discovered';
  callRatio: number | null;
  lagMinutes: number | null;
  /** 0–1, how strongly the load series support the edge; null when there was no data to judge. */
  confidence: number | null;
}

export interface DependencyGraph {
  nodes: readonly string[];
  edges: readonly GraphEdge[];
}

export interface Criticality {
  /** Twins that call this one, directly or through others: they suffer when it falls behind. */
  dependants: number;
  /**
   * The dependants each counted by their strongest path to this twin (the product of the edges'
   * weights: a declared edge 1, a discovered one its confidence), so a guessed edge counts less.
   */
  weight: number;
}

const edgeWeight = (e: GraphEdge) =>
  e.source === 'declared' ? 1 : Math.max(0, Math.min(1, e.confidence ?? 0));

/**
 * What depends on each twin, following edges backwards from it. Cycles (A calls B calls A) are
 * fine: each dependant is counted once, a twin never counts itself, and path weights only
 * shrink along a path, so the search ends.
 */
export function criticality(graph: DependencyGraph): Map<string, Criticality> {
  const callers = new Map<string, GraphEdge[]>();
  for (const e of graph.edges) callers.set(e.to, [...(callers.get(e.to) ?? []), e]);
  const out = new Map<string, Criticality>();
  const ids = new Set([...graph.nodes, ...graph.edges.flatMap((e) => [e.from, e.to])]);
  for (const id of ids) {
    const best = new Map<string, number>([[id, 1]]);
    const queue = [id];
    while (queue.length) {
      const at = queue.shift() as string;
      const here = best.get(at) as number;
      for (const e of callers.get(at) ?? []) {
        const w = here * edgeWeight(e);
        if (w > (best.get(e.from) ?? -1)) {
          best.set(e.from, w);
          queue.push(e.from);
        }
      }
    }
    best.delete(id);
    let weight = 0;
    for (const w of best.values()) weight += w;
    out.set(id, { dependants: best.size, weight });
  }
  return out;
}

/** Twins in the order scaling and remediation work should take them: most depended on first. */
export function criticalFirst(graph: DependencyGraph): string[] {
  const c = criticality(graph);
  return [...c.keys()].sort(
    (a, b) =>
      (c.get(b)?.weight ?? 0) - (c.get(a)?.weight ?? 0) ||
      (c.get(b)?.dependants ?? 0) - (c.get(a)?.dependants ?? 0) ||
      a.localeCompare(b),
  );
}

/**
 * How much depends on a twin, as far as its own item tells: its direct callers (`upstreams`), a
 * declared edge counting 1 and an estimated one its confidence. The planner's batches see only
 * their own twins, so this is the part of `criticality` they can know without reading the graph.
 */
export const directDependantsWeight = (
  upstreams: readonly { source: string; confidence: number }[],
): number =>
  upstreams.reduce(
    (sum, e) => sum + (e.source === 'declared' ? 1 : Math.max(0, Math.min(1, e.confidence))),
    0,
  );

/**
 * A batch's capacity changes in the order the actuator should start them (it runs a few at a
 * time, and its concurrency is capped): the most depended-on twin first, since its callers suffer
 * too while it lags; of equal weight, scale-outs before scale-ins (a late scale-in costs money, a
 * late scale-out costs requests); then by twin id, so the order is the same on a retry.
 */
export function scalingOrder<T extends { twinId: string; weight: number; from?: number; to: number }>(
  changes: readonly T[],
): T[] {
  const outward = (c: T) => (c.from === undefined || c.to > c.from ? 1 : 0);
  return [...changes].sort(
    (a, b) => b.weight - a.weight || outward(b) - outward(a) || a.twinId.localeCompare(b.twinId),
  );
}
