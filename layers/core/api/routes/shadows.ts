import { z } from 'zod';
import { WEEKLY_SHADOW_ID } from '../../loop/weekly-candidate.js';
import {
  compareShadowOutcomes,
  type RecordedDecision,
  type ShadowOutcome,
} from '../../policy/shadow-outcome.js';
import { MINUTE_MS } from '../../series/grid.js';
import { PromotionRecordSchema, type RecordOf } from '../../store/records.js';
import type { TwinStore } from '../../store/twin-store.js';
import {
  MAX_SHADOWS,
  ShadowIdSchema,
  ShadowSchema,
  shadowPolicyOf,
  type Twin,
  TwinPolicyConfigSchema,
  TwinSchema,
} from '../../twin/twin.js';
import { ApiError, conflict, invalid, notFound } from '../http.js';
import { route } from '../route.js';
import {
  checkRange,
  PageQuerySchema,
  pageOf,
  RangeShape,
  resolveRange,
  TwinParamsSchema,
} from '../schemas.js';
import { twinOr404, updateWithRetry } from './twins.js';

const COMPARE_MAX_DAYS = 14;
/**
 * How far before the window the compare reads decisions, for the one in force at its start:
 * the longest planning schedule a deployment may set (infra/lib/config.ts, planScheduleMinutes).
 */
const LOOKBACK_MS = 60 * MINUTE_MS;

const ShadowParamsSchema = TwinParamsSchema.extend({ shadowId: ShadowIdSchema });

/** A candidate as the API shows it: with the policy it plans with now (its settings over the live ones). */
const ShadowViewSchema = ShadowSchema.extend({ effectivePolicy: TwinPolicyConfigSchema });

const shadowView = (twin: Twin, shadow: Twin['shadows'][number]) => ({
  ...shadow,
  effectivePolicy: shadowPolicyOf(twin.policy, shadow),
});

const AddShadowBodySchema = ShadowSchema.pick({ id: true, policy: true, note: true, addedBy: true })
  .strict()
  // the weekly search replaces its own candidate each week: a person's would be overwritten
  .refine((b) => b.id !== WEEKLY_SHADOW_ID, {
    message: `shadow id: "${WEEKLY_SHADOW_ID}" is the weekly search's own candidate; choose another`,
    path: ['id'],
  });

const PromoteBodySchema = z
  .object({
    by: z.string().trim().min(1, 'who promotes: a name or an id').max(200),
    reason: z.string().trim().min(1, 'why: what the comparison showed, the ticket').max(1000),
  })
  .strict();

const OutcomeScoresSchema = z.object({
  minutes: z.number(),
  breachMinutes: z.number(),
  unservedPct: z.number(),
  instanceHours: z.number(),
  scaleEvents: z.number(),
});

const ShadowComparisonSchema = z.object({
  shadowId: z.string(),
  from: z.number().describe('the first minute both had a decision in force (ms)'),
  to: z.number(),
  decisionsCompared: z.number().describe('slots both decided'),
  disagreementMinutes: z.number().describe('minutes whose capacity in force differed'),
  live: OutcomeScoresSchema.nullable(),
  shadow: OutcomeScoresSchema.nullable(),
});

const ComparisonSchema = z.object({
  twinId: z.string(),
  from: z.number(),
  to: z.number(),
  capacityPerInstance: z.number(),
  warmupMinutes: z.number(),
  live: OutcomeScoresSchema.nullable().describe('the live decisions over the minutes they were in force'),
  shadows: z.array(ShadowComparisonSchema),
});

/** The records of a kind made in [since, to), newest first, page by page. */
async function recordsBetween<K extends 'decision' | 'shadow-decision'>(
  store: TwinStore,
  twinId: string,
  kind: K,
  since: number,
  to: number,
): Promise<RecordOf<K>[]> {
  const out: RecordOf<K>[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listRecords(twinId, kind, { limit: 100, cursor });
    for (const r of page.items) {
      const at = Date.parse(r.at);
      if (at < since) return out;
      if (at < to) out.push(r);
    }
    cursor = page.cursor;
  } while (cursor);
  return out;
}

const decided = (records: readonly { at: string; desired?: number }[]): RecordedDecision[] =>
  records.flatMap((r) => (r.desired === undefined ? [] : [{ at: Date.parse(r.at), desired: r.desired }]));

/**
 * The twin's candidates (or those of `only`) against its live decisions over [from, to): the
 * observed load replayed against the simulated fleet once per side (policy/shadow-outcome.ts).
 */
