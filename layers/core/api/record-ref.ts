import { randomBytes } from 'node:crypto';

/**
 * Ids of records the API finds without knowing their twin (what-if runs, approval tokens):
 * `<twin>.<time in ms, base 36>.<random>`. The twin and time are the record's key, so one read finds it.
 * The time has at most 10 digits: 36^10 ms reaches past the year 100,000 yet stays inside what a
 * Date holds (8.64e15 ms); an 11th digit could name a time no Date holds, and a 500.
 */
export const recordRefPattern = (randomChars: string) =>
  new RegExp(`^([a-z0-9][a-z0-9-]{0,127})\\.([0-9a-z]{1,10})\\.([0-9a-z]${randomChars})$`);

/** The twin and the record time (ISO) of an id that matched its pattern. */
export function parseRecordRef(pattern: RegExp, id: string): { twinId: string; at: string } {
  const m = pattern.exec(id) as RegExpExecArray;
  return { twinId: m[1], at: new Date(Number.parseInt(m[2], 36)).toISOString() };
}

/** A new id for a record of `twinId` stored at `at` (ms), with six random base-36 characters. */
export const newRecordRef = (twinId: string, at: number): string =>
  `${twinId}.${at.toString(36)}.${randomBytes(4).readUInt32BE().toString(36).padStart(6, '0').slice(-6)}`;
