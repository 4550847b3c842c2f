/**
 * The API's answers the dashboard reads: the part of layers/core/api/routes it draws
 * (GET /openapi.json describes them all). Kept here, not imported, so the page builds alone.
 */

export interface MetricSpec {
  key: string;
  role: string;
  stat: string;
  periodSeconds: number;
}

export interface Twin {
  id: string;
  metrics: MetricSpec[];
  policy: {
    mode: string;
    targetUtilization: number;
    quantile: number;
    minInstances?: number;
    maxInstances?: number;
    warmupMinutes?: number;
  };
  capacityModel?: { capacityPerInstance: number };
  dependsOn: (string | { to: string; callRatio?: number; lagMinutes?: number })[];
  /** The twins that call this one (derived from their dependsOn; layers/core/twin/twin.ts). */
  upstreams?: {
    from: string;
    ratio: number | null;
    lagMinutes: number | null;
    confidence: number;
    source: 'declared' | 'estimated';
  }[];
}

/** GET /groups (layers/core/api/routes/groups.ts). */
export interface GroupList {
  tagKey: string;
  items: { tenant: string; members: string[] }[];
}

/** One hour of a group's day-ahead forecast, in reference instances (groups/group-forecast.ts). */
export interface GroupHour {
  hour: string;
  p10: number;
  p50: number;
  p90: number;
  quantile: number;
  sumOfP90: number;
}

/** A capacity plan (groups/plan-record.ts): instances of each type per hour. */
export interface CapacityPlan {
  id: string;
  at: string;
  status: 'recommended' | 'failed-check';
  quantile: number;
  targetUtilization: number;
  currency: string;
  cost: number;
  singleType: { type: string; cost: number } | null;
  hours: { hour: string; required: number; counts: Record<string, number>; capacity: number; cost: number }[];
  check: {
    passed: boolean;
    scenarios: { scenario: string; breachMinutes: number; minHeadroomPct: number }[];
  };
  search: { evaluations: number; generations: number; seed: number };
}

/** GET /groups/{tenant}. */
export interface GroupView {
  tenant: string;
  members: { id: string; mode: string }[];
  skipped: { twinId: string; reason: string }[];
  forecast: {
    unit: string;
    firstHour: string;
    hours: GroupHour[];
    correlation: { method: string; points: number; twins: string[]; matrix: number[][] };
  } | null;
  forecastProblem?: string;
  cost: { currency: string; instanceHours: number; cost: number };
  slo: { breachMinutes: number; unservedPct: number; worstTwin: string | null };
  latestPlan: CapacityPlan | null;
}

export interface Page<T> {
  items: T[];
  cursor?: string;
}

export interface Sample {
  t: number;
  v: number;
}

export interface Series {
  metric: string;
  stat: string;
  periodSeconds: number;
  /** The range asked for (ms): `to` is the runtime's clock when no `to` was given. */
  from: number;
  to: number;
  points: Sample[];
}

export interface Quantiles {
  t: number;
  p10: number;
  p50: number;
  p90: number;
}

export interface Forecast {
  unit: 'per minute';
  latest: {
    at: string;
    model: string;
    points: Quantiles[];
    /** Set when the forecast combined the twin's own model with its upstreams'. */
    propagated?: { own: number; upstreams: { id: string; weight: number }[] };
  } | null;
  band: Quantiles[];
}

export type DecisionAction = 'scaled' | 'none' | 'recorded-only' | 'failed';

export interface Decision {
  id: string;
  at: string;
  desired?: number;
  previous?: number;
  action: DecisionAction;
  result?: string;
  /** The planner's DecisionReason (layers/core/policy/types.ts); read defensively, it grows. */
  reason: Record<string, unknown>;
}

export interface Graph {
  nodes: { id: string; known: boolean }[];
  edges: { from: string; to: string }[];
}

export interface Drift {
  twinId: string;
  at: string;
  metric: string;
  score: number;
  message: string;
  status: string;
}

export interface Violation {
  twinId: string;
  at: string;
  rule: string;
  severity: string;
  message: string;
}

export interface Controls {
  actuationPaused: boolean;
  reason?: string;
  updatedAt?: string;
}

