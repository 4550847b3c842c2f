import { DecisionRecordSchema } from '../../store/records.js';
import { route } from '../route.js';
import { PageQuerySchema, pageOf, TwinParamsSchema } from '../schemas.js';
import { twinOr404 } from './twins.js';

export const decisionRoutes = [
  route({
    method: 'GET',
    path: '/twins/{id}/decisions',
    summary: "The twin's scaling decisions and their reasons, newest first",
    params: TwinParamsSchema,
    query: PageQuerySchema,
    response: { status: 200, schema: pageOf(DecisionRecordSchema), description: 'a page of decisions' },
    async handle({ params, query }, { store }) {
      const twin = await twinOr404(store, params.id);
      return { status: 200, body: await store.listRecords(twin.id, 'decision', query) };
    },
  }),
];
