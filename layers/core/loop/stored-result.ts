import type { RecordOf } from '../store/records.js';
import type { TwinStore } from '../store/twin-store.js';

/** What both workflows return: where the full result was stored, and its headline. */
export interface StoredResult {
  twinId: string;
  recordId: string;
  summary: Record<string, unknown>;
}

/** The time a request is about: when it was asked for, or else when its execution started. */
export const asked = (request: { requestedAt?: string }, execution: { name: string; now: number }) => ({
  ...execution,
  now: request.requestedAt ? Date.parse(request.requestedAt) : execution.now,
});

/** Stores a workflow's result under the id asked for, or the execution's name; returns the id. */
export async function storeResult(
  store: TwinStore,
  kind: 'scenario' | 'optimization',
  request: { twinId: string },
  id: string | undefined,
  execution: { name: string; now: number },
  result: object,
): Promise<string> {
  const recordId = id ?? execution.name;
  const record = { id: recordId, at: new Date(execution.now).toISOString(), input: request, result };
  await store.putRecord(request.twinId, kind, record as RecordOf<typeof kind>);
  return recordId;
}
