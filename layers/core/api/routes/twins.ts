import { z } from 'zod';
import { createTwinWithEdges, syncCallerEdges } from '../../graph/sync-upstreams.js';
import { ForecastRecordSchema } from '../../store/records.js';
import { CollectionStatusSchema, TwinConflictError, type TwinStore } from '../../store/twin-store.js';
import {
  declaredEdgesOf,
  type Twin,
  TwinInputSchema,
  TwinPolicyConfigSchema,
  TwinSchema,
} from '../../twin/twin.js';
import { invalid, notFound } from '../http.js';
import { route } from '../route.js';
import {
  checkRange,
  PageQuerySchema,
  pageOf,
  RangeShape,
  resolveRange,
  TwinParamsSchema,
} from '../schemas.js';

export async function twinOr404(store: TwinStore, id: string): Promise<Twin> {
  const twin = await store.getTwin(id);
  if (!twin) throw notFound(`twin "${id}"`);
  return twin;
}

/**
 * Reads the twin, applies `change` and writes it on the version read; a concurrent writer (the
 * loop's drift watch or capacity fit, another request) costs a reread, twice at most.
 */
export async function updateWithRetry<T = undefined>(
  store: TwinStore,
  id: string,
  change: (twin: Twin) => Promise<{ patch: Parameters<TwinStore['updateTwin']>[2]; result: T }>,
): Promise<{ twin: Twin; result: T }> {
  for (let attempt = 0; ; attempt++) {
    const twin = await twinOr404(store, id);
    const { patch, result } = await change(twin);
    try {
      return { twin: await store.updateTwin(twin.id, twin.version, patch), result };
    } catch (e) {
      if (!(e instanceof TwinConflictError) || attempt === 2) throw e;
    }
  }
}

/** A fixed patch written with `updateWithRetry`: the twin as stored after it. */
export const patchWithRetry = async (
  store: TwinStore,
  id: string,
  patch: Parameters<TwinStore['updateTwin']>[2],
): Promise<Twin> => (await updateWithRetry(store, id, async () => ({ patch, result: undefined }))).twin;

const SERIES_MAX_DAYS = 14;
const FORECAST_MAX_DAYS = 7;

