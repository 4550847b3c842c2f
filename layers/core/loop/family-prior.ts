import { familyPrior, type LoadPrior, type MemberHistory, PRIOR_DEFAULTS } from '../forecast/prior.js';
import { HISTORY_DAYS, SLOT_MS } from '../policy/live-plan.js';
import { perMinuteDemand, slotPeaks } from '../policy/upstream-outlook.js';
import { DAY_MS, HOUR_MS } from '../series/grid.js';
import type { Sample } from '../series/read-trace.js';
import { allTwins, TwinConflictError, type TwinStore } from '../store/twin-store.js';
import { familyOfTwin, type Twin } from '../twin/twin.js';

/** A stored prior is recomputed after a day: the members' newest day reshapes it. */
export const PRIOR_REFIT_MS = DAY_MS;
/** Members read for a prior at most (the oldest first: the most history). */
export const MAX_PRIOR_MEMBERS = 5;

/** What the family-prior upkeep needs of the loop's ports. */
export interface FamilyPriorPorts {
  store: TwinStore;
  scheduleMinutes: number;
}

/**
 * Cold start (issue 10): a twin with a family (`family`, or its `twinscale:family` tag) and less
 * than a week of load history plans with its family's prior (forecast/prior.ts), kept on the twin
 * (`prior`) so that no cycle reads the family's histories. It is computed in the first cycle of
 * the twin's life, then in the first cycle of an hour once the stored one is a day old; a twin
 * whose family has no member with two days of history yet tries again in the first cycle of the
 * hour it was created, once a day. Past a week of own history the prior has no weight
 * (PRIOR_DEFAULTS.fadeHours) and nothing is read or written any more.
 *
 * Cost, only for a young twin of a family, once a day: a listing of the twins (a page per 100)
 * and each member's HISTORY_DAYS of load (up to MAX_PRIOR_MEMBERS), one write.
 *
 * Returns the twin to plan with: with its new prior when one was stored.
 */
export async function keepFamilyPrior(
  p: FamilyPriorPorts,
  twin: Twin,
  loadSamples: readonly Sample[],
  now: number,
): Promise<Twin> {
  const family = familyOfTwin(twin);
  if (!family) return twin;
  const first = loadSamples[0]?.t;
  if (first !== undefined && now - first >= PRIOR_DEFAULTS.fadeHours * HOUR_MS) return twin;
  if (!priorDue(twin, now, p.scheduleMinutes)) return twin;
  const members = (await allTwins(p.store))
    .filter((t) => t.id !== twin.id && familyOfTwin(t) === family && t.metrics.some((m) => m.role === 'load'))
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))
    .slice(0, MAX_PRIOR_MEMBERS);
  if (members.length === 0) return twin;
  const histories = await Promise.all(members.map((m) => memberHistory(p.store, m, now)));
  const prior = familyPrior(
    histories.filter((h): h is MemberHistory => h !== undefined),
    new Date(now).toISOString(),
  );
  if (!prior) return twin;
  return (await storePrior(p.store, twin, prior)) ?? twin;
}

/**
 * Due: never computed and in the twin's first cycle or at the hour of day it was created; or
 * stored a day ago or more, in the first cycle of an hour.
 */
export function priorDue(
  twin: Pick<Twin, 'prior' | 'createdAt'>,
  now: number,
  scheduleMinutes: number,
): boolean {
  const cycle = scheduleMinutes * 60_000;
  const firstOfHour = now % HOUR_MS < cycle;
  if (twin.prior) return firstOfHour && now - Date.parse(twin.prior.fittedAt) >= PRIOR_REFIT_MS - cycle;
  const age = now - Date.parse(twin.createdAt);
  if (!Number.isFinite(age) || age < cycle) return true;
  return firstOfHour && Math.floor(age / HOUR_MS) % 24 === 0;
}

/** A member's load as the live planner reads it: the busiest minute of each 5-minute slot. */
async function memberHistory(
  store: TwinStore,
  member: Twin,
  now: number,
): Promise<MemberHistory | undefined> {
  const q = member.metrics.find((m) => m.role === 'load');
  if (!q) return undefined;
  const origin = Math.floor(now / SLOT_MS) * SLOT_MS;
  const t0 = origin - HISTORY_DAYS * DAY_MS;
  const samples = await store.readSamples(member.id, q.key, t0, origin);
  if (samples.length === 0) return undefined;
  // the member's history starts at its first sample: the shape's hours need no leading gap
  const peaks = slotPeaks(perMinuteDemand(samples, q), t0, (origin - t0) / SLOT_MS, SLOT_MS);
  const from = Math.floor((samples[0].t - t0) / SLOT_MS);
  return {
    id: member.id,
    history: peaks.subarray(from),
    t0: t0 + from * SLOT_MS,
    stepMs: SLOT_MS,
    ...(member.capacityModel ? { capacityPerInstance: member.capacityModel.capacityPerInstance } : {}),
  };
}

async function storePrior(store: TwinStore, twin: Twin, prior: LoadPrior): Promise<Twin | undefined> {
  let current: Twin | undefined = twin;
  for (let attempt = 0; attempt < 3 && current; attempt++) {
    try {
      return await store.updateTwin(current.id, current.version, { prior });
    } catch (e) {
      if (!(e instanceof TwinConflictError)) throw e;
      current = await store.getTwin(twin.id);
    }
  }
  return undefined;
}
