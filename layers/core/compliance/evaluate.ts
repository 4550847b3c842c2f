import type { Criticality } from '../graph/criticality.js';
import { MINUTE_MS } from '../series/grid.js';
import type { Sample } from '../series/read-trace.js';
import { mean, quantile } from '../stats.js';
import type { MetricQuery } from '../twin/twin.js';
import type { PolicyDocument, PolicyRule, Remediation, RuleCheck, Severity } from './policy-document.js';

/** A day of an added instance: the unit a fix is costed in (instance-hours a day). */
const HOURS_A_DAY = 24;

/**
 * The target's configuration as the compliance rules read it. What is not known (an ECS service
 * has no instance types; tags were not read) is left out, and the rules that need it are skipped.
 */
export interface TargetConfig {
  capacity?: number;
  min?: number;
  max?: number;
  instanceTypes?: readonly string[];
  tags?: Readonly<Record<string, string>>;
}

/** The live forecast as it is stored: one point a slot, the demand per minute at p10/p50/p90. */
export interface ForecastBand {
  stepMs: number;
  points: readonly { t: number; p10: number; p50: number; p90: number }[];
}

export interface ComplianceInput {
  twin: { id: string; metrics: readonly Pick<MetricQuery, 'key' | 'role'>[] };
  policies: readonly { id: string; document: PolicyDocument }[];
  /** Samples by metric key, covering each metric rule's window before `now`. */
  samples: Readonly<Record<string, readonly Sample[]>>;
  target: TargetConfig;
  forecast?: ForecastBand;
  /** Demand per minute one instance serves at full utilization (the capacity model). */
  capacityPerInstance?: number;
  /** How much depends on the twin (graph/criticality.ts). */
  impact: Criticality;
  now: number;
}

export interface Violation {
  policy: string;
  rule: string;
  twinId: string;
  severity: Severity;
  message: string;
  observed: number | string;
  threshold: number | string;
  /** Forecast rules: when the breach is expected (ISO 8601). */
  expectedAt?: string;
  /** The twin's criticality weight: the dependants, each by its strongest path to it. */
  impact: number;
  dependants: number;
  /** Instance-hours a day the remediation would add (0: it adds none, or only notifies). */
  fixCost: number;
  remediation: Remediation;
}

/** A rule that applies but could not be judged, and why (no samples, no forecast, the tags not known). */
export interface SkippedRule {
  policy: string;
  rule: string;
  reason: string;
}

export interface ComplianceResult {
  violations: Violation[];
  skipped: SkippedRule[];
}

type Finding = Pick<Violation, 'message' | 'observed' | 'threshold' | 'expectedAt'> & {
  /** Instances the fix needs beyond the current capacity, when the rule can tell. */
  shortBy?: number;
};
type Outcome = { finding?: Finding; skipped?: string; notApplicable?: true };

/** Every rule of every policy that applies to the twin, judged; violations ordered (orderViolations). */
export function evaluateCompliance(input: ComplianceInput): ComplianceResult {
  const violations: Violation[] = [];
  const skipped: SkippedRule[] = [];
  for (const policy of input.policies) {
    for (const rule of policy.document.rules) {
      const outcome = judge(rule, input);
      if (outcome.notApplicable) continue;
      if (outcome.skipped) skipped.push({ policy: policy.id, rule: rule.id, reason: outcome.skipped });
      if (!outcome.finding) continue;
      const { shortBy, ...finding } = outcome.finding;
      violations.push({
        policy: policy.id,
        rule: rule.id,
        twinId: input.twin.id,
        severity: rule.severity,
        ...finding,
        impact: input.impact.weight,
        dependants: input.impact.dependants,
        fixCost: fixCostOf(rule, input.target, shortBy),
        remediation: rule.remediation,
      });
    }
  }
  return { violations: orderViolations(violations), skipped };
}

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3 };

/**
 * Most severe first; then the most depended-on twin (its failure hurts the most callers); then
 * the cheapest fix (of equal urgency, the one that costs least is done first).
 */
