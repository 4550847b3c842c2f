import type { TwinStore } from '../store/twin-store.js';
import { recordFailure } from './decision-records.js';
import { decisionSlot } from './decision-slot.js';
import type { RecordFailureEvent } from './events.js';
import { dueTwinsOf } from './list-due.js';

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
  const slot = decisionSlot(Date.parse(e.now), scheduleMinutes);
  const message = causeMessage(e.error.Cause) ?? e.error.Error;
  const pending = new Map((e.plan?.actuations ?? []).map((a) => [a.request.twinId, a.record]));
  const twins = await dueTwinsOf(store, e.twins);
  for (const { id: twinId } of twins) {
    const decided = pending.get(twinId);
    // a decision the actuator may have carried out before failing keeps its plan (the next
    // stabilization window reads it), and says the capacity must be checked
    const error = decided
      ? {
          name: e.error.Error,
          message: `actuation failed (${message}); the capacity may have changed: check the target`,
        }
      : { name: e.error.Error, message };
    const reason = decided
      ? { ...decided.reason, desired: decided.desired, stage: 'actuate' }
      : { stage: 'plan' };
    await recordFailure(store, twinId, slot, error, reason);
  }
  return { recorded: twins.length };
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
