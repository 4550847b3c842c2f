import type { TargetState } from '../act/scaling-target.js';
import { type Criticality, criticality } from '../graph/criticality.js';
import { MINUTE_MS } from '../series/grid.js';
import type { Sample } from '../series/read-trace.js';
import type { RecordOf } from '../store/records.js';
import type { TwinStore } from '../store/twin-store.js';
import { declaredEdgesOf, type Twin } from '../twin/twin.js';
import { type ComplianceResult, evaluateCompliance, type TargetConfig } from './evaluate.js';
import type { StoredPolicy } from './policy-document.js';
import { latestViolations, recordChanges } from './violation-records.js';

/** What every twin's evaluation shares: the policies and the graph's criticality, read once a run. */
export interface ComplianceContext {
  policies: readonly StoredPolicy[];
  criticality: ReadonlyMap<string, Criticality>;
}

export interface TwinComplianceResult extends ComplianceResult {
  recorded: { opened: number; resolved: number };
}

/** The policies and the criticality of every twin (the declared graph), for one evaluation run. */
export async function complianceContext(
  store: TwinStore,
  twins: readonly Twin[],
): Promise<ComplianceContext> {
  const policies = await store.listPolicies();
  const graph = {
    nodes: twins.map((t) => t.id),
    edges: twins.flatMap((t) =>
      declaredEdgesOf(t).map((e) => ({
        from: t.id,
        to: e.to,
        source: 'declared' as const,
        callRatio: null,
        lagMinutes: null,
        confidence: null,
      })),
    ),
  };
  return { policies, criticality: criticality(graph) };
}

/**
 * Every policy's rules judged on one twin at `at`, and what changed recorded as violation
 * records (recordChanges): the one evaluation the API's POST and the remediate workflow share.
 * `target`: the target's configuration as far as it is known (a described target, or the
 * caller's word); what is not known falls back to the latest decision and the twin's bounds.
 */
export async function evaluateTwinCompliance(
  store: TwinStore,
  twin: Twin,
  context: ComplianceContext,
  at: number,
  target?: TargetConfig,
): Promise<TwinComplianceResult> {
  const { policies } = context;
  const [latest, [forecast], [decision]] = await Promise.all([
    latestViolations(store, twin.id),
    store.listRecords(twin.id, 'forecast', { limit: 1 }).then((p) => p.items),
    store.listRecords(twin.id, 'decision', { limit: 1 }).then((p) => p.items),
  ]);
  const decisionK = decision?.reason.capacityPerInstance;
  const result = evaluateCompliance({
    twin,
    policies,
    samples: await samplesFor(store, twin, policies, at),
    target: targetOf(twin, decision, target),
    forecast: forecast && {
      stepMs: forecast.points.length > 1 ? forecast.points[1].t - forecast.points[0].t : 5 * MINUTE_MS,
      points: forecast.points,
    },
    capacityPerInstance: typeof decisionK === 'number' ? decisionK : twin.capacityModel?.capacityPerInstance,
    impact: context.criticality.get(twin.id) ?? { dependants: 0, weight: 0 },
    now: at,
  });
  const rules = new Set(policies.flatMap((p) => p.document.rules.map((r) => `${p.id}.${r.id}`)));
  const skipped = new Set(result.skipped.map((s) => `${s.policy}.${s.rule}`));
  const recorded = await recordChanges(store, twin.id, result.violations, latest, rules, skipped, at);
  return { ...result, recorded };
}

/**
 * A described target as the rules read it. The bounds are the twin's policy's where it sets them
 * (what a change-bounds remediation changes), else the target's own.
 */
export function targetConfigOf(twin: Twin, state: TargetState): TargetConfig {
  return {
    capacity: state.capacity,
    min: twin.policy.minInstances ?? state.min,
    max: twin.policy.maxInstances ?? state.max,
    ...(state.instanceTypes ? { instanceTypes: state.instanceTypes } : {}),
    ...(state.tags ? { tags: state.tags } : {}),
  };
}

/** The target as the rules see it: what is given, else the latest decision's capacity and the twin's bounds. */
function targetOf(
  twin: Twin,
  decision: RecordOf<'decision'> | undefined,
  given: TargetConfig | undefined,
): TargetConfig {
  const capacity = decision?.action === 'scaled' ? decision.desired : decision?.previous;
  return {
    capacity,
    min: twin.policy.minInstances,
    max: twin.policy.maxInstances,
    ...Object.fromEntries(Object.entries(given ?? {}).filter(([, v]) => v !== undefined)),
  };
}

/** Each metric a rule reads, over the longest window a rule asks of it. */
async function samplesFor(
  store: TwinStore,
  twin: Twin,
  policies: readonly StoredPolicy[],
  at: number,
): Promise<Record<string, Sample[]>> {
  const windows = new Map<string, number>();
  for (const p of policies)
    for (const { check } of p.document.rules) {
      if (check.kind !== 'metric') continue;
      const c = check;
      const q = twin.metrics.find((m) => m.key === c.metric) ?? twin.metrics.find((m) => m.role === c.metric);
      if (q) windows.set(q.key, Math.max(windows.get(q.key) ?? 0, c.windowMinutes));
    }
  const out: Record<string, Sample[]> = {};
  await Promise.all(
    [...windows].map(async ([key, minutes]) => {
      out[key] = await store.readSamples(twin.id, key, at - minutes * MINUTE_MS, at);
    }),
  );
  return out;
}
