import { z } from 'zod';
import { isMixRefusal, type MixResult } from '../../act/mixed-instances.js';
import { PlanInfeasibleError } from '../../groups/capacity-plan.js';
import { InstanceCatalogSchema } from '../../groups/catalog.js';
import { GroupInputError } from '../../groups/group-forecast.js';
import {
  catalogOf,
  findGroup,
  groupView,
  planGroupCapacity,
  plannedTypesOf,
} from '../../groups/group-service.js';
import { DEFAULT_GROUP_TAG, GroupNameSchema, groupTwins } from '../../groups/membership.js';
import { mixForTwin, PlanApplyError } from '../../groups/plan-apply.js';
import {
  type CapacityPlanRecord,
  CapacityPlanRecordSchema,
  type PlanApplication,
  PlannedTypeSchema,
} from '../../groups/plan-record.js';
import { allTwins, type TwinStore } from '../../store/twin-store.js';
import { TwinIdSchema, TwinSchema, TwinTagsSchema } from '../../twin/twin.js';
import { ApiError, conflict, notFound } from '../http.js';
import type { ApiPorts } from '../ports.js';
import { route } from '../route.js';
import { PageQuerySchema, pageOf, TwinParamsSchema } from '../schemas.js';
import { patchWithRetry } from './twins.js';

const TenantParamsSchema = z.object({ tenant: GroupNameSchema });

const QuantileSchema = z.number().min(0.5).max(0.99);

const CapacityPlanBodySchema = z
  .object({
    quantile: QuantileSchema.default(0.9).describe(
      'forecast quantile of each hour’s peak the plan serves (0.5–0.99)',
    ),
    targetUtilization: z
      .number()
      .min(0.1)
      .max(1)
      .default(0.6)
      .describe('share of each type’s capacity the plan may use at that quantile'),
    catalog: InstanceCatalogSchema.optional().describe(
      'instance types for this plan only (default: GET /catalog)',
    ),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(1),
    maxInstances: z
      .number()
      .int()
      .positive()
      .max(100_000)
      .optional()
      .describe('instances of all types in any hour, at most'),
  })
  .strict();

const ApplyBodySchema = z
  .object({
    planId: z.string().min(1).optional().describe('default: the newest plan'),
    twinId: TwinIdSchema.optional().describe('one member only (default: every member)'),
  })
  .strict();

const tagKeyOf = (p: ApiPorts) => p.groupTagKey ?? DEFAULT_GROUP_TAG;

async function groupOr404(p: ApiPorts, tenant: string) {
  const g = await findGroup(p.store, tenant, tagKeyOf(p));
  if (!g) throw notFound(`tenant group "${tenant}" (no twin is tagged ${tagKeyOf(p)}=${tenant})`);
  return g;
}

async function planOr404(store: TwinStore, tenant: string, planId?: string): Promise<CapacityPlanRecord> {
  let cursor: string | undefined;
  do {
    const page = await store.listCapacityPlans(tenant, { limit: 50, cursor });
    const plan = planId ? page.items.find((x) => x.id === planId) : page.items[0];
    if (plan) return plan;
    cursor = planId ? page.cursor : undefined;
  } while (cursor);
  throw notFound(
    planId
      ? `capacity plan "${planId}" of group "${tenant}"`
      : `a capacity plan for group "${tenant}" (POST /groups/${tenant}/capacity-plan makes one)`,
  );
}

const GroupListSchema = z.object({
  tagKey: z.string(),
  items: z.array(z.object({ tenant: z.string(), members: z.array(z.string()) })),
});

const ApplyResultSchema = z.object({
  planId: z.string(),
  results: z.array(
    z
      .object({ twinId: z.string(), hour: z.string().optional(), refused: z.string().optional() })
      .passthrough(),
  ),
});

