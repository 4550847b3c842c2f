import { SLOT_MS } from '../policy/live-plan.js';
import { MAX_ESTIMATED_LAG_MINUTES, perMinuteDemand, slotPeaks } from '../policy/upstream-outlook.js';
import { DAY_MS } from '../series/grid.js';
import { allTwins, TwinConflictError, type TwinStore } from '../store/twin-store.js';
import {
  type DeclaredEdge,
  declaredEdgesOf,
  type Twin,
  type TwinInput,
  type UpstreamEdge,
} from '../twin/twin.js';
import { type DiscoveredEdge, discoverEdge } from './discover.js';

/**
 * Keeps each twin's `upstreams` (the reverse of its callers' `dependsOn`, twin.ts) in step with
 * the callers, so that the live planner of a downstream twin finds its upstreams on its own item
 * (layers/core/loop/plan-batch.ts). Called where edges change: a caller's dependencies put, a twin
 * created (its own calls, and the calls already naming it), a twin deleted. The caller is written
 * first, then each twin it calls, each under optimistic locking with rereads: a failure part-way
 * leaves some reverse edges behind, and repeating the same request puts them right (every step
 * is idempotent).
 */

/** Load read per twin to estimate an edge with nothing declared: a day on the planner's slot grid. */
export const ESTIMATE_HISTORY_MS = DAY_MS;
/**
 * An estimated edge is stored again once its estimate is this old: the live planner re-estimates
 * it every cycle from the day it reads (policy/upstream-outlook.ts), and stores that once a day, so
 * that an edge skipped as too weak to read (PROPAGATION_MIN_CONFIDENCE) is read and judged again.
 */
export const ESTIMATE_REFRESH_MS = DAY_MS;

/** Whether the edge's stored estimate is due to be replaced by the planner's (a declared ratio never is). */
export const estimateDue = (edge: UpstreamEdge, now: number): boolean =>
  edge.source === 'estimated' && !(now - Date.parse(edge.updatedAt) < ESTIMATE_REFRESH_MS);

/** Rereads of a twin that keeps changing under the update before giving up. */
const ATTEMPTS = 5;

const round3 = (v: number) => Math.round(v * 1000) / 1000;

/**
 * The reverse edge of `declared`: a declared call ratio has confidence 1; what is not declared is
 * taken from the estimate `seen` (ratio, lag and its confidence), or left null without one (the
 * planner estimates it then from what it reads each cycle).
 */
export function upstreamEdgeOf(
  from: string,
  declared: DeclaredEdge,
  seen: DiscoveredEdge | undefined,
  at: string,
): UpstreamEdge {
  const estimate = seen && seen.ratio > 0 ? seen : undefined;
  if (declared.callRatio !== undefined)
    return {
      from,
      ratio: declared.callRatio,
      lagMinutes: declared.lagMinutes ?? estimate?.lagMinutes ?? null,
      confidence: 1,
      source: 'declared',
      updatedAt: at,
    };
  return {
    from,
    ratio: estimate ? round3(estimate.ratio) : null,
    lagMinutes: declared.lagMinutes ?? estimate?.lagMinutes ?? null,
    confidence: estimate ? round3(estimate.confidence) : 0,
    source: 'estimated',
    updatedAt: at,
  };
}

/** `list` with the edge from `from` replaced by `edge` (removed without one), in caller order. */
export function withUpstream(
  list: readonly UpstreamEdge[],
  from: string,
  edge?: UpstreamEdge,
): UpstreamEdge[] {
  const rest = list.filter((e) => e.from !== from);
  return (edge ? [...rest, edge] : rest).sort((a, b) => a.from.localeCompare(b.from));
}

/** A twin's load as slot peaks of demand per minute over the day before `now` (undefined: no load metric). */
async function peaksOf(store: TwinStore, twin: Twin, now: number): Promise<Float64Array | undefined> {
  const load = twin.metrics.find((m) => m.role === 'load');
  if (!load) return undefined;
  const origin = Math.floor(now / SLOT_MS) * SLOT_MS;
  const from = origin - ESTIMATE_HISTORY_MS;
  const samples = await store.readSamples(twin.id, load.key, from, origin);
  return slotPeaks(perMinuteDemand(samples, load), from, ESTIMATE_HISTORY_MS / SLOT_MS, SLOT_MS);
}

/** Whether the edge needs the data: something is not declared. */
const needsEstimate = (e: DeclaredEdge) => e.callRatio === undefined || e.lagMinutes === undefined;

async function estimate(
  store: TwinStore,
  callerPeaks: () => Promise<Float64Array | undefined>,
  declared: DeclaredEdge,
  callee: Twin,
  now: number,
): Promise<DiscoveredEdge | undefined> {
  if (!needsEstimate(declared)) return undefined;
  const [up, down] = await Promise.all([callerPeaks(), peaksOf(store, callee, now)]);
  return up && down
    ? discoverEdge(up, down, { stepMs: SLOT_MS, maxLagMinutes: MAX_ESTIMATED_LAG_MINUTES })
    : undefined;
}

