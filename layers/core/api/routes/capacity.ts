import { CapacityFitRecordSchema } from '../../store/records.js';
import { CapacityModelRecordSchema, TwinSchema } from '../../twin/twin.js';
import { invalid } from '../http.js';
import { route } from '../route.js';
import { PageQuerySchema, pageOf, TwinParamsSchema } from '../schemas.js';
import { patchWithRetry, twinOr404 } from './twins.js';

/** A capacity model as a person gives it: `fittedAt` defaults to now. */
const CapacityModelBodySchema = CapacityModelRecordSchema.extend({
  fittedAt: CapacityModelRecordSchema.shape.fittedAt.optional(),
}).strict();

export const capacityRoutes = [
  route({
    method: 'PUT',
    path: '/twins/{id}/capacity-model',
    summary:
      "Replace a twin's capacity model. One without its line (idleUtilization, utilizationPerLoad) serves until the loop fits one from the twin's load and CPU, and is then replaced",
    params: TwinParamsSchema,
    body: CapacityModelBodySchema,
    response: { status: 200, schema: TwinSchema, description: 'the twin with its new capacity model' },
    async handle({ params, body }, { store, now }) {
      if (!(body.low <= body.capacityPerInstance && body.capacityPerInstance <= body.high))
        throw invalid('body.low', 'low ≤ capacityPerInstance ≤ high: the interval must hold the capacity');
      const capacityModel = { ...body, fittedAt: body.fittedAt ?? new Date(now()).toISOString() };
      return { status: 200, body: await patchWithRetry(store, params.id, { capacityModel }) };
    },
  }),
  route({
    method: 'GET',
    path: '/twins/{id}/capacity-fits',
    summary:
      "The loop's capacity model fits of the twin, newest first: each fit stored, kept off the twin (and why), or failed (and why)",
    params: TwinParamsSchema,
    query: PageQuerySchema,
    response: { status: 200, schema: pageOf(CapacityFitRecordSchema), description: 'a page of fits' },
    async handle({ params, query }, { store }) {
      const twin = await twinOr404(store, params.id);
      return { status: 200, body: await store.listRecords(twin.id, 'capacity-fit', query) };
    },
  }),
];
