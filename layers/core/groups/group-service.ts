import {
  compareShadowOutcomes,
  type OutcomeScores,
  type RecordedDecision,
} from '../policy/shadow-outcome.js';
import { perMinuteDemand } from '../policy/upstream-outlook.js';
import { DAY_MS, HOUR_MS } from '../series/grid.js';
import type { Sample } from '../series/read-trace.js';
import { normalQuantile } from '../stats.js';
import { allTwins, type TwinStore } from '../store/twin-store.js';
import type { Twin } from '../twin/twin.js';
import { checkPlan, nextHour, searchCapacityPlan } from './capacity-plan.js';
import {
  DEFAULT_CATALOG,
  INSTANCE_TYPE_TAG,
  type InstanceCatalog,
  type PlannedType,
  plannedTypes,
} from './catalog.js';
import {
  FORECAST_HISTORY_DAYS,
  forecastGroup,
  GROUP_SLOT_MS,
  type GroupForecast,
  GroupInputError,
  groupQuantile,
  type HourlyDemand,
  hourlyDemand,
  type MemberLoad,
} from './group-forecast.js';
import { measureFromTwins } from './measured-capacity.js';
import { DEFAULT_GROUP_TAG, groupTwins, type TwinGroup } from './membership.js';
import type { CapacityPlanRecord } from './plan-record.js';

export { INSTANCE_TYPE_TAG };
/** Hours a capacity plan covers. */
export const PLAN_HOURS = 24;

type GroupStore = Pick<TwinStore, 'listTwins' | 'readSamples' | 'listRecords' | 'getCatalog'>;

/** A tenant group by name, or undefined. */
export async function findGroup(store: GroupStore, tenant: string, tagKey = DEFAULT_GROUP_TAG) {
  return groupTwins(await allTwins(store), tagKey).find((g) => g.tenant === tenant);
}

export const catalogOf = async (store: Pick<TwinStore, 'getCatalog'>): Promise<InstanceCatalog> =>
  (await store.getCatalog()) ?? DEFAULT_CATALOG;

/**
 * The catalog's types as a plan uses them: each relative capacity declared, else measured on the
 * whole fleet's twins (not only one group's: any family running on two types tells), else from vCPUs.
 */
export async function plannedTypesOf(
  store: Pick<TwinStore, 'listTwins'>,
  catalog: InstanceCatalog,
): Promise<PlannedType[]> {
  return plannedTypes(catalog, measureFromTwins(catalog, await allTwins(store)));
}

interface ReadMember {
  twin: Twin;
  load?: { samples: Sample[]; perMinute: Sample[]; query: NonNullable<Twin['metrics'][number]> };
  skipped?: string;
}

/** Each member's load over the forecaster's history, or why it cannot take part. */
async function readMembers(store: GroupStore, g: TwinGroup, now: number): Promise<ReadMember[]> {
  return Promise.all(
    g.members.map(async (twin): Promise<ReadMember> => {
      const query = twin.metrics.find((m) => m.role === 'load');
      if (!query) return { twin, skipped: 'no metric with role "load"' };
      if (!twin.capacityModel)
        return {
          twin,
          skipped: 'no capacity model (PUT /twins/{id}/capacity-model, or let the loop fit one)',
        };
      const samples = await store.readSamples(twin.id, query.key, now - FORECAST_HISTORY_DAYS * DAY_MS, now);
      if (samples.length === 0) return { twin, skipped: `no samples of "${query.key}" yet` };
      return { twin, load: { samples, perMinute: perMinuteDemand(samples, query), query } };
    }),
  );
}

/**
 * Each member's load with its capacity per *reference* instance: its model's capacity is per
 * instance of its own type (the `twinscale:instance-type` tag; untagged: the reference type), so
 * it is divided by that type's relative capacity, and the members' demands add up in one unit.
 */
const memberLoads = (read: ReadMember[], types: readonly PlannedType[]): MemberLoad[] =>
  read.flatMap((m) => {
    if (!m.load || !m.twin.capacityModel) return [];
    const own = types.find((t) => t.name === m.twin.tags?.[INSTANCE_TYPE_TAG]);
    return [
      {
        twinId: m.twin.id,
        perMinute: m.load.perMinute,
        capacityPerInstance: m.twin.capacityModel.capacityPerInstance / (own?.relativeCapacity ?? 1),
      },
    ];
  });

const skippedOf = (read: ReadMember[]) =>
  read.flatMap((m) => (m.skipped ? [{ twinId: m.twin.id, reason: m.skipped }] : []));

function forecastOf(
  read: ReadMember[],
  types: readonly PlannedType[],
  tenant: string,
  now: number,
  firstHour: number,
): GroupForecast {
  const loads = memberLoads(read, types);
  if (loads.length === 0)
    throw new GroupInputError(
      `group "${tenant}" has no member with load samples and a capacity model: ${skippedOf(read)
        .map((s) => `${s.twinId}: ${s.reason}`)
        .join('; ')}`,
    );
  return forecastGroup(loads, now, firstHour + PLAN_HOURS * HOUR_MS - now);
}

