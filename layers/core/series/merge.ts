import { DAY_MS } from './grid.js';
import type { Sample } from './read-trace.js';

/** The UTC day (yyyy-mm-dd) a sample belongs to: the key of its chunk. */
export const dayOf = (t: number): string =>
  new Date(Math.floor(t / DAY_MS) * DAY_MS).toISOString().slice(0, 10);

/** Samples grouped by UTC day, each group sorted by time. */
export function splitByDay(samples: readonly Sample[]): Map<string, Sample[]> {
  const days = new Map<string, Sample[]>();
  for (const s of samples) {
    const d = dayOf(s.t);
    const list = days.get(d);
    if (list) list.push(s);
    else days.set(d, [s]);
  }
  for (const list of days.values()) list.sort((a, b) => a.t - b.t);
  return days;
}

export interface MergeResult {
  samples: Sample[];
  /** Samples at a time not stored before. */
  added: number;
  /** Samples that replaced a stored one with a different value (CloudWatch revises late minutes). */
  revised: number;
}

/**
 * Stored samples with incoming ones merged in, one sample per timestamp. A sample already stored
 * changes nothing; a different value at a stored time replaces it, since CloudWatch's latest
 * minutes grow as late datapoints arrive and the collector rereads them on purpose.
 */
export function mergeSamples(stored: readonly Sample[], incoming: readonly Sample[]): MergeResult {
  const byTime = new Map<number, number>();
  for (const s of stored) byTime.set(s.t, s.v);
  let added = 0;
  let revised = 0;
  for (const s of incoming) {
    const old = byTime.get(s.t);
    if (old === undefined) added++;
    else if (!Object.is(old, s.v)) revised++;
    else continue;
    byTime.set(s.t, s.v);
  }
  const samples = [...byTime].map(([t, v]) => ({ t, v })).sort((a, b) => a.t - b.t);
  return { samples, added, revised };
}