async function compareWithLive(
  store: TwinStore,
  twin: Twin,
  from: number,
  to: number,
  only?: string,
): Promise<z.infer<typeof ComparisonSchema>> {
  const load = twin.metrics.find((m) => m.role === 'load');
  if (!load)
    throw conflict(`twin "${twin.id}" has no metric with role "load": there is no demand to compare on`);
  const shadows = twin.shadows.filter((s) => only === undefined || s.id === only);
  const [samples, live, shadowRecords] = await Promise.all([
    store.readSamples(twin.id, load.key, from, to),
    recordsBetween(store, twin.id, 'decision', from - LOOKBACK_MS, to),
    shadows.length ? recordsBetween(store, twin.id, 'shadow-decision', from - LOOKBACK_MS, to) : [],
  ]);
  // the capacity the live decisions planned with, when the twin has no fitted model
  const planned = live.map((d) => (d.reason as { capacityPerInstance?: number }).capacityPerInstance);
  const capacityPerInstance =
    twin.capacityModel?.capacityPerInstance ?? planned.find((k) => k !== undefined && k > 0);
  if (capacityPerInstance === undefined)
    throw conflict(
      `twin "${twin.id}" has no capacity model and no decision in the window planned with one: ` +
        'nothing says what an instance serves',
    );
  const outcome: ShadowOutcome = compareShadowOutcomes({
    load: samples,
    loadQuery: load,
    capacityPerInstance,
    warmupMinutes: twin.policy.warmupMinutes,
    from,
    to,
    live: decided(live),
    shadows: shadows.map((s) => ({
      id: s.id,
      // this candidate's own records: not those of an earlier one of the same id
      decisions: decided(shadowRecords.filter((r) => r.shadowId === s.id && r.shadowAddedAt === s.addedAt)),
    })),
  });
  return {
    twinId: twin.id,
    from,
    to,
    capacityPerInstance,
    warmupMinutes: twin.policy.warmupMinutes,
    live: outcome.live,
    shadows: outcome.shadows,
  };
}

function shadowOr404(twin: Twin, shadowId: string) {
  const shadow = twin.shadows.find((s) => s.id === shadowId);
  if (!shadow) throw notFound(`shadow "${shadowId}" of twin "${twin.id}"`);
  return shadow;
}

/** The comparison a promotion stores: the candidate against the live policy over the day before. */
const PROMOTION_COMPARE_MS = 24 * 60 * MINUTE_MS;

/**
 * What a promotion records of the comparison: the candidate against the live decisions over the
 * day before. A twin that cannot be compared (no capacity known yet) is still promoted; the
 * record then says why there is no comparison.
 */
async function comparisonForPromotion(
  store: TwinStore,
  twin: Twin,
  shadowId: string,
  window: { from: number; to: number },
): Promise<Record<string, unknown>> {
  try {
    const c = await compareWithLive(store, twin, window.from, window.to, shadowId);
    return { window, capacityPerInstance: c.capacityPerInstance, ...c.shadows[0] };
  } catch (e) {
    if (e instanceof ApiError && e.status === 409) return { window, unavailable: e.message };
    throw e;
  }
}

