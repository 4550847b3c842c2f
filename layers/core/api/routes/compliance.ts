import { z } from 'zod';
import { complianceContext, evaluateTwinCompliance } from '../../compliance/evaluate-twin.js';
import {
  loadPolicyDocument,
  PolicyIdSchema,
  type PolicyProblem,
  policyJsonSchema,
  StoredPolicySchema,
  validatePolicyValue,
} from '../../compliance/policy-document.js';
import { ViolationRecordSchema } from '../../store/records.js';
import { allTwins } from '../../store/twin-store.js';
import { TwinIdSchema, TwinTagsSchema } from '../../twin/twin.js';
import { ApiError, notFound } from '../http.js';
import { route } from '../route.js';

const PolicyParamsSchema = z.object({ id: PolicyIdSchema });

/** The target's configuration, as the caller knows it (the remediate workflow describes the target itself). */
const TargetConfigSchema = z
  .object({
    capacity: z.number().int().min(0).optional(),
    min: z.number().int().min(0).optional(),
    max: z.number().int().min(0).optional(),
    instanceTypes: z.array(z.string().min(1)).max(100).optional(),
    tags: TwinTagsSchema.optional(),
  })
  .strict();

const EvaluateBodySchema = z
  .object({
    target: TargetConfigSchema.optional().describe(
      "what is known of the target; absent fields: capacity from the latest decision, bounds from the twin's policy",
    ),
  })
  .strict();

const ViolationSchema = ViolationRecordSchema.omit({ id: true, at: true, status: true }).extend({
  twinId: z.string(),
  policy: z.string(),
});

/** The problems of a policy document as the API's problems: the field, and the rule at fault. */
/** `line 7, rule "cpu-p95": `: where a problem is, as far as it is known. */
const where = (p: PolicyProblem) =>
  [p.line ? `line ${p.line}` : undefined, p.rule ? `rule "${p.rule}"` : undefined]
    .filter(Boolean)
    .map((x) => `${x}, `)
    .join('')
    .replace(/, $/, ': ');

const asApiError = (problems: PolicyProblem[]) =>
  new ApiError(
    400,
    'invalid-request',
    problems.map((p) => `${where(p)}body.${p.path}: ${p.message}`).join('; '),
    problems.map((p) => ({ field: p.path ? `body.${p.path}` : 'body', message: `${where(p)}${p.message}` })),
  );

export const complianceRoutes = [
  route({
    method: 'GET',
    path: '/schemas/policy.json',
    summary: 'The JSON Schema of a compliance policy document',
    response: { status: 200, schema: z.record(z.string(), z.unknown()), description: 'a JSON Schema' },
    async handle() {
      return { status: 200, body: policyJsonSchema() };
    },
  }),
  route({
    method: 'GET',
    path: '/policies',
    summary: 'Compliance policies, in id order',
    response: {
      status: 200,
      schema: z.object({ items: z.array(StoredPolicySchema) }),
      description: 'policies',
    },
    async handle(_, { store }) {
      return { status: 200, body: { items: await store.listPolicies() } };
    },
  }),
  route({
    method: 'GET',
    path: '/policies/{id}',
    summary: 'One compliance policy',
    params: PolicyParamsSchema,
    response: { status: 200, schema: StoredPolicySchema, description: 'the policy' },
    async handle({ params }, { store }) {
      const policy = await store.getPolicy(params.id);
      if (!policy) throw notFound(`policy "${params.id}"`);
      return { status: 200, body: policy };
    },
  }),
  route({
    method: 'PUT',
    path: '/policies/{id}',
    summary: 'Create or replace a compliance policy (JSON, or YAML with Content-Type application/yaml)',
    params: PolicyParamsSchema,
    // checked in the handler, so that each problem names its rule (GET /schemas/policy.json)
    body: z.record(z.string(), z.unknown()).describe('a policy document: see GET /schemas/policy.json'),
    response: { status: 200, schema: StoredPolicySchema, description: 'the policy as stored' },
    async handle({ params, body, text }, { store, now }) {
      // from the text when there is one, so that each problem names its line too
      const checked = text ? loadPolicyDocument(text.body, text.contentType) : validatePolicyValue(body);
      if (!checked.ok) throw asApiError(checked.problems);
      const policy = { id: params.id, document: checked.document, updatedAt: new Date(now()).toISOString() };
      await store.putPolicy(policy);
      return { status: 200, body: policy };
    },
  }),
  route({
    method: 'DELETE',
    path: '/policies/{id}',
    summary: 'Remove a compliance policy (its open violations are resolved at the next evaluation)',
    params: PolicyParamsSchema,
    response: {
      status: 200,
      schema: z.object({ id: z.string(), deleted: z.literal(true) }),
      description: 'deleted',
    },
    async handle({ params }, { store }) {
      if (!(await store.deletePolicy(params.id))) throw notFound(`policy "${params.id}"`);
      return { status: 200, body: { id: params.id, deleted: true } };
    },
  }),
  route({
    method: 'POST',
    path: '/twins/{id}/compliance/evaluate',
    summary:
      "Evaluate every policy's rules on a twin now; violations that changed are recorded (GET /violations)",
    params: z.object({ id: TwinIdSchema }),
    body: EvaluateBodySchema,
    response: {
      status: 200,
      schema: z.object({
        twinId: z.string(),
        evaluatedAt: z.string(),
        violations: z.array(ViolationSchema),
        skipped: z.array(z.object({ policy: z.string(), rule: z.string(), reason: z.string() })),
        recorded: z.object({
          opened: z.number().int().describe('violations new or changed in severity'),
          resolved: z.number().int().describe('open violations whose rule is now kept, or gone'),
        }),
      }),
      description: 'the violations, most severe first, then by impact, then by the cost of fixing',
    },
    async handle({ params, body }, { store, now }) {
      const at = now();
      const twin = await store.getTwin(params.id);
      if (!twin) throw notFound(`twin "${params.id}"`);
      const context = await complianceContext(store, await allTwins(store));
      const result = await evaluateTwinCompliance(store, twin, context, at, body.target);
      return {
        status: 200,
        body: {
          twinId: twin.id,
          evaluatedAt: new Date(at).toISOString(),
          violations: result.violations,
          skipped: result.skipped,
          recorded: result.recorded,
        },
      };
    },
  }),
];
