import { RemediationRecordSchema } from '../../store/records.js';
import { route } from '../route.js';
import { PageQuerySchema, pageOf, TwinParamsSchema } from '../schemas.js';
import { twinOr404 } from './twins.js';

export const remediationRoutes = [
  route({
    method: 'GET',
    path: '/twins/{id}/remediations',
    summary:
      "The twin's remediation audit log, newest first: each step (auto, requested, approved, rejected, timed-out), who decided and what came of it",
    params: TwinParamsSchema,
    query: PageQuerySchema,
    response: {
      status: 200,
      schema: pageOf(RemediationRecordSchema),
      description: 'a page of remediation steps',
    },
    async handle({ params, query }, { store }) {
      const twin = await twinOr404(store, params.id);
      return { status: 200, body: await store.listRecords(twin.id, 'remediation', query) };
    },
  }),
];
