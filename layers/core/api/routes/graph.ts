import { z } from 'zod';
import { criticality } from '../../graph/criticality.js';
import { buildGraph, type LoadSeries } from '../../graph/graph.js';
import { syncCallerEdges } from '../../graph/sync-upstreams.js';
import { allTwins, TwinConflictError } from '../../store/twin-store.js';
import { DependsOnSchema, declaredEdgesOf, type Twin, TwinSchema } from '../../twin/twin.js';
import { conflict, invalid } from '../http.js';
import { route } from '../route.js';
import { TwinParamsSchema } from '../schemas.js';
import { twinOr404 } from './twins.js';

/** Discovery compares every pair: past this many twins GET /graph lists declared edges only. */
export const MAX_DISCOVERY_TWINS = 50;

const MINUTE = 60_000;

const EdgeSchema = z.object({
  from: z.string().describe('the caller'),
  to: z.string().describe('the twin it calls'),
  source: z.enum(['declared', 'discovered']),
  callRatio: z
    .number()
    .nullable()
    .describe("calls to `to` per unit of `from`'s load (declared, else estimated)"),
  lagMinutes: z.number().nullable().describe("how long after `from`'s load it reaches `to`"),
  confidence: z
    .number()
    .nullable()
    .describe('0–1, how strongly the load series support the edge; null when they could not be read'),
});

/** Each twin's load metric over the window, on one grid (the coarsest of their periods). */
async function loadSeries(
  twins: readonly Twin[],
  read: (id: string, metric: string, from: number, to: number) => Promise<{ t: number; v: number }[]>,
  now: number,
  hours: number,
): Promise<{ series: LoadSeries[]; stepMs: number }> {
  const loads = twins.flatMap((t) => {
    const m = t.metrics.find((q) => q.role === 'load');
    return m ? [{ twin: t, metric: m }] : [];
  });
  const stepMs = Math.max(MINUTE, ...loads.map((l) => l.metric.periodSeconds * 1000));
  const to = Math.floor(now / stepMs) * stepMs;
  const from = to - hours * 3_600_000;
  const slots = (to - from) / stepMs;
  const series = await Promise.all(
    loads.map(async ({ twin, metric }) => {
      const sum = new Float64Array(slots);
      const count = new Float64Array(slots);
      for (const p of await read(twin.id, metric.key, from, to)) {
        const i = Math.floor((p.t - from) / stepMs);
        if (i >= 0 && i < slots) {
          sum[i] += p.v;
          count[i]++;
        }
      }
      return { twinId: twin.id, values: sum.map((s, i) => (count[i] ? s / count[i] : Number.NaN)) };
    }),
  );
  return { series, stepMs };
}

export const graphRoutes = [
  route({
    method: 'GET',
    path: '/graph',
    summary:
      'The dependency graph: every twin with its criticality, the declared edges, and the dependencies the load series show',
    query: z
      .object({
        hours: z.coerce
          .number()
          .int()
          .min(0)
          .max(72)
          .default(24)
          .describe('hours of load the edges are estimated from (0: declared edges only, no estimates)'),
      })
      .strict(),
    response: {
      status: 200,
      schema: z.object({
        nodes: z.array(
          z.object({
            id: z.string(),
            known: z.boolean().describe('false: named but not a twin'),
            dependants: z.number().int().describe('twins that call this one, directly or not'),
            criticality: z
              .number()
              .describe("the dependants, each weighted by its strongest path's confidence (declared: 1)"),
          }),
        ),
        edges: z
          .array(z.object({ from: z.string(), to: z.string() }))
          .describe('the declared edges, as before call ratios (what the dashboard draws)'),
        dependencies: z
          .array(EdgeSchema)
          .describe('declared and discovered edges with what is known of them'),
        discovery: z.object({
          hours: z.number(),
          twins: z.number().int().describe('twins whose load was read'),
          skipped: z.string().optional(),
        }),
      }),
      description: 'the graph',
    },
    async handle({ query }, { store, now }) {
      const twins = await allTwins(store);
      const known = new Set(twins.map((t) => t.id));
      let skipped: string | undefined;
      let read: Twin[] = twins;
      if (query.hours === 0) read = [];
      else if (twins.length > MAX_DISCOVERY_TWINS) {
        read = [];
        skipped = `${twins.length} twins: discovery compares every pair, so it runs for at most ${MAX_DISCOVERY_TWINS}`;
      }
      const { series, stepMs } = await loadSeries(
        read,
        (...a) => store.readSamples(...a),
        now(),
        query.hours,
      );
      const graph = buildGraph(twins, series, { stepMs });
      const crit = criticality(graph);
      const nodes = graph.nodes.map((id) => ({
        id,
        known: known.has(id),
        dependants: crit.get(id)?.dependants ?? 0,
        criticality: crit.get(id)?.weight ?? 0,
      }));
      const edges = twins.flatMap((t) => declaredEdgesOf(t).map((e) => ({ from: t.id, to: e.to })));
      return {
        status: 200,
        body: {
          nodes,
          edges,
          dependencies: graph.edges,
          discovery: { hours: query.hours, twins: series.length, ...(skipped ? { skipped } : {}) },
        },
      };
    },
  }),
  route({
    method: 'PUT',
    path: '/twins/{id}/dependencies',
    summary: 'Replace the twins this twin calls, each a twin id or { to, callRatio?, lagMinutes? }',
    params: TwinParamsSchema,
    body: z
      .object({
        dependsOn: DependsOnSchema.describe(
          "the twins this one calls. Each gets the reverse edge in its `upstreams`, and its planner combines its own forecast with this twin's shifted by the lag and scaled by the ratio: a declared callRatio has confidence 1; what is not declared (ratio, lag) is estimated from the last day of both twins' load with the estimate's confidence (null when there is too little data: the planner estimates it each cycle then). A twin no longer called loses the edge; a twin not created yet gets it when it is created. Writing a reverse edge changes the called twin's version",
        ),
        version: z
          .number()
          .int()
          .positive()
          .optional()
          .describe('the version this change was made against: 409 if the twin changed since'),
      })
      .strict(),
    response: {
      status: 200,
      schema: TwinSchema,
      description: 'the twin with its new dependencies (the twins it calls have their `upstreams` updated)',
    },
    async handle({ params, body }, { store, now }) {
      const self = body.dependsOn.findIndex((e) => (typeof e === 'string' ? e : e.to) === params.id);
      if (self >= 0) throw invalid(`body.dependsOn.${self}`, `a twin cannot call itself ("${params.id}")`);
      let updated: Twin | undefined;
      let before: string[] = [];
      for (let attempt = 0; !updated; attempt++) {
        const twin = await twinOr404(store, params.id);
        if (body.version !== undefined && body.version !== twin.version)
          throw conflict(
            `twin "${twin.id}" is at version ${twin.version}, not ${body.version}: reread it and retry`,
          );
        try {
          updated = await store.updateTwin(twin.id, twin.version, { dependsOn: body.dependsOn });
          before = declaredEdgesOf(twin).map((e) => e.to);
        } catch (e) {
          // without a version from the caller, a concurrent writer only costs a reread
          if (!(e instanceof TwinConflictError) || body.version !== undefined || attempt === 2) throw e;
        }
      }
      // the caller first, then the reverse edges: repeating the request writes any it missed (a
      // removed edge left behind is ignored by the planner, which checks the caller still calls)
      await syncCallerEdges(store, updated, before, now());
      return { status: 200, body: updated };
    },
  }),
];
