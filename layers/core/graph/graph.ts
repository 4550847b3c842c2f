import type { QuantileForecast } from '../forecast/types.js';
import { declaredEdgesOf, type Twin } from '../twin/twin.js';
import type { DependencyGraph, GraphEdge } from './criticality.js';
import { type DiscoveredEdge, discoverEdge } from './discover.js';
import { type Propagated, propagate } from './propagate.js';

/** A twin's load on a regular grid shared by every twin of the graph (NaN: not observed). */
export interface LoadSeries {
  twinId: string;
  values: Float64Array;
}

export interface GraphOptions {
  stepMs: number;
  /** A discovered edge is kept at this confidence or more (declared edges are always kept). */
  minConfidence?: number;
  maxLagMinutes?: number;
}

/**
 * The dependency graph: the declared edges, each filled in from the load series where the
 * series can tell (ratio and lag when not declared, and a confidence), and the edges the
 * series show that nobody declared. A discovered edge points from the series that leads to the
 * one that follows; at lag 0 the data cannot tell who calls whom, and the busier twin is taken
 * as the caller.
 */
export function buildGraph(
  twins: readonly Twin[],
  series: readonly LoadSeries[],
  o: GraphOptions,
): DependencyGraph {
  const { stepMs, minConfidence = 0.5, maxLagMinutes = 30 } = o;
  const byId = new Map(series.map((s) => [s.twinId, s.values]));
  const found = (from: string, to: string): DiscoveredEdge | undefined => {
    const u = byId.get(from);
    const d = byId.get(to);
    return u && d ? discoverEdge(u, d, { stepMs, maxLagMinutes }) : undefined;
  };
  const edges: GraphEdge[] = [];
  const pairKey = (a: string, b: string) => (a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`);
  const declaredPairs = new Set<string>();
  for (const t of twins) {
    for (const e of declaredEdgesOf(t)) {
      declaredPairs.add(pairKey(t.id, e.to));
      const seen = found(t.id, e.to);
      edges.push({
        from: t.id,
        to: e.to,
        source: 'declared',
        callRatio: e.callRatio ?? seen?.ratio ?? null,
        lagMinutes: e.lagMinutes ?? seen?.lagMinutes ?? null,
        confidence: seen ? seen.confidence : null,
      });
    }
  }
  const ids = series.map((s) => s.twinId).sort();
  for (let i = 0; i < ids.length; i++) {
    for (let j = i + 1; j < ids.length; j++) {
      const [a, b] = [ids[i], ids[j]];
      if (declaredPairs.has(pairKey(a, b))) continue;
      const ab = found(a, b);
      const ba = found(b, a);
      let pick: { from: string; to: string; e: DiscoveredEdge } | undefined;
      if (ab && (!ba || ab.confidence > ba.confidence)) pick = { from: a, to: b, e: ab };
      else if (ba) pick = { from: b, to: a, e: ba };
      if (pick && pick.e.lagMinutes === 0 && meanOf(byId.get(pick.to)) > meanOf(byId.get(pick.from))) {
        const back = pick.from === a ? ba : ab;
        if (back) pick = { from: pick.to, to: pick.from, e: back };
      }
      if (!pick || !(pick.e.confidence >= minConfidence) || !(pick.e.ratio > 0)) continue;
      edges.push({
        from: pick.from,
        to: pick.to,
        source: 'discovered',
        callRatio: pick.e.ratio,
        lagMinutes: pick.e.lagMinutes,
        confidence: pick.e.confidence,
      });
    }
  }
  const nodes = [...new Set([...twins.map((t) => t.id), ...edges.flatMap((e) => [e.from, e.to])])];
  return { nodes, edges };
}

function meanOf(v: Float64Array | undefined): number {
  if (!v) return 0;
  let s = 0;
  let n = 0;
  for (const x of v)
    if (Number.isFinite(x)) {
      s += x;
      n++;
    }
  return n ? s / n : 0;
}

/** An upstream as the planner has it: the twin, its load up to the origin, and its latest forecast. */
export interface UpstreamOfTwin {
  twin: Twin;
  history: Float64Array;
  forecast: QuantileForecast;
  /** The upstream forecast's recent mean absolute error over the horizon. */
  forecastMAE: number;
}

/**
 * The downstream twin's forecast with its upstreams' (the twins whose `dependsOn` names it)
 * propagated along the edges, every edge estimated afresh from the histories (for analysis over
 * a whole graph; the live planner uses the edges kept on the twin, policy/upstream-outlook.ts). Each edge's lag and ratio are the
 * declared ones where declared, else estimated from the two histories; its confidence always
 * comes from the histories, so a declared edge the data does not support gets no weight.
 * Every series is on the same grid and ends at the same origin.
 */
export function propagatedForecast(
  twin: Pick<Twin, 'id'>,
  own: { history: Float64Array; forecast: QuantileForecast; forecastMAE: number; stepMs: number },
  upstreams: readonly UpstreamOfTwin[],
  options: { maxLagMinutes?: number; minConfidence?: number } = {},
): Propagated {
  const parts = upstreams.flatMap((u) => {
    const declared = declaredEdgesOf(u.twin).find((e) => e.to === twin.id);
    const seen = discoverEdge(u.history, own.history, {
      stepMs: own.stepMs,
      maxLagMinutes: options.maxLagMinutes,
    });
    if (!seen) return [];
    return [
      {
        id: u.twin.id,
        history: u.history,
        forecast: u.forecast,
        forecastMAE: u.forecastMAE,
        edge: {
          lagMinutes: declared?.lagMinutes ?? seen.lagMinutes,
          ratio: declared?.callRatio ?? seen.ratio,
          confidence: seen.confidence,
        },
      },
    ];
  });
  return propagate({
    history: own.history,
    stepMs: own.stepMs,
    own: own.forecast,
    ownMAE: own.forecastMAE,
    upstreams: parts,
    minConfidence: options.minConfidence,
  });
}