export const twinRoutes = [
  route({
    method: 'GET',
    path: '/twins',
    summary: 'List the twins, a page at a time',
    query: PageQuerySchema,
    response: { status: 200, schema: pageOf(TwinSchema), description: 'a page of twins' },
    async handle({ query }, { store }) {
      return { status: 200, body: await store.listTwins(query) };
    },
  }),
  route({
    method: 'POST',
    path: '/twins',
    summary: 'Register a twin of an Auto Scaling group or ECS service',
    body: TwinInputSchema.strict(),
    response: {
      status: 201,
      schema: TwinSchema,
      description:
        'the twin, version 1 (2 when twins registered before it call it: their edges are its `upstreams`)',
    },
    async handle({ body }, { store, now }) {
      // with the dependency graph's reverse edges: on the twins it calls, and its own from its callers
      return { status: 201, body: await createTwinWithEdges(store, body, now()) };
    },
  }),
  route({
    method: 'GET',
    path: '/twins/{id}',
    summary: 'A twin and its collector status',
    params: TwinParamsSchema,
    response: {
      status: 200,
      schema: z.object({ twin: TwinSchema, collection: CollectionStatusSchema.nullable() }),
      description: 'the twin',
    },
    async handle({ params }, { store }) {
      const twin = await twinOr404(store, params.id);
      return { status: 200, body: { twin, collection: (await store.getCollectionStatus(twin.id)) ?? null } };
    },
  }),
  route({
    method: 'DELETE',
    path: '/twins/{id}',
    summary:
      'Remove a twin and everything stored for it, and its edges from the upstreams of the twins it called',
    params: TwinParamsSchema,
    response: {
      status: 200,
      schema: z.object({ id: z.string(), deleted: z.literal(true) }),
      description: 'deleted',
    },
    async handle({ params }, { store, now }) {
      const twin = await store.getTwin(params.id);
      if (!(await store.deleteTwin(params.id))) throw notFound(`twin "${params.id}"`);
      // the twins it called lose it from their upstreams (those calling it keep their dependsOn)
      if (twin?.dependsOn.length)
        await syncCallerEdges(
          store,
          { id: twin.id, dependsOn: [] },
          declaredEdgesOf(twin).map((e) => e.to),
          now(),
        );
      return { status: 200, body: { id: params.id, deleted: true } };
    },
  }),
  route({
    method: 'PUT',
    path: '/twins/{id}/policy',
    summary: "Replace a twin's scaling policy (fields left out take their defaults)",
    params: TwinParamsSchema,
    body: TwinPolicyConfigSchema.strict(),
    response: { status: 200, schema: TwinSchema, description: 'the twin with its new policy' },
    async handle({ params, body }, { store }) {
      return { status: 200, body: await patchWithRetry(store, params.id, { policy: body }) };
    },
  }),
  route({
    method: 'GET',
    path: '/twins/{id}/series',
    summary: "A metric's samples over a time range (default: the last day)",
    params: TwinParamsSchema,
    query: z
      .object({
        ...RangeShape,
        metric: z.string().optional().describe("the metric's key (default: the twin's load metric)"),
      })
      .strict()
      .superRefine(checkRange(SERIES_MAX_DAYS)),
    response: {
      status: 200,
      schema: z.object({
        twinId: z.string(),
        metric: z.string(),
        stat: z.string(),
        periodSeconds: z.number(),
        from: z.number(),
        to: z.number(),
        points: z.array(z.object({ t: z.number(), v: z.number() })),
      }),
      description: 'samples with from ≤ t < to, in time order (t in ms)',
    },
    async handle({ params, query }, { store, now }) {
      const twin = await twinOr404(store, params.id);
      const key = query.metric ?? (twin.metrics.find((m) => m.role === 'load') ?? twin.metrics[0]).key;
      const metric = twin.metrics.find((m) => m.key === key);
      if (!metric)
        throw invalid(
          'query.metric',
          `one of ${twin.metrics.map((m) => `"${m.key}"`).join(', ')}, got "${key}"`,
        );
      const { from, to } = resolveRange(query, now(), 1);
      const points = await store.readSamples(twin.id, key, from, to);
      return {
        status: 200,
        body: {
          twinId: twin.id,
          metric: key,
          stat: metric.stat,
          periodSeconds: metric.periodSeconds,
          from,
          to,
          points,
        },
      };
    },
  }),
  route({
    method: 'GET',
    path: '/twins/{id}/forecast',
    summary:
      'The latest forecast, and the forecast band each past slot was planned with (default: the last day)',
    params: TwinParamsSchema,
    query: z.object(RangeShape).strict().superRefine(checkRange(FORECAST_MAX_DAYS)),
    response: {
      status: 200,
      schema: z.object({
        twinId: z.string(),
        unit: z.literal('per minute').describe("the load metric's busiest minute in each 5-minute slot"),
        latest: ForecastRecordSchema.nullable(),
        band: z.array(z.object({ t: z.number(), p10: z.number(), p50: z.number(), p90: z.number() })),
      }),
      description: 'p10/p50/p90 of peak demand per minute',
    },
    async handle({ params, query }, { store, now }) {
      const twin = await twinOr404(store, params.id);
      const { from, to } = resolveRange(query, now(), 1);
      const records = [];
      let cursor: string | undefined;
      do {
        const page = await store.listRecords(twin.id, 'forecast', { limit: 100, cursor });
        records.push(...page.items);
        cursor =
          page.items.at(-1) && Date.parse(page.items.at(-1)?.at ?? '') >= from ? page.cursor : undefined;
      } while (cursor);
      const inRange = records.filter((r) => Date.parse(r.at) >= from && Date.parse(r.at) < to).reverse();
      // each slot as it was forecast when it was planned: the record's first point
      const band = inRange.flatMap((r) => (r.points.length ? [r.points[0]] : []));
      return {
        status: 200,
        body: { twinId: twin.id, unit: 'per minute', latest: records[0] ?? null, band },
      };
    },
  }),
];
