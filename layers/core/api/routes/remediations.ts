import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { RemediateRequestSchema } from '../../compliance/remediate.js';
import { RemediationRecordSchema } from '../../store/records.js';
import { notFound } from '../http.js';
import { route } from '../route.js';
import { PageQuerySchema, pageOf, TwinParamsSchema } from '../schemas.js';
import { twinOr404 } from './twins.js';

/** A remediate run's id, its execution's name: the time it was asked for (base 36, record-ref.ts's 10 digits at most) and six random characters. */
const RUN_ID = /^remediate-[0-9a-z]{1,10}-[0-9a-z]{6}$/;
const newRunId = (now: number) =>
  `remediate-${now.toString(36)}-${randomBytes(4).readUInt32BE().toString(36).padStart(6, '0').slice(-6)}`;

const RemediateBodySchema = RemediateRequestSchema.omit({ now: true, requestedAt: true });

const RemediateRunSchema = z.object({
  id: z.string(),
  status: z.enum(['running', 'succeeded', 'failed']),
  requestedAt: z.string().optional(),
  error: z.string().optional(),
  location: z.string().optional().describe('where to poll the run'),
  audit: z.string().optional().describe("where each twin's steps are read: GET /twins/{id}/remediations"),
});

export const remediationRoutes = [
  route({
    method: 'POST',
    path: '/remediations',
    summary:
      'Start the remediate workflow: evaluate the policies, then remediate open violations in priority order (at once, or after POST /approvals/{token})',
    body: RemediateBodySchema,
    response: { status: 202, schema: RemediateRunSchema, description: 'started: poll the location' },
    async handle({ body }, { store, workflows, now }) {
      if (body.twinId && !(await store.getTwin(body.twinId))) throw notFound(`twin "${body.twinId}"`);
      const at = now();
      const id = newRunId(at);
      const requestedAt = new Date(at).toISOString();
      await workflows.start('remediate', id, { ...body, now: requestedAt, requestedAt });
      return {
        status: 202,
        body: {
          id,
          status: 'running',
          requestedAt,
          location: `/remediations/${id}`,
          audit: '/twins/{id}/remediations',
        },
      };
    },
  }),
  route({
    method: 'GET',
    path: '/remediations/{runId}',
    summary:
      'A remediate run: running (some remediations may wait for approval), succeeded, or failed and why',
    params: z.object({
      runId: z.string().regex(RUN_ID, 'an id returned by POST /remediations'),
    }),
    response: { status: 200, schema: RemediateRunSchema, description: 'the run' },
    async handle({ params }, { workflows }) {
      const run = await workflows.status('remediate', params.runId);
      if (run.status === 'unknown') throw notFound(`remediate run "${params.runId}"`);
      const requestedAt = new Date(Number.parseInt(params.runId.split('-')[1], 36)).toISOString();
      return {
        status: 200,
        body: {
          id: params.runId,
          status: run.status,
          requestedAt,
          ...(run.error ? { error: run.error } : {}),
        },
      };
    },
  }),
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