/** A member's cost and SLO over the last day: its recorded decisions replayed on its own demand. */
export interface MemberOutcome {
  twinId: string;
  instanceType: string;
  pricePerHour: number;
  outcome: OutcomeScores | null;
  cost: number;
}

export interface GroupView {
  tenant: string;
  members: { id: string; mode: string; target: Twin['target'] }[];
  skipped: { twinId: string; reason: string }[];
  forecast: {
    unit: 'reference-instances';
    firstHour: string;
    hours: HourlyDemand[];
    correlation: GroupForecast['correlation'];
    models: { twinId: string; model: string }[];
  } | null;
  /** Why there is no forecast (no member can be forecast yet). */
  forecastProblem?: string;
  cost: {
    from: string;
    to: string;
    currency: string;
    instanceHours: number;
    cost: number;
    members: MemberOutcome[];
  };
  slo: { from: string; to: string; breachMinutes: number; unservedPct: number; worstTwin: string | null };
  latestPlan: CapacityPlanRecord | null;
}

/**
 * A group's forecast for the next day (hourly peaks at `quantile`), its cost and SLO over the last
 * day. Cost and SLO come from each member's recorded decisions replayed by the simulator on its
 * observed demand (policy/shadow-outcome.ts, as shadow candidates are judged): instance-hours in
 * service or warming × the member's instance type's price, breach minutes and unserved share.
 */
export async function groupView(
  store: GroupStore & Pick<TwinStore, 'listCapacityPlans'>,
  g: TwinGroup,
  now: number,
  quantile = 0.9,
): Promise<GroupView> {
  const catalog = await catalogOf(store);
  const [read, types] = await Promise.all([readMembers(store, g, now), plannedTypesOf(store, catalog)]);
  const firstHour = nextHour(now);
  let forecast: GroupView['forecast'] = null;
  let forecastProblem: string | undefined;
  try {
    const f = forecastOf(read, types, g.tenant, now, firstHour);
    forecast = {
      unit: 'reference-instances',
      firstHour: new Date(firstHour).toISOString(),
      hours: hourlyDemand(f, firstHour, PLAN_HOURS, quantile),
      correlation: f.correlation,
      models: f.members.map((m) => ({ twinId: m.twinId, model: m.model })),
    };
  } catch (e) {
    if (!(e instanceof GroupInputError)) throw e;
    forecastProblem = e.message;
  }
  const from = now - DAY_MS;
  const members = await Promise.all(read.map((m) => memberOutcome(store, m, catalog, from, now)));
  const scored = members.filter((m) => m.outcome);
  const unserved = scored.map((m) => m.outcome?.unservedPct ?? 0);
  const worst = scored.reduce<MemberOutcome | null>(
    (w, m) => (!w || (m.outcome?.breachMinutes ?? 0) > (w.outcome?.breachMinutes ?? 0) ? m : w),
    null,
  );
  const plans = await store.listCapacityPlans(g.tenant, { limit: 1 });
  return {
    tenant: g.tenant,
    members: g.members.map((t) => ({ id: t.id, mode: t.policy.mode, target: t.target })),
    skipped: skippedOf(read),
    forecast,
    ...(forecastProblem ? { forecastProblem } : {}),
    cost: {
      from: new Date(from).toISOString(),
      to: new Date(now).toISOString(),
      currency: catalog.currency,
      instanceHours: round(
        scored.reduce((a, m) => a + (m.outcome?.instanceHours ?? 0), 0),
        2,
      ),
      cost: round(
        members.reduce((a, m) => a + m.cost, 0),
        2,
      ),
      members,
    },
    slo: {
      from: new Date(from).toISOString(),
      to: new Date(now).toISOString(),
      breachMinutes: scored.reduce((a, m) => a + (m.outcome?.breachMinutes ?? 0), 0),
      unservedPct: round(unserved.length ? Math.max(...unserved) : 0, 3),
      worstTwin: worst && (worst.outcome?.breachMinutes ?? 0) > 0 ? worst.twinId : null,
    },
    latestPlan: plans.items[0] ?? null,
  };
}

async function memberOutcome(
  store: GroupStore,
  m: ReadMember,
  catalog: InstanceCatalog,
  from: number,
  to: number,
): Promise<MemberOutcome> {
  const tagged = m.twin.tags?.[INSTANCE_TYPE_TAG];
  const type =
    catalog.types.find((t) => t.name === tagged) ??
    catalog.types.find((t) => t.name === catalog.referenceType);
  const instanceType = type?.name ?? catalog.referenceType;
  const pricePerHour = type?.pricePerHour ?? 0;
  if (!m.load || !m.twin.capacityModel)
    return { twinId: m.twin.id, instanceType, pricePerHour, outcome: null, cost: 0 };
  const decisions = await decisionsSince(store, m.twin.id, from - HOUR_MS);
  const outcome = compareShadowOutcomes({
    load: m.load.samples.filter((s) => s.t >= from),
    loadQuery: m.load.query,
    capacityPerInstance: m.twin.capacityModel.capacityPerInstance,
    warmupMinutes: m.twin.policy.warmupMinutes,
    from,
    to,
    live: decisions,
    shadows: [],
  }).live;
  return {
    twinId: m.twin.id,
    instanceType,
    pricePerHour,
    outcome,
    cost: round((outcome?.instanceHours ?? 0) * pricePerHour, 4),
  };
}