export interface Scores {
  minutes: number;
  breachMinutes: number;
  breachPct: number;
  unservedPct: number;
  instanceHours: number;
  costVsOracle: number;
  scaleEvents: number;
  maxDesired: number;
}

export interface PolicyOutcome {
  policy: string;
  scores: Scores;
}

export interface ScenarioTimeline {
  t0: number;
  stepMinutes: number;
  /** When the twin's forecast starts (ms), if the scenario runs past the replayed days. */
  forecastFrom?: number;
  demandAsItWas: number[];
  demandWhatIf: number[];
  /** The first policy's fleet, as it was and under the what-if. */
  inServiceAsItWas: number[];
  inServiceWhatIf: number[];
  breachAsItWas: number[];
  breachWhatIf: number[];
  /** Every policy under the what-if (absent from results stored before several policies ran). */
  policies?: { policy: string; inServiceWhatIf: number[]; breachWhatIf: number[] }[];
}

/** Whether a policy holds the scenario's SLO and, when not, what would (layers/core/simulate/resilience.ts). */
export interface Verdict {
  policy: string;
  holds: boolean;
  breachMinutes: number;
  budgetMinutes: number;
  fix?: {
    setting: 'headroom' | 'targetUtilization';
    from: number;
    value: number;
    breachMinutes: number;
    unservedPct: number;
    instanceHours: number;
    extraInstanceHours: number;
  };
  unfixable?: string;
}

export interface ScenarioResult {
  asItWas: PolicyOutcome[];
  whatIf: PolicyOutcome[];
  timeline: ScenarioTimeline;
  /** Absent from results stored before verdicts were made. */
  verdicts?: Verdict[];
  slo?: { maxBreachMinutes?: number; maxBreachPct?: number; budgetMinutes: number };
}

export interface ScenarioRun {
  id: string;
  status: 'running' | 'succeeded' | 'failed';
  error?: string;
  result?: ScenarioResult;
}

/** A scenario as the form's fields give it (the JSON body of POST /twins/{id}/scenarios). */
export interface WhatIfRequest {
  days: number;
  forecastHours: number;
  whatIf: {
    failures: { atMinute: number; count: number }[];
    demand: { kind: 'surge'; fromMinute: number; toMinute: number; factor: number }[];
    warmupChanges: never[];
  };
}

/** A scenario document typed by a person, sent as it is: YAML, of which JSON is a part. */
export interface ScenarioDocumentText {
  yaml: string;
}

/** An answer other than 2xx, or no answer: `message` is the API's own sentence, prefixed with the call. */
export class ApiCallError extends Error {
  override readonly name = 'ApiCallError';
  constructor(
    readonly status: number,
    message: string,
    readonly problems: { field: string; message: string }[] = [],
  ) {
    super(message);
  }
}

/**
 * One call to the API (same origin as the page); JSON in (or a YAML document as it was typed),
 * JSON out, errors as ApiCallError.
 */
export async function callApi<T>(
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  body?: unknown | ScenarioDocumentText,
): Promise<T> {
  const yaml =
    typeof body === 'object' && body !== null && 'yaml' in body ? (body as ScenarioDocumentText) : undefined;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: body === undefined ? {} : { 'content-type': yaml ? 'application/yaml' : 'application/json' },
      body: body === undefined ? undefined : yaml ? yaml.yaml : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiCallError(0, `${method} ${path}: no answer from the runtime (${(e as Error).message})`);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const error = json as { message?: string; problems?: { field: string; message: string }[] } | undefined;
    throw new ApiCallError(
      res.status,
      `${method} ${path}: ${error?.message ?? `HTTP ${res.status} ${res.statusText}`}`,
      error?.problems,
    );
  }
  if (json === undefined) throw new ApiCallError(res.status, `${method} ${path}: the answer is not JSON`);
  return json as T;
}

/** Every item of a paged list, newest first, until `enough` says the page reached far enough back. */
export async function readPages<T>(
  path: string,
  enough: (page: T[]) => boolean,
  maxPages = 10,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let n = 0; n < maxPages; n++) {
    const sep = path.includes('?') ? '&' : '?';
    const page = await callApi<Page<T>>(
      'GET',
      cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path,
    );
    items.push(...page.items);
    cursor = page.cursor;
    if (!cursor || enough(page.items)) break;
  }
  return items;
}
