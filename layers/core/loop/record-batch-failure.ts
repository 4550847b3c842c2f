import type { TwinStore } from '../store/twin-store.js';
import { decisionSlot } from './decision-slot.js';
import type { RecordFailureEvent } from './events.js';
import { recordFailure } from './plan-batch.js';

/**
 * Records a failed batch on each of its twins (Step Functions' Catch output: the error name and
 * cause). A twin whose decision was already recorded in this slot keeps it: records are written
 * once per id.
 */
export async function recordBatchFailure(
  store: TwinStore,
  e: RecordFailureEvent,
  scheduleMinutes: number,
): Promise<{ recorded: number }> {
  const slot = decisionSlot(Date.parse(e.BatchInput.now), scheduleMinutes);
  const error = { name: e.error.Error, message: causeMessage(e.error.Cause) ?? e.error.Error };
  for (const { twinId } of e.Items) await recordFailure(store, twinId, slot, error, { stage: 'batch' });
  return { recorded: e.Items.length };
}

/** A Lambda error's Cause is a JSON string holding errorMessage; other causes are plain text. */
function causeMessage(cause: string | undefined): string | undefined {
  if (!cause) return undefined;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string };
    return parsed.errorMessage ?? cause;
  } catch {
    return cause;
  }
}
