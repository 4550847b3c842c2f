import { MINUTE_MS } from '../series/grid.js';

/**
 * Every decision belongs to a slot of the schedule: its record id is the slot's start, and
 * `${twinId}:${slot}` is the actuation's idempotency key, so a retried task, or a second
 * execution for the same scheduled time, decides and acts once.
 */
export function decisionSlot(now: number, scheduleMinutes: number): { at: string; recordId: string } {
  const step = scheduleMinutes * MINUTE_MS;
  const at = new Date(Math.floor(now / step) * step).toISOString();
  return { at, recordId: `decision-${at}` };
}

export const decisionIdFor = (twinId: string, recordId: string): string => `${twinId}:${recordId}`;
