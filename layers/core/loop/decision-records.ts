import type { ActuationResult } from '../act/actuate.js';
import type { DecisionRecordSchema } from '../store/records.js';
import type { TwinStore } from '../store/twin-store.js';
import type { PendingActuation } from './events.js';

type DecisionRecord = typeof DecisionRecordSchema._output;

/** Records a decision with what was done about it (by the actuator, or known without calling it). */
export async function recordOutcome(
  store: TwinStore,
  twinId: string,
  record: PendingActuation['record'],
  done: ActuationResult,
): Promise<void> {
  // a target found already there although it was elsewhere when planned: a retried actuation whose
  // first attempt acted before failing, or someone else; either way the change is not this call's
  const moved =
    done.action === 'none' && record.previous !== undefined && done.from !== record.previous
      ? `; it was ${record.previous} when planned: changed since, by an earlier attempt or another actor`
      : '';
  await store.putRecord(twinId, 'decision', {
    ...record,
    desired: done.to ?? record.desired,
    reason: { ...record.reason, ...(done.boundBy ? { actuatorBoundBy: done.boundBy } : {}) },
    action: done.action,
    result: done.message + moved,
  });
}

/** Records a twin's failed decision for the slot; a decision already recorded there stands. */
export async function recordFailure(
  store: TwinStore,
  twinId: string,
  slot: { at: string; recordId: string },
  error: unknown,
  reason: DecisionRecord['reason'] = {},
): Promise<void> {
  const e = error as { name?: string; message?: string };
  await store.putRecord(twinId, 'decision', {
    id: slot.recordId,
    at: slot.at,
    reason: { ...reason, error: e?.name ?? 'Error' },
    action: 'failed',
    result: (e?.message ?? String(error)).slice(0, 1000),
  });
}
