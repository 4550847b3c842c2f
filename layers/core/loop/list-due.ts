import type { TwinStore } from '../store/twin-store.js';
import { decisionSlot } from './decision-slot.js';
import type { ListDueResult, TwinBatch } from './events.js';

/** Twins a Distributed Map child plans: enough to share its start-up, few enough to finish in seconds. */
export const TWINS_PER_BATCH = 50;

/**
 * The twins the forecast-and-plan run decides for (every twin with a load metric: the others have
 * nothing to forecast), as ranges of ids of up to TWINS_PER_BATCH due twins each.
 */
export async function listDueTwins(
  store: TwinStore,
  now: number,
  scheduleMinutes: number,
): Promise<ListDueResult> {
  const due: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listTwins({ limit: 100, cursor });
    for (const t of page.items) if (hasLoad(t)) due.push(t.id);
    cursor = page.cursor;
  } while (cursor);
  const batches: TwinBatch[] = [];
  for (let i = 0; i < due.length; i += TWINS_PER_BATCH) {
    const ids = due.slice(i, i + TWINS_PER_BATCH);
    batches.push({ first: ids[0], last: ids[ids.length - 1], count: ids.length });
  }
  return { now: decisionSlot(now, scheduleMinutes).at, batches };
}

/** The due twins of one batch, as they are now: created since the listing and in range included, deleted ones gone. */
export async function dueTwinsOf(store: TwinStore, batch: TwinBatch) {
  const twins = [];
  let cursor: string | undefined;
  do {
    const page = await store.listTwins({ limit: 100, cursor }, batch);
    twins.push(...page.items.filter(hasLoad));
    cursor = page.cursor;
  } while (cursor);
  return twins;
}

const hasLoad = (t: { metrics: { role: string }[] }) => t.metrics.some((m) => m.role === 'load');