export function orderViolations<
  V extends Pick<Violation, 'severity' | 'impact' | 'fixCost' | 'twinId' | 'rule'> & { policy?: string },
>(violations: readonly V[]): V[] {
  return [...violations].sort(
    (a, b) =>
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
      b.impact - a.impact ||
      a.fixCost - b.fixCost ||
      a.twinId.localeCompare(b.twinId) ||
      (a.policy ?? '').localeCompare(b.policy ?? '') ||
      a.rule.localeCompare(b.rule),
  );
}

/** `*` in a pattern stands for any run of characters; everything else is literal. */
const globMatches = (pattern: string, id: string) =>
  new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`).test(id);
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function judge(rule: PolicyRule, input: ComplianceInput): Outcome {
  const { applies } = rule;
  if (applies?.twins && !applies.twins.some((p) => globMatches(p, input.twin.id)))
    return { notApplicable: true };
  if (applies?.tags) {
    const tags = input.target.tags;
    if (!tags) return { skipped: "applies.tags: the target's tags are not known" };
    if (!Object.entries(applies.tags).every(([k, v]) => tags[k] === v)) return { notApplicable: true };
  }
  const check = rule.check;
  switch (check.kind) {
    case 'metric':
      return judgeMetric(check, input);
    case 'config':
      return judgeConfig(check, input.target);
    case 'forecast':
      return judgeForecast(check, input);
  }
}

const STATS = {
  p95: (v: number[]) => quantile(v, 0.95),
  p99: (v: number[]) => quantile(v, 0.99),
  max: (v: number[]) => Math.max(...v),
  mean: (v: number[]) => mean(v),
} as const;

const round = (v: number, digits = 4) => Number(v.toFixed(digits));

function judgeMetric(check: Extract<RuleCheck, { kind: 'metric' }>, input: ComplianceInput): Outcome {
  const query =
    input.twin.metrics.find((m) => m.key === check.metric) ??
    input.twin.metrics.find((m) => m.role === check.metric);
  if (!query)
    return { skipped: `the twin has no metric "${check.metric}" (a key, or the role load or utilization)` };
  const from = input.now - check.windowMinutes * MINUTE_MS;
  const values = (input.samples[query.key] ?? [])
    .filter((s) => s.t >= from && s.t < input.now && Number.isFinite(s.v))
    .map((s) => s.v);
  if (values.length === 0)
    return { skipped: `no samples of "${query.key}" in the last ${check.windowMinutes} minutes` };
  const observed = round(STATS[check.stat](values));
  const below = check.below !== undefined;
  const threshold = (below ? check.below : check.above) as number;
  const ok = below ? observed < threshold : observed > threshold;
  if (ok) return {};
  const capacity = input.target.capacity;
  return {
    finding: {
      message: `${check.stat} of ${query.key} over ${check.windowMinutes} minutes is ${observed}, not ${below ? 'below' : 'above'} ${threshold}`,
      observed,
      threshold,
      // utilization falls as capacity grows: the instances that bring it back under the bound
      shortBy:
        below && query.role === 'utilization' && capacity !== undefined && threshold > 0
          ? Math.max(1, Math.ceil((capacity * observed) / threshold) - capacity)
          : undefined,
    },
  };
}

function judgeConfig(check: Extract<RuleCheck, { kind: 'config' }>, target: TargetConfig): Outcome {
  const failures: { message: string; observed: number | string; threshold: number | string }[] = [];
  const unknown: string[] = [];
  if (check.minCapacityAtLeast !== undefined) {
    if (target.min === undefined) unknown.push('min capacity');
    else if (target.min < check.minCapacityAtLeast)
      failures.push({
        message: `min capacity ${target.min}, below ${check.minCapacityAtLeast}`,
        observed: target.min,
        threshold: check.minCapacityAtLeast,
      });
  }
  if (check.maxCapacityAtMost !== undefined) {
    if (target.max === undefined) unknown.push('max capacity');
    else if (target.max > check.maxCapacityAtMost)
      failures.push({
        message: `max capacity ${target.max}, above ${check.maxCapacityAtMost}`,
        observed: target.max,
        threshold: check.maxCapacityAtMost,
      });
  }
  if (check.allowedInstanceTypes) {
    const allowed = check.allowedInstanceTypes;
    if (!target.instanceTypes) unknown.push('instance types');
    else {
      const others = target.instanceTypes.filter((t) => !allowed.includes(t));
      if (others.length)
        failures.push({
          message: `instance types ${others.join(', ')} not allowed (allowed: ${allowed.join(', ')})`,
          observed: others.join(','),
          threshold: allowed.join(','),
        });
    }
  }
  if (check.requiredTags) {
    const tags = target.tags;
    if (!tags) unknown.push('tags');
    else {
      const missing = check.requiredTags.filter((k) => !(k in tags));
      if (missing.length)
        failures.push({
          message: `tags ${missing.join(', ')} missing`,
          observed: Object.keys(tags).sort().join(','),
          threshold: check.requiredTags.join(','),
        });
    }
  }
  const skipped = unknown.length ? `not known: ${unknown.join(', ')}` : undefined;
  if (failures.length === 0) return { skipped };
  const capacity = target.capacity;
  const shortBy =
    check.minCapacityAtLeast !== undefined && capacity !== undefined
      ? Math.max(0, check.minCapacityAtLeast - capacity)
      : undefined;
  return {
    skipped,
    finding: {
      message: failures.map((f) => f.message).join('; '),
      observed: failures[0].observed,
      threshold: failures[0].threshold,
      shortBy,
    },
  };
}

function judgeForecast(check: Extract<RuleCheck, { kind: 'forecast' }>, input: ComplianceInput): Outcome {
  const { forecast, capacityPerInstance: k } = input;
  const capacity = input.target.capacity;
  if (!forecast || forecast.points.length === 0)
    return { skipped: 'no forecast yet: the planning loop writes one' };
  if (!k) return { skipped: 'no capacity per instance: fit the capacity model first' };
  if (capacity === undefined) return { skipped: "the target's capacity is not known" };
  const end = input.now + check.horizonMinutes * MINUTE_MS;
  // a slot counts while any of it lies between now and the horizon
  const ahead = forecast.points.filter((p) => p.t + forecast.stepMs > input.now && p.t < end);
  if (ahead.length === 0) return { skipped: 'the latest forecast does not reach the horizon: it is stale' };
  const served = capacity * k;
  const breach = ahead.find((p) => p[check.quantile] > served * check.utilizationAbove);
  if (!breach) return {};
  const utilization = served > 0 ? round(breach[check.quantile] / served) : Number.POSITIVE_INFINITY;
  const peak = Math.max(...ahead.map((p) => p[check.quantile]));
  const expectedAt = new Date(Math.max(breach.t, input.now)).toISOString();
  return {
    finding: {
      message:
        `forecast ${check.quantile} demand reaches ${round(utilization * 100, 1)} % of capacity at ${expectedAt}, ` +
        `above ${round(check.utilizationAbove * 100, 1)} % (${capacity} instances)`,
      observed: utilization,
      threshold: check.utilizationAbove,
      expectedAt,
      shortBy: Math.max(0, Math.ceil(peak / (k * check.utilizationAbove)) - capacity),
    },
  };
}

/** Instance-hours a day the remediation would add: what scaling, or raising the floor, keeps running. */
function fixCostOf(rule: PolicyRule, target: TargetConfig, shortBy: number | undefined): number {
  const r = rule.remediation;
  if (r.action === 'notify') return 0;
  if (r.action === 'scale') {
    const added = Math.min(shortBy ?? 1, r.maxStep ?? Number.POSITIVE_INFINITY);
    return Math.max(0, added) * HOURS_A_DAY;
  }
  const min = r.min ?? (rule.check.kind === 'config' ? rule.check.minCapacityAtLeast : undefined);
  if (min === undefined || target.capacity === undefined) return 0;
  // a higher floor keeps instances running only where the capacity is below it
  return Math.max(0, min - target.capacity) * HOURS_A_DAY;
}
