import type { TwinStore } from '../store/twin-store.js';
import { decisionSlot } from './decision-slot.js';
import type { ListDueResult } from './events.js';

/**
 * The twins the forecast-and-plan run decides for: every twin with a load metric (the others have
 * nothing to forecast). Only ids travel through the state machine, to stay far below its 256 KB
 * payload limit (about 5,000 twins of 40-character ids).
 */
export async function listDueTwins(
  store: TwinStore,
  now: number,
  scheduleMinutes: number,
): Promise<ListDueResult> {
  const twins: ListDueResult['twins'] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listTwins({ limit: 100, cursor });
    for (const t of page.items) if (t.metrics.some((m) => m.role === 'load')) twins.push({ twinId: t.id });
    cursor = page.cursor;
  } while (cursor);
  return { now: decisionSlot(now, scheduleMinutes).at, twins };
}