export const shadowRoutes = [
  route({
    method: 'GET',
    path: '/twins/{id}/shadows',
    summary: "The twin's candidate policies, planned in shadow beside the live one",
    params: TwinParamsSchema,
    response: {
      status: 200,
      schema: z.object({ twinId: z.string(), max: z.number(), items: z.array(ShadowViewSchema) }),
      description: 'the candidates, each with the policy it plans with now',
    },
    async handle({ params }, { store }) {
      const twin = await twinOr404(store, params.id);
      return {
        status: 200,
        body: { twinId: twin.id, max: MAX_SHADOWS, items: twin.shadows.map((s) => shadowView(twin, s)) },
      };
    },
  }),
  route({
    method: 'POST',
    path: '/twins/{id}/shadows',
    summary:
      'Add a candidate policy: planned every cycle on the live data, recorded, never actuated (at most 5)',
    params: TwinParamsSchema,
    body: AddShadowBodySchema,
    response: { status: 201, schema: ShadowViewSchema, description: 'the candidate' },
    async handle({ params, body }, { store, now }) {
      const { twin, result } = await updateWithRetry(store, params.id, async (twin) => {
        if (twin.shadows.some((s) => s.id === body.id))
          throw conflict(
            `twin "${twin.id}" already has a shadow "${body.id}": delete it or choose another id`,
          );
        if (twin.shadows.length >= MAX_SHADOWS)
          throw conflict(
            `twin "${twin.id}" already has ${MAX_SHADOWS} shadows, the most it carries: delete one`,
          );
        // its settings must make a policy with the live ones (minInstances ≤ maxInstances)
        const merged = TwinPolicyConfigSchema.safeParse(shadowPolicyOf(twin.policy, body));
        if (!merged.success) {
          const issue = merged.error.issues[0];
          throw invalid(
            ['body.policy', ...issue.path.map(String)].join('.'),
            `${issue.message} (merged over the live policy)`,
          );
        }
        const shadow = { ...body, addedAt: new Date(now()).toISOString() };
        return { patch: { shadows: [...twin.shadows, shadow] }, result: shadow };
      });
      return { status: 201, body: shadowView(twin, result) };
    },
  }),
  route({
    method: 'DELETE',
    path: '/twins/{id}/shadows/{shadowId}',
    summary: 'Remove a candidate (its recorded decisions stay until they expire)',
    params: ShadowParamsSchema,
    response: {
      status: 200,
      schema: z.object({ twinId: z.string(), shadowId: z.string(), deleted: z.literal(true) }),
      description: 'deleted',
    },
    async handle({ params }, { store }) {
      await updateWithRetry(store, params.id, async (twin) => {
        shadowOr404(twin, params.shadowId);
        return { patch: { shadows: twin.shadows.filter((s) => s.id !== params.shadowId) }, result: null };
      });
      return { status: 200, body: { twinId: params.id, shadowId: params.shadowId, deleted: true } };
    },
  }),
  route({
    method: 'GET',
    path: '/twins/{id}/shadows/compare',
    summary:
      "Each candidate's would-be outcome beside the live decisions', simulated on the observed load (default: the last day)",
    params: TwinParamsSchema,
    query: z.object(RangeShape).strict().superRefine(checkRange(COMPARE_MAX_DAYS)),
    response: {
      status: 200,
      schema: ComparisonSchema,
      description: 'scores per candidate and of the live decisions over the same minutes',
    },
    async handle({ params, query }, { store, now }) {
      const twin = await twinOr404(store, params.id);
      const { from, to } = resolveRange(query, now(), 1);
      return { status: 200, body: await compareWithLive(store, twin, from, to) };
    },
  }),
  route({
    method: 'POST',
    path: '/twins/{id}/shadows/{shadowId}/promote',
    summary:
      "Make a candidate the live policy (the live mode kept); recorded with who, why and the day's comparison",
    params: ShadowParamsSchema,
    body: PromoteBodySchema,
    response: {
      status: 200,
      schema: z.object({ twin: TwinSchema, promotion: PromotionRecordSchema }),
      description: 'the twin with its new policy, and the promotion record',
    },
    async handle({ params, body }, { store, now }) {
      const at = now();
      const window = { from: at - PROMOTION_COMPARE_MS, to: at };
      let comparison: Record<string, unknown> | undefined;
      const { twin, result } = await updateWithRetry(store, params.id, async (twin) => {
        const shadow = shadowOr404(twin, params.shadowId);
        const policy = TwinPolicyConfigSchema.safeParse({
          ...shadowPolicyOf(twin.policy, shadow),
          mode: twin.policy.mode,
        });
        if (!policy.success)
          throw conflict(
            `shadow "${shadow.id}" cannot become the live policy: ${policy.error.issues[0].message}; ` +
              'add a candidate that fits the live bounds',
          );
        comparison ??= await comparisonForPromotion(store, twin, shadow.id, window);
        return {
          patch: { policy: policy.data, shadows: twin.shadows.filter((s) => s.id !== shadow.id) },
          result: { previousPolicy: twin.policy, policy: policy.data },
        };
      });
      const promotion = {
        id: `promotion.${params.shadowId}.v${twin.version}`,
        at: new Date(at).toISOString(),
        shadowId: params.shadowId,
        by: body.by,
        reason: body.reason,
        previousPolicy: result.previousPolicy,
        policy: result.policy,
        comparison: comparison ?? {},
      };
      await store.putRecord(twin.id, 'promotion', promotion);
      return { status: 200, body: { twin, promotion } };
    },
  }),
  route({
    method: 'GET',
    path: '/twins/{id}/promotions',
    summary: 'Candidates promoted to the live policy: who, why, the policy before and after, newest first',
    params: TwinParamsSchema,
    query: PageQuerySchema,
    response: { status: 200, schema: pageOf(PromotionRecordSchema), description: 'a page of promotions' },
    async handle({ params, query }, { store }) {
      const twin = await twinOr404(store, params.id);
      return { status: 200, body: await store.listRecords(twin.id, 'promotion', query) };
    },
  }),
];