/** The tags themselves: `{ "tags": { … } }`, as POST /twins takes them, is answered with the fix. */
const TagsBodySchema = z
  .record(z.string(), z.unknown())
  .refine((b) => !(Object.keys(b).length === 1 && typeof b.tags === 'object' && b.tags !== null), {
    message: 'send the tags themselves as the body ({ "team": "payments" }), not inside { "tags": … }',
    path: ['tags'],
    abort: true,
  })
  .pipe(TwinTagsSchema);

export const groupRoutes = [
  route({
    method: 'GET',
    path: '/groups',
    summary: 'Tenant groups: twins sharing a value of the group tag (twinscale:tenant unless configured)',
    response: { status: 200, schema: GroupListSchema, description: 'the groups and their members' },
    async handle(_, ports) {
      const groups = groupTwins(await allTwins(ports.store), tagKeyOf(ports));
      return {
        status: 200,
        body: {
          tagKey: tagKeyOf(ports),
          items: groups.map((g) => ({ tenant: g.tenant, members: g.members.map((t) => t.id) })),
        },
      };
    },
  }),
  route({
    method: 'GET',
    path: '/groups/{tenant}',
    summary:
      "A tenant group: its day-ahead forecast (members summed with their residuals' correlation, in reference instances), its cost and SLO over the last day, and its latest capacity plan",
    params: TenantParamsSchema,
    query: z
      .object({
        quantile: z.coerce
          .number()
          .pipe(QuantileSchema)
          .default(0.9)
          .describe('the forecast quantile shown (0.5–0.99)'),
      })
      .strict(),
    response: { status: 200, schema: z.record(z.string(), z.unknown()), description: 'the group' },
    async handle({ params, query }, ports) {
      const g = await groupOr404(ports, params.tenant);
      return { status: 200, body: await groupView(ports.store, g, ports.now(), query.quantile) };
    },
  }),
  route({
    method: 'GET',
    path: '/catalog',
    summary:
      'The instance types capacity plans choose from (the example list until one is put), and asPlanned: each type’s relative capacity as a plan would use it now, and where it came from (declared; measured on twins of one family and load metric, tagged twinscale:instance-type, with fitted capacity models, on this type and the reference or a declared type; else vCPU)',
    response: {
      status: 200,
      schema: InstanceCatalogSchema.extend({
        source: z.enum(['stored', 'default']),
        asPlanned: z.array(PlannedTypeSchema),
      }),
      description: 'the catalog as stored (put it back as is), with asPlanned beside it',
    },
    async handle(_, { store }) {
      const stored = await store.getCatalog();
      const catalog = stored ?? (await catalogOf(store));
      return {
        status: 200,
        body: {
          ...catalog,
          source: stored ? 'stored' : 'default',
          asPlanned: await plannedTypesOf(store, catalog),
        },
      };
    },
  }),
  route({
    method: 'PUT',
    path: '/catalog',
    summary:
      'Replace the instance type catalog (types with vCPU, memory, price per hour, relative capacity: leave it out to have it measured on the fleet’s twins where it can be, else taken from vCPUs)',
    body: InstanceCatalogSchema,
    response: { status: 200, schema: InstanceCatalogSchema, description: 'the catalog as stored' },
    async handle({ body }, { store, now }) {
      const catalog = { ...body, updatedAt: new Date(now()).toISOString() };
      await store.putCatalog(catalog);
      return { status: 200, body: catalog };
    },
  }),
  route({
    method: 'POST',
    path: '/groups/{tenant}/capacity-plan',
    summary:
      'Plan the next 24 hours of the group: how many of each instance type per hour, the cheapest mix the genetic search finds that serves the forecast quantile at the target utilization, checked by the simulator; stored as a recommendation. Each of its types says where its relative capacity came from (declared, measured, vCPU)',
    params: TenantParamsSchema,
    body: CapacityPlanBodySchema,
    response: {
      status: 201,
      schema: CapacityPlanRecordSchema,
      description: 'the plan (status says whether it passed the check)',
    },
    async handle({ params, body }, ports) {
      const g = await groupOr404(ports, params.tenant);
      try {
        const plan = await planGroupCapacity(ports.store, g, body, ports.now());
        await ports.store.putCapacityPlan(plan);
        return { status: 201, body: plan };
      } catch (e) {
        if (e instanceof PlanInfeasibleError) throw new ApiError(422, 'infeasible', e.message);
        if (e instanceof GroupInputError) throw conflict(e.message);
        throw e;
      }
    },
  }),
  route({
    method: 'GET',
    path: '/groups/{tenant}/capacity-plans',
    summary: "The group's capacity plans, newest first",
    params: TenantParamsSchema,
    query: PageQuerySchema,
    response: { status: 200, schema: pageOf(CapacityPlanRecordSchema), description: 'a page of plans' },
    async handle({ params, query }, ports) {
      const g = await groupOr404(ports, params.tenant);
      return { status: 200, body: await ports.store.listCapacityPlans(g.tenant, query) };
    },
  }),
  route({
    method: 'POST',
    path: '/groups/{tenant}/capacity-plan/apply',
    summary:
      "Apply a plan's current hour to the members' Auto Scaling groups with a mixed-instances policy: the plan's types as overrides weighted by relative capacity, and the desired capacity in those units, within the guardrails (bounds, max step, managed tag, kill switch)",
    params: TenantParamsSchema,
    body: ApplyBodySchema,
    response: { status: 200, schema: ApplyResultSchema, description: 'what was done for each member' },
    async handle({ params, body }, ports) {
      const g = await groupOr404(ports, params.tenant);
      const plan = await planOr404(ports.store, g.tenant, body.planId);
      const members = body.twinId ? g.members.filter((t) => t.id === body.twinId) : g.members;
      if (body.twinId && members.length === 0) throw notFound(`twin "${body.twinId}" in group "${g.tenant}"`);
      if (!ports.applyMix)
        throw new ApiError(
          501,
          'not-available',
          'applying capacity plans is off in this deployment: deploy with -c capacityPlanApply=true (the actuator then applies them on the API’s behalf), or set the weights the plan shows by hand',
        );
      const now = ports.now();
      const results: Record<string, unknown>[] = [];
      const applied: PlanApplication[] = [];
      for (const twin of members) {
        try {
          const { hour, request } = mixForTwin(plan, twin, now);
          const r: MixResult = await ports.applyMix(request);
          const application: PlanApplication = {
            twinId: twin.id,
            at: new Date(now).toISOString(),
            hour,
            action: r.action,
            weights: request.weights.map((w) => ({
              instanceType: w.instanceType,
              weightedCapacity: w.weightedCapacity ?? 1,
            })),
            desired: r.to ?? request.desired,
            ...(r.from !== undefined ? { from: r.from } : {}),
            ...(r.boundBy ? { boundBy: r.boundBy } : {}),
            message: r.message,
          };
          applied.push(application);
          results.push(application);
        } catch (e) {
          if (!(e instanceof PlanApplyError || isMixRefusal(e))) throw e;
          results.push({ twinId: twin.id, refused: e.message });
        }
      }
      if (applied.length === 0)
        throw conflict(
          results.map((r) => `${r.twinId}: ${r.refused}`).join('; ') || 'the group has no members',
        );
      await ports.store.putCapacityPlan({ ...plan, applications: [...plan.applications, ...applied] });
      return { status: 200, body: { planId: plan.id, results } };
    },
  }),
  route({
    method: 'PUT',
    path: '/twins/{id}/tags',
    summary: "Replace a twin's tags (the group tag, twinscale:tenant, puts it in a tenant group)",
    params: TwinParamsSchema,
    body: TagsBodySchema,
    response: { status: 200, schema: TwinSchema, description: 'the twin with its new tags' },
    async handle({ params, body }, { store }) {
      return { status: 200, body: await patchWithRetry(store, params.id, { tags: body }) };
    },
  }),
];
