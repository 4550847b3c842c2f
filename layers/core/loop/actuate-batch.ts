import type { ActuationResult } from '../act/actuate.js';
import type { ActuationRequest } from '../act/scaling-target.js';
import { inParallel } from '../in-parallel.js';
import type { TwinStore } from '../store/twin-store.js';
import { recordFailure, recordOutcome } from './decision-records.js';
import type { ActuateResult, PendingActuation } from './events.js';
import { TransientError } from './transient-error.js';

export interface ActuatorPorts {
  store: TwinStore;
  /** Acts once per decision id (Powertools idempotency in AWS and locally alike). */
  act: (request: ActuationRequest) => Promise<ActuationResult>;
  isTransient: (e: unknown) => boolean;
  concurrency?: number;
}

/**
 * Carries out a batch's decisions and records each one with what was done. A refused or failed
 * actuation fails only its twin (recorded on it); a transient error goes to the state
 * machine's Retry, and the idempotent `act` makes the retry skip what was already done.
 */
export async function actuateBatch(p: ActuatorPorts, actuations: PendingActuation[]): Promise<ActuateResult> {
  const counts: ActuateResult = { scaled: 0, unchanged: 0, recordedOnly: 0, failed: 0 };
  // a record that cannot be written for a transient reason retries the batch too: the retry
  // acts on nothing twice (idempotent `act`) and writes each record once
  const retriable = (write: Promise<void>) =>
    write.catch((e) => {
      throw p.isTransient(e) ? new TransientError(e) : e;
    });
  await inParallel(actuations, p.concurrency ?? 8, async ({ request, record }) => {
    const slot = { at: record.at, recordId: record.id };
    let done: ActuationResult;
    try {
      done = await p.act(request);
    } catch (e) {
      if (p.isTransient(e)) throw new TransientError(e);
      counts.failed++;
      await retriable(
        recordFailure(p.store, request.twinId, slot, e, { ...record.reason, desired: record.desired }),
      );
      return;
    }
    if (done.action === 'scaled') counts.scaled++;
    else if (done.action === 'none') counts.unchanged++;
    else counts.recordedOnly++;
    await retriable(recordOutcome(p.store, request.twinId, record, done));
  });
  return counts;
}