/** Applies `edit` to the twin's upstreams under optimistic locking; undefined if the twin does not exist. */
async function editUpstreams(
  store: TwinStore,
  id: string,
  edit: (list: readonly UpstreamEdge[]) => UpstreamEdge[],
  first?: Twin,
): Promise<Twin | undefined> {
  let twin = first;
  for (let attempt = 0; ; attempt++) {
    twin ??= await store.getTwin(id);
    if (!twin) return undefined;
    const next = edit(twin.upstreams);
    if (JSON.stringify(next) === JSON.stringify(twin.upstreams)) return twin;
    try {
      return await store.updateTwin(id, twin.version, { upstreams: next });
    } catch (e) {
      // another writer (a second caller, the loop's drift watch) moved the twin: reread, redo
      if (!(e instanceof TwinConflictError) || attempt >= ATTEMPTS - 1) throw e;
      twin = undefined;
    }
  }
}

export interface UpstreamSync {
  /** Twins whose reverse edge from the caller was written. */
  written: string[];
  /** Twins the reverse edge was removed from. */
  removed: string[];
  /** Called twins that do not exist (yet: creating one fills its upstreams in). */
  missing: string[];
}

/**
 * The caller's calls written as reverse edges on the twins it calls, each estimated from a day of
 * the two twins' load where the caller declared no ratio or lag; the reverse edges on `dropped`
 * (twins it called before and calls no more) removed. `caller` as stored after its change; to
 * remove every reverse edge of a deleted twin, give it with no calls.
 */
export async function syncCallerEdges(
  store: TwinStore,
  caller: Pick<Twin, 'id' | 'dependsOn'> & Partial<Twin>,
  dropped: readonly string[],
  now: number,
): Promise<UpstreamSync> {
  const at = new Date(now).toISOString();
  const out: UpstreamSync = { written: [], removed: [], missing: [] };
  let callerRead: Promise<Float64Array | undefined> | undefined;
  const callerPeaks = () => {
    callerRead ??= caller.metrics ? peaksOf(store, caller as Twin, now) : Promise.resolve(undefined);
    return callerRead;
  };
  const edges = declaredEdgesOf(caller).filter((e) => e.to !== caller.id);
  for (const declared of edges) {
    const callee = await store.getTwin(declared.to);
    if (!callee) {
      out.missing.push(declared.to);
      continue;
    }
    const seen = await estimate(store, callerPeaks, declared, callee, now);
    const edge = upstreamEdgeOf(caller.id, declared, seen, at);
    // the edge's time only changes when the edge does, so a repeated request writes nothing
    const kept = (list: readonly UpstreamEdge[]) => {
      const old = list.find((e) => e.from === caller.id);
      return old && JSON.stringify({ ...old, updatedAt: at }) === JSON.stringify(edge) ? old : edge;
    };
    await editUpstreams(store, declared.to, (list) => withUpstream(list, caller.id, kept(list)), callee);
    out.written.push(declared.to);
  }
  const calling = new Set(edges.map((e) => e.to));
  for (const id of new Set(dropped)) {
    if (calling.has(id) || id === caller.id) continue;
    if (await editUpstreams(store, id, (list) => withUpstream(list, caller.id))) out.removed.push(id);
  }
  return out;
}

/**
 * The planner's estimates of a twin's upstream edges stored where they are due (`estimateDue`):
 * each from the caller's declared call and what the day just read showed (an edge the data could
 * not tell about is left as it is, and tried again next cycle).
 */
export async function refreshEstimates(
  store: TwinStore,
  twinId: string,
  fresh: readonly { id: string; declared: DeclaredEdge; seen: DiscoveredEdge | undefined }[],
  now: number,
): Promise<void> {
  const at = new Date(now).toISOString();
  await editUpstreams(store, twinId, (list) =>
    fresh.reduce((next, f) => {
      const old = list.find((e) => e.from === f.id);
      return old && f.seen && estimateDue(old, now)
        ? withUpstream(next, f.id, upstreamEdgeOf(f.id, f.declared, f.seen, at))
        : next;
    }, list.slice()),
  );
}

/**
 * A new twin's upstreams: every twin whose calls already name it (registered before it), each
 * edge estimated as `syncCallerEdges` does. Lists every twin: meant for a twin created through
 * the API, not for bulk discovery.
 */
export async function syncCalledTwin(store: TwinStore, twin: Twin, now: number): Promise<Twin> {
  const callers: { caller: Twin; declared: DeclaredEdge }[] = [];
  for (const t of await allTwins(store)) {
    const declared = t.id === twin.id ? undefined : declaredEdgesOf(t).find((e) => e.to === twin.id);
    if (declared) callers.push({ caller: t, declared });
  }
  if (callers.length === 0) return twin;
  const at = new Date(now).toISOString();
  const edges: UpstreamEdge[] = [];
  for (const { caller, declared } of callers) {
    const seen = await estimate(store, () => peaksOf(store, caller, now), declared, twin, now);
    edges.push(upstreamEdgeOf(caller.id, declared, seen, at));
  }
  const updated = await editUpstreams(
    store,
    twin.id,
    (list) => edges.reduce((acc, e) => withUpstream(acc, e.from, e), [...list]),
    twin,
  );
  return updated ?? twin;
}

/**
 * Creates a twin and keeps the graph in step: the reverse edges of its own calls on the twins it
 * calls, and its upstreams from the twins whose calls already name it. How POST /twins and
 * POST /units create every twin. Throws TwinExistsError when the id is taken.
 */
export async function createTwinWithEdges(store: TwinStore, input: TwinInput, now: number): Promise<Twin> {
  const twin = await store.createTwin(input);
  await syncCallerEdges(store, twin, [], now);
  return syncCalledTwin(store, twin, now);
}
