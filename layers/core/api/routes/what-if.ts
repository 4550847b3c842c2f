import { z } from 'zod';
import { OptimizeRequestSchema } from '../../loop/optimize-run.js';
import { ScenarioDocumentSchema } from '../../loop/twin-replay.js';
import type { TwinStore } from '../../store/twin-store.js';
import { noCapacityModel } from '../../twin/capacity-upkeep.js';
import { TwinIdSchema } from '../../twin/twin.js';
import { conflict, notFound } from '../http.js';
import type { ApiPorts, WorkflowName } from '../ports.js';
import { newRecordRef, parseRecordRef, recordRefPattern } from '../record-ref.js';
import { route } from '../route.js';
import { TwinParamsSchema } from '../schemas.js';
import { twinOr404 } from './twins.js';

/** A what-if run's id: its twin, the time it was asked for, six random characters. */
export const RUN_ID = recordRefPattern('{6}');

const RunIdParamsSchema = z.object({
  id: z.string().regex(RUN_ID, 'an id returned by POST /twins/{id}/scenarios or /optimizations'),
});

/** Step Functions allows 80 characters in an execution name; the id's tail is unique. */
const executionName = (id: string) => id.slice(-80);

export const RunStartedSchema = z.object({
  id: z.string(),
  twinId: TwinIdSchema,
  status: z.literal('running'),
  requestedAt: z.string(),
  location: z.string().describe('where to read the result'),
});

export const RunSchema = z.object({
  id: z.string(),
  twinId: TwinIdSchema,
  status: z.enum(['running', 'succeeded', 'failed']),
  requestedAt: z.string(),
  error: z.string().optional(),
  input: z.record(z.string(), z.unknown()).optional(),
  result: z.record(z.string(), z.unknown()).optional(),
});

/** A twin the what-if replays need: its load and a capacity model. */
async function replayableTwin(store: TwinStore, id: string) {
  const twin = await twinOr404(store, id);
  if (!twin.metrics.some((m) => m.role === 'load'))
    throw conflict(
      `twin "${id}" has no metric with role "load" to replay: register it again (DELETE, then POST /twins) with one`,
    );
  if (!twin.capacityModel) throw conflict(noCapacityModel(twin));
  return twin;
}

export async function startRun(
  ports: ApiPorts,
  workflow: WorkflowName,
  twinId: string,
  request: (id: string, requestedAt: string) => object,
  collection: string,
) {
  const twin = await replayableTwin(ports.store, twinId);
  const now = ports.now();
  const id = newRecordRef(twin.id, now);
  const requestedAt = new Date(now).toISOString();
  await ports.workflows.start(workflow, executionName(id), request(id, requestedAt));
  return {
    status: 202,
    body: { id, twinId: twin.id, status: 'running', requestedAt, location: `/${collection}/${id}` },
  };
}

export async function readRun(
  ports: ApiPorts,
  workflow: WorkflowName,
  kind: 'scenario' | 'optimization',
  id: string,
) {
  const { twinId, at } = parseRecordRef(RUN_ID, id);
  const record = await ports.store.getRecord(twinId, kind, at, id);
  if (record)
    return {
      status: 200,
      body: { id, twinId, status: 'succeeded', requestedAt: at, input: record.input, result: record.result },
    };
  const run = await ports.workflows.status(workflow, executionName(id));
  if (run.status === 'unknown' || run.status === 'succeeded')
    // succeeded without a record: the twin (and its records) was deleted since
    throw notFound(`${kind} "${id}"`);
  return { status: 200, body: { id, twinId, status: run.status, requestedAt: at, error: run.error } };
}

/** The scenario language: the same document in JSON or YAML (Content-Type: application/yaml). */
const ScenarioBodySchema = ScenarioDocumentSchema;
const OptimizationBodySchema = OptimizeRequestSchema.omit({
  twinId: true,
  optimizationId: true,
  requestedAt: true,
}).strict();

export const whatIfRoutes = [
  route({
    method: 'POST',
    path: '/twins/{id}/scenarios',
    summary:
      "Run a scenario on the twin's recent days (and forecast): policies side by side, each with its SLO verdict; JSON or YAML body",
    params: TwinParamsSchema,
    body: ScenarioBodySchema,
    response: { status: 202, schema: RunStartedSchema, description: 'started: poll the location' },
    handle: ({ params, body }, ports) =>
      startRun(
        ports,
        'scenario',
        params.id,
        (scenarioId, requestedAt) => ({ twinId: params.id, scenarioId, requestedAt, ...body }),
        'scenarios',
      ),
  }),
  route({
    method: 'GET',
    path: '/scenarios/{id}',
    summary: 'A scenario: running, failed (and why), or its result',
    params: RunIdParamsSchema,
    response: { status: 200, schema: RunSchema, description: 'the scenario' },
    handle: ({ params }, ports) => readRun(ports, 'scenario', 'scenario', params.id),
  }),
  route({
    method: 'POST',
    path: '/twins/{id}/optimizations',
    summary: "Search the twin's policy for the least cost within a breach budget on its recent days",
    params: TwinParamsSchema,
    body: OptimizationBodySchema,
    response: { status: 202, schema: RunStartedSchema, description: 'started: poll the location' },
    handle: ({ params, body }, ports) =>
      startRun(
        ports,
        'optimize',
        params.id,
        (optimizationId, requestedAt) => ({ twinId: params.id, optimizationId, requestedAt, ...body }),
        'optimizations',
      ),
  }),
  route({
    method: 'GET',
    path: '/optimizations/{id}',
    summary: 'An optimization: running, failed (and why), or its result',
    params: RunIdParamsSchema,
    response: { status: 200, schema: RunSchema, description: 'the optimization' },
    handle: ({ params }, ports) => readRun(ports, 'optimize', 'optimization', params.id),
  }),
];
