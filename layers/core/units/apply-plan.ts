import { z } from 'zod';
import { createTwinWithEdges, syncCallerEdges } from '../graph/sync-upstreams.js';
import { TwinConflictError, TwinExistsError, type TwinStore } from '../store/twin-store.js';
import { DependsOnSchema, declaredEdgesOf, ScalingTargetRefSchema } from '../twin/twin.js';
import { UnitFindingSchema, UnitKindSchema, type UnitPlan } from './unit-plan.js';

/** What POST /units answers: each twin and edge of the unit with what became of it, and the findings. */
export const UnitResultSchema = z.object({
  unit: z.object({ kind: UnitKindSchema, name: z.string() }),
  dryRun: z.boolean(),
  created: z.array(z.string()).describe('twins created now (dry run: that would be)'),
  existing: z.array(z.string()).describe('twins that already exist: left as they are'),
  skipped: z
    .array(z.object({ id: z.string(), resource: z.string(), reasons: z.array(z.string()) }))
    .describe('twins not created: a name they need is not in the unit'),
  twins: z.array(
    z.object({
      id: z.string(),
      resource: z.string(),
      type: z.string(),
      status: z.enum(['created', 'would-create', 'existing', 'skipped']),
      target: ScalingTargetRefSchema,
      load: z.string().describe('the load metric: namespace, name and dimensions'),
      metrics: z.array(z.unknown()).describe('the metric queries it is (or would be) created with'),
    }),
  ),
  edges: z.array(
    z.object({
      from: z.string(),
      to: z.string(),
      reason: z.string(),
      status: z
        .enum(['created', 'would-create', 'added', 'would-add', 'present', 'skipped'])
        .describe(
          'created: with the new caller; added: to an existing caller’s dependsOn (nothing else of it changed); present: it had it; skipped: a twin of it is skipped, or the caller calls 50 twins already',
        ),
    }),
  ),
  findings: z.array(UnitFindingSchema),
});
export type UnitResult = z.infer<typeof UnitResultSchema>;

/** DependsOnSchema's limit: a caller calls at most this many twins. */
const MAX_CALLS = 50;

/**
 * Creates the plan's twins that do not exist yet (each with its calls, through the same creation
 * as POST /twins, which keeps the graph's reverse edges in step), leaves existing twins as they
 * are, and adds the plan's calls missing from an existing caller to its dependsOn (only adds:
 * what it calls already stays). Twins whose names the unit does not give are never created. With
 * `dryRun`, reads the store and writes nothing. Repeating it creates nothing new.
 */
export async function applyUnitPlan(
  store: TwinStore,
  plan: UnitPlan,
  now: number,
  dryRun: boolean,
): Promise<UnitResult> {
  const result: UnitResult = {
    unit: plan.unit,
    dryRun,
    created: [],
    existing: [],
    skipped: [],
    twins: [],
    edges: [],
    findings: plan.findings,
  };
  const skipped = new Set(plan.twins.filter((t) => !t.resolved).map((t) => t.twin.id));
  const createdNow = new Set<string>();
  for (const p of plan.twins) {
    const { twin } = p;
    const load = twin.metrics.find((m) => m.role === 'load') ?? twin.metrics[0];
    let status: UnitResult['twins'][number]['status'];
    if (!p.resolved) {
      status = 'skipped';
      result.skipped.push({ id: twin.id, resource: p.resource, reasons: p.unresolved });
    } else if (await store.getTwin(twin.id)) {
      status = 'existing';
    } else if (dryRun) {
      status = 'would-create';
    } else {
      const dependsOn = (twin.dependsOn ?? []).filter((e) => !skipped.has(typeof e === 'string' ? e : e.to));
      try {
        await createTwinWithEdges(store, { ...twin, dependsOn }, now);
        status = 'created';
      } catch (e) {
        if (!(e instanceof TwinExistsError)) throw e;
        status = 'existing'; // created meanwhile by someone else: theirs stands
      }
    }
    if (status === 'created' || status === 'would-create') {
      result.created.push(twin.id);
      createdNow.add(twin.id);
    }
    if (status === 'existing') result.existing.push(twin.id);
    result.twins.push({
      id: twin.id,
      resource: p.resource,
      type: p.type,
      status,
      target: twin.target,
      load: `${load.namespace} ${load.metricName} ${(load.dimensions ?? []).map((d) => `${d.name}=${d.value}`).join(' ')}`.trim(),
      metrics: twin.metrics,
    });
  }

  // the calls of existing callers: added to their dependsOn, one write per caller
  const byCaller = new Map<string, typeof plan.edges>();
  for (const e of plan.edges) {
    if (skipped.has(e.from) || skipped.has(e.to)) {
      result.edges.push({ ...e, status: 'skipped' });
      continue;
    }
    if (createdNow.has(e.from)) {
      result.edges.push({ ...e, status: dryRun ? 'would-create' : 'created' });
      continue;
    }
    byCaller.set(e.from, [...(byCaller.get(e.from) ?? []), e]);
  }
  for (const [from, edges] of byCaller) {
    for (let attempt = 0; ; attempt++) {
      const caller = await store.getTwin(from);
      if (!caller) {
        result.edges.push(...edges.map((e) => ({ ...e, status: 'skipped' as const })));
        break;
      }
      const before = declaredEdgesOf(caller).map((d) => d.to);
      const missing = edges.filter((e) => !before.includes(e.to));
      const room = Math.max(0, MAX_CALLS - before.length);
      const adding = missing.slice(0, room);
      const outcome = (e: (typeof edges)[number]) =>
        before.includes(e.to) ? 'present' : !adding.includes(e) ? 'skipped' : dryRun ? 'would-add' : 'added';
      if (adding.length && !dryRun) {
        const dependsOn = DependsOnSchema.parse([...caller.dependsOn, ...adding.map((e) => ({ to: e.to }))]);
        try {
          const updated = await store.updateTwin(caller.id, caller.version, { dependsOn });
          await syncCallerEdges(store, updated, before, now);
        } catch (e) {
          // the collector or a planner moved the caller: reread and add again
          if (e instanceof TwinConflictError && attempt < 2) continue;
          throw e;
        }
      }
      result.edges.push(
        ...edges.map((e) => ({ ...e, status: outcome(e) as UnitResult['edges'][number]['status'] })),
      );
      break;
    }
  }
  return result;
}
