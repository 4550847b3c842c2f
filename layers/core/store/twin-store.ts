import { z } from 'zod';
import type { StoredPolicy } from '../compliance/policy-document.js';
import type { InstanceCatalog } from '../groups/catalog.js';
import type { CapacityPlanRecord } from '../groups/plan-record.js';
import type { Sample } from '../series/read-trace.js';
import type { Twin, TwinInput, TwinPatch } from '../twin/twin.js';
import type { RecordKind, RecordOf } from './records.js';

export interface Page<T> {
  items: T[];
  /** Opaque; pass back to get the next page. Absent on the last page. */
  cursor?: string;
}

export interface PageRequest {
  limit?: number;
  cursor?: string;
}

/** Twins whose ids lie from `first` to `last`, both included, in the store's id order. */
export interface TwinRange {
  first: string;
  last: string;
}

export interface AppendResult {
  /** Samples at a time not stored before. */
  added: number;
  /** Stored samples whose value changed. */
  revised: number;
  /** Chunk writes that lost a race and were redone. */
  retries: number;
}

/** The collector's progress and health for one twin, kept apart from the twin (no version churn). */
export const CollectionStatusSchema = z.object({
  twinId: z.string(),
  /** Samples up to this time (ms) are collected: the load metrics (a twin without any: all). */
  collectedThrough: z.number().optional(),
  /** Utilization metrics, read less often, are collected up to this time (ms). */
  utilizationThrough: z.number().optional(),
  lastError: z.string().optional(),
  lastErrorAt: z.string().optional(),
  consecutiveFailures: z.number().int().min(0),
});
export type CollectionStatus = z.infer<typeof CollectionStatusSchema>;

/** Settings that apply to every twin at once. */
export const ControlsSchema = z.object({
  /** The kill switch: while true, no actuator changes any capacity (decisions are still recorded). */
  actuationPaused: z.boolean().default(false),
  reason: z.string().max(500).optional(),
  updatedAt: z.string().optional(),
});
export type Controls = z.infer<typeof ControlsSchema>;

/**
 * The twin's memory (ARCHITECTURE.md, "Data model"). Core depends on this port; `layers/aws`
 * implements it on DynamoDB. Every write is safe to retry.
 */
export interface TwinStore {
  createTwin(input: TwinInput): Promise<Twin>;
  getTwin(id: string): Promise<Twin | undefined>;
  /** In id order; within `range` when one is given. Eventually consistent: a change made a moment ago may not show. */
  listTwins(page?: PageRequest, range?: TwinRange): Promise<Page<Twin>>;
  /** Optimistic locking: throws TwinConflictError unless the stored version is `expectedVersion`. */
  updateTwin(id: string, expectedVersion: number, patch: TwinPatch): Promise<Twin>;
  /** Removes the twin and everything stored for it; safe to rerun. False if there was no twin. */
  deleteTwin(id: string): Promise<boolean>;

  /** Idempotent: a sample already stored, or a batch written twice, changes nothing. */
  appendSamples(twinId: string, metric: string, samples: readonly Sample[]): Promise<AppendResult>;
  /** Samples with from ≤ t < to, in time order. */
  readSamples(twinId: string, metric: string, from: number, to: number): Promise<Sample[]>;

  putRecord<K extends RecordKind>(twinId: string, kind: K, record: RecordOf<K>): Promise<void>;
  /** One record by its time and id (both are in its key), or undefined. */
  getRecord<K extends RecordKind>(
    twinId: string,
    kind: K,
    at: string,
    id: string,
  ): Promise<RecordOf<K> | undefined>;
  /** Newest first. */
  listRecords<K extends RecordKind>(twinId: string, kind: K, page?: PageRequest): Promise<Page<RecordOf<K>>>;

  getCollectionStatus(twinId: string): Promise<CollectionStatus | undefined>;
  putCollectionStatus(status: CollectionStatus): Promise<void>;

  /** Read on every actuation, strongly consistent, so the kill switch acts at once. */
  getControls(): Promise<Controls>;
  putControls(controls: Controls): Promise<void>;

  /** Compliance policies (layers/core/compliance/): a few documents shared by every twin. Replaces one of the same id. */
  putPolicy(policy: StoredPolicy): Promise<void>;
  getPolicy(id: string): Promise<StoredPolicy | undefined>;
  /** Every policy, in id order. */
  listPolicies(): Promise<StoredPolicy[]>;
  /** False if there was no such policy. */
  deletePolicy(id: string): Promise<boolean>;

  /** The instance type catalog capacity plans choose from (groups/catalog.ts); undefined until one is put. */
  getCatalog(): Promise<InstanceCatalog | undefined>;
  putCatalog(catalog: InstanceCatalog): Promise<void>;
  /** A tenant group's capacity plan (groups/plan-record.ts); one of the same time and id is replaced. */
  putCapacityPlan(plan: CapacityPlanRecord): Promise<void>;
  /** A tenant group's capacity plans, newest first. */
  listCapacityPlans(tenant: string, page?: PageRequest): Promise<Page<CapacityPlanRecord>>;
}

export class TwinNotFoundError extends Error {
  constructor(readonly twinId: string) {
    super(`twin "${twinId}" does not exist`);
    this.name = 'TwinNotFoundError';
  }
}

export class TwinExistsError extends Error {
  constructor(readonly twinId: string) {
    super(`twin "${twinId}" already exists: update it, or choose another id`);
    this.name = 'TwinExistsError';
  }
}

export class TwinConflictError extends Error {
  constructor(
    readonly twinId: string,
    readonly expectedVersion: number,
    readonly actualVersion: number | undefined,
  ) {
    super(
      `twin "${twinId}" changed since version ${expectedVersion} (now ${actualVersion ?? 'deleted'}): ` +
        'read it again and reapply your change',
    );
    this.name = 'TwinConflictError';
  }
}

/** A bad argument to the store: names the field and what would be accepted. */
export class StoreInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreInputError';
  }
}

/** Every twin, page by page (for the runs that look at all of them: the graph, compliance). */
export async function allTwins(store: Pick<TwinStore, 'listTwins'>): Promise<Twin[]> {
  const twins: Twin[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listTwins({ limit: 100, cursor });
    twins.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return twins;
}