/** Decisions with a capacity made since `since`, oldest first (one before it says what was in force then). */
async function decisionsSince(store: GroupStore, twinId: string, since: number): Promise<RecordedDecision[]> {
  const out: RecordedDecision[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listRecords(twinId, 'decision', { limit: 100, cursor });
    for (const r of page.items)
      if (r.desired !== undefined) out.push({ at: Date.parse(r.at), desired: r.desired });
    cursor = page.cursor;
    if (page.items.length && Date.parse(page.items[page.items.length - 1].at) < since) break;
  } while (cursor);
  return out.reverse();
}

export interface PlanRequest {
  quantile: number;
  targetUtilization: number;
  catalog?: InstanceCatalog;
  seed: number;
  maxInstances?: number;
}

/**
 * The group's capacity plan for the next PLAN_HOURS hours from the next whole hour: the day-ahead
 * group forecast at `quantile`, the genetic search over the catalog's mix, then the simulator's
 * check. Throws GroupInputError (nothing to forecast) or PlanInfeasibleError (the catalog cannot
 * meet an hour); a plan that fails the check is returned with status `failed-check`.
 */
export async function planGroupCapacity(
  store: GroupStore,
  g: TwinGroup,
  req: PlanRequest,
  now: number,
): Promise<CapacityPlanRecord> {
  const catalog = req.catalog ?? (await catalogOf(store));
  const types = await plannedTypesOf(store, catalog);
  const read = await readMembers(store, g, now);
  const firstHour = nextHour(now);
  const f = forecastOf(read, types, g.tenant, now, firstHour);
  const hours = hourlyDemand(f, firstHour, PLAN_HOURS, req.quantile);
  const found = searchCapacityPlan({
    required: hours.map((h) => h.quantile / req.targetUtilization),
    types,
    seed: req.seed,
    ...(req.maxInstances !== undefined ? { maxInstances: req.maxInstances } : {}),
  });
  const warmupMinutes = Math.max(...g.members.map((t) => t.policy.warmupMinutes));
  const check = checkPlan({ firstHour, hours: found.hours }, f, { quantile: req.quantile, warmupMinutes });
  const at = new Date(now).toISOString();
  return {
    id: `plan-${now}-${req.seed}`,
    at,
    tenant: g.tenant,
    status: check.passed ? 'recommended' : 'failed-check',
    quantile: req.quantile,
    targetUtilization: req.targetUtilization,
    firstHour: new Date(firstHour).toISOString(),
    unit: 'reference-instances',
    currency: catalog.currency,
    referenceType: catalog.referenceType,
    types,
    hours: hours.map((h, i) => {
      const { hour, ...demand } = h;
      return { hour, demand: roundAll(demand), ...found.hours[i] };
    }),
    members: f.members.map((m) => ({
      twinId: m.twinId,
      capacityPerInstance: m.capacityPerInstance,
      model: m.model,
      required: memberHourly(m, firstHour, req).map((v) => round(v, 3)),
    })),
    skipped: skippedOf(read),
    correlation: {
      ...f.correlation,
      matrix: f.correlation.matrix.map((row) => row.map((v) => round(v, 3))),
    },
    cost: found.cost,
    shares: found.shares,
    singleType: found.singleType,
    search: found.search,
    check,
    applications: [],
  };
}

/** A member's own requirement per plan hour: its quantile's peak ÷ the target utilization. */
function memberHourly(m: GroupForecast['members'][number], firstHour: number, req: PlanRequest): number[] {
  const per = HOUR_MS / GROUP_SLOT_MS;
  const z90 = normalQuantile(0.9);
  const one = {
    p50: m.p50,
    sigmaUp: new Float64Array(m.p50.length),
    sigmaDown: new Float64Array(m.p50.length),
  };
  for (let h = 0; h < m.p50.length; h++) {
    one.sigmaUp[h] = Math.max(0, m.p90[h] - m.p50[h]) / z90;
    one.sigmaDown[h] = Math.max(0, m.p50[h] - m.p10[h]) / z90;
  }
  return Array.from({ length: PLAN_HOURS }, (_, i) => {
    const from = Math.round((firstHour + i * HOUR_MS - m.t0) / GROUP_SLOT_MS);
    let peak = 0;
    for (let h = Math.max(0, from); h < Math.min(m.p50.length, from + per); h++)
      peak = Math.max(peak, groupQuantile(one, h, req.quantile));
    return peak / req.targetUtilization;
  });
}

const round = (v: number, digits: number) => Number(v.toFixed(digits));
const roundAll = <T extends Record<string, number>>(o: T): T =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, round(v, 3)])) as T;
