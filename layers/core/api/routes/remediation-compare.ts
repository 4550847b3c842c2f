import { z } from 'zod';
import {
  type ComparedRule,
  ComparedRuleSchema,
  ComparisonInputError,
  PolicyRuleRefSchema,
  simulatedMetricOf,
} from '../../compliance/strategy-comparison.js';
import { checkComparison, comparisonFields, REMEDIATION_COMPARISON } from '../../loop/twin-replay.js';
import type { TwinStore } from '../../store/twin-store.js';
import type { Twin } from '../../twin/twin.js';
import { invalid, notFound } from '../http.js';
import { route } from '../route.js';
import { TwinParamsSchema } from '../schemas.js';
import { twinOr404 } from './twins.js';
import { RUN_ID, RunSchema, RunStartedSchema, readRun, startRun } from './what-if.js';

/** The body of POST /twins/{id}/remediations/compare: the rule (written here, or a stored one), A and B. */
const CompareBodySchema = z
  .object({
    rule: ComparedRuleSchema.optional().describe(
      'the rule, written here: a metric rule on load or utilization, or a forecast rule',
    ),
    policyRule: PolicyRuleRefSchema.optional().describe("or a stored policy's rule: { policy, rule }"),
    ...comparisonFields,
  })
  .strict()
  .superRefine((b, ctx) => {
    if ((b.rule === undefined) === (b.policyRule === undefined))
      ctx.addIssue({
        code: 'custom',
        message: 'give exactly one of rule (written here) and policyRule ({ policy, rule })',
        path: ['rule'],
      });
    checkComparison(b, ctx);
  });
type CompareBody = z.infer<typeof CompareBodySchema>;

/** The rule to compare on, and the body field it came from (for a 400 that names it). */
async function ruleOf(store: TwinStore, body: CompareBody): Promise<{ rule: ComparedRule; field: string }> {
  if (body.rule) return { rule: body.rule, field: 'body.rule' };
  const ref = body.policyRule as NonNullable<CompareBody['policyRule']>;
  const policy = await store.getPolicy(ref.policy);
  if (!policy) throw invalid('body.policyRule.policy', `policy "${ref.policy}" does not exist`);
  const rule = policy.document.rules.find((r) => r.id === ref.rule);
  const ids = policy.document.rules.map((r) => r.id).join(', ');
  if (!rule)
    throw invalid(
      'body.policyRule.rule',
      `policy "${ref.policy}" has no rule "${ref.rule}" (its rules: ${ids})`,
    );
  const compared = ComparedRuleSchema.safeParse(rule);
  if (!compared.success) throw invalid('body.policyRule.rule', compared.error.issues[0].message);
  return { rule: compared.data, field: 'body.policyRule.rule' };
}

/** A rule whose metric the simulator measures on this twin; else a 400 naming the field. */
function checkSimulable(twin: Twin, rule: ComparedRule, field: string): void {
  try {
    simulatedMetricOf(rule.check, twin.metrics);
  } catch (e) {
    if (!(e instanceof ComparisonInputError)) throw e;
    throw invalid(field === 'body.rule' ? 'body.rule.check.metric' : field, e.message);
  }
}

export const remediationCompareRoutes = [
  route({
    method: 'POST',
    path: '/twins/{id}/remediations/compare',
    summary:
      "Compare two remediation strategies for one rule on the twin's simulator (its recent days, and scenarios): violation minutes, cost and actions side by side, and which is better",
    params: TwinParamsSchema,
    body: CompareBodySchema,
    response: { status: 202, schema: RunStartedSchema, description: 'started: poll the location' },
    async handle({ params, body }, ports) {
      const twin = await twinOr404(ports.store, params.id);
      const { rule, field } = await ruleOf(ports.store, body);
      checkSimulable(twin, rule, field);
      const { rule: _, policyRule, ...fields } = body;
      return startRun(
        ports,
        'scenario',
        twin.id,
        (comparisonId, requestedAt) => ({
          kind: REMEDIATION_COMPARISON,
          twinId: twin.id,
          comparisonId,
          requestedAt,
          rule,
          ...(policyRule ? { policyRule } : {}),
          ...fields,
        }),
        'remediation-comparisons',
      );
    },
  }),
  route({
    method: 'GET',
    path: '/remediation-comparisons/{id}',
    summary: 'A remediation comparison: running, failed (and why), or its result',
    params: z.object({
      id: z.string().regex(RUN_ID, 'an id returned by POST /twins/{id}/remediations/compare'),
    }),
    response: { status: 200, schema: RunSchema, description: 'the comparison' },
    async handle({ params }, ports) {
      const run = await readRun(ports, 'scenario', 'scenario', params.id);
      // what-ifs are scenario records too: only a comparison is one here
      if (run.body.input && run.body.input.kind !== REMEDIATION_COMPARISON)
        throw notFound(`remediation comparison "${params.id}"`);
      return run;
    },
  }),
];
