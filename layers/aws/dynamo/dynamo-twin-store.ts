import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  type NativeAttributeValue,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import {
  PolicyIdSchema,
  type StoredPolicy,
  StoredPolicySchema,
} from '../../core/compliance/policy-document.js';
import { type InstanceCatalog, InstanceCatalogSchema } from '../../core/groups/catalog.js';
import { type CapacityPlanRecord, CapacityPlanRecordSchema } from '../../core/groups/plan-record.js';
import { decodeSamples, encodeSamples } from '../../core/series/codec.js';
import { DAY_MS } from '../../core/series/grid.js';
import { dayOf, mergeSamples, splitByDay } from '../../core/series/merge.js';
import type { Sample } from '../../core/series/read-trace.js';
import {
  KEPT_RECORD_KINDS,
  RECORD_SCHEMAS,
  type RecordKind,
  type RecordOf,
} from '../../core/store/records.js';
import {
  type AppendResult,
  type CollectionStatus,
  CollectionStatusSchema,
  type Controls,
  ControlsSchema,
  type Page,
  type PageRequest,
  StoreInputError,
  TwinConflictError,
  TwinExistsError,
  TwinNotFoundError,
  type TwinRange,
  type TwinStore,
} from '../../core/store/twin-store.js';
import {
  type Twin,
  TwinIdSchema,
  type TwinInput,
  TwinInputSchema,
  type TwinPatch,
  TwinPatchSchema,
  TwinSchema,
} from '../../core/twin/twin.js';
import { keys, TABLE } from './table.js';

export const DynamoTwinStoreSettingsSchema = z.object({
  tableName: z.string().min(3),
  retentionDays: z
    .number()
    .int()
    .min(30, 'retentionDays: at least 30 (a month of history feeds the daily and weekly patterns)')
    .max(3650)
    .default(35),
  /** Attempts at a chunk write that keeps losing races before giving up. */
  maxChunkAttempts: z.number().int().min(1).max(100).default(20),
});
export type DynamoTwinStoreSettings = z.input<typeof DynamoTwinStoreSettingsSchema>;

/** Largest encoded chunk accepted: a quarter of DynamoDB's 400 KB item limit. */
export const MAX_CHUNK_BYTES = 100 * 1024;
const MAX_RECORD_BYTES = 300 * 1024;
const SECOND = 1000;

const PageLimitSchema = z.number().int().min(1).max(100).default(50);

/** The TwinStore on one DynamoDB table (keys: table.ts). */
export class DynamoTwinStore implements TwinStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly s: z.infer<typeof DynamoTwinStoreSettingsSchema>;

  constructor(
    client: DynamoDBClient,
    settings: DynamoTwinStoreSettings,
    private readonly now: () => number = Date.now,
  ) {
    this.s = DynamoTwinStoreSettingsSchema.parse(settings);
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  // ---- twins

  async createTwin(input: TwinInput): Promise<Twin> {
    const parsed = parseInput(TwinInputSchema, input, 'twin');
    const at = new Date(this.now()).toISOString();
    const twin: Twin = { ...parsed, upstreams: [], version: 1, createdAt: at, updatedAt: at };
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.s.tableName,
          Item: this.twinItem(twin),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) throw new TwinExistsError(twin.id);
      throw e;
    }
    return twin;
  }

  async getTwin(id: string): Promise<Twin | undefined> {
    const r = await this.doc.send(
      new GetCommand({ TableName: this.s.tableName, Key: keys.twin(checkId(id)), ConsistentRead: true }),
    );
    return r.Item ? TwinSchema.parse(JSON.parse(r.Item.twin)) : undefined;
  }

  async listTwins(page: PageRequest = {}, range?: TwinRange): Promise<Page<Twin>> {
    const r = await this.query(
      {
        IndexName: TABLE.listIndex,
        KeyConditionExpression: range ? '#p = :p AND #s BETWEEN :first AND :last' : '#p = :p',
        ExpressionAttributeNames: {
          '#p': TABLE.listPartitionKey,
          ...(range ? { '#s': TABLE.listSortKey } : {}),
        },
        ExpressionAttributeValues: {
          ':p': keys.twinListPartition,
          ...(range ? { ':first': checkId(range.first), ':last': checkId(range.last) } : {}),
        },
      },
      page,
    );
    return { ...r, items: r.items.map((i) => TwinSchema.parse(JSON.parse(i.twin))) };
  }

  async updateTwin(id: string, expectedVersion: number, patch: TwinPatch): Promise<Twin> {
    const changes = parseInput(TwinPatchSchema, patch, 'patch');
    const current = await this.getTwin(id);
    if (!current) throw new TwinNotFoundError(id);
    if (current.version !== expectedVersion)
      throw new TwinConflictError(id, expectedVersion, current.version);
    const next: Twin = {
      ...current,
      ...changes,
      version: expectedVersion + 1,
      updatedAt: new Date(this.now()).toISOString(),
    };
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.s.tableName,
          Item: this.twinItem(next),
          ConditionExpression: 'version = :v',
          ExpressionAttributeValues: { ':v': expectedVersion },
        }),
      );
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException)
        throw new TwinConflictError(id, expectedVersion, (await this.getTwin(id))?.version);
      throw e;
    }
    return next;
  }

  async deleteTwin(id: string): Promise<boolean> {
    // The twin item goes first, so a crash part-way leaves no half-deleted twin in listings;
    // a rerun sweeps what is left.
    const r = await this.doc.send(
      new DeleteCommand({
        TableName: this.s.tableName,
        Key: keys.twin(checkId(id)),
        ReturnValues: 'ALL_OLD',
      }),
    );
    let cursor: string | undefined;
    do {
      const page = await this.query(
        {
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': keys.twin(id).pk },
          ProjectionExpression: 'pk, sk',
        },
        { limit: 25, cursor },
      );
      await this.deleteKeys(page.items.map((i) => ({ pk: i.pk, sk: i.sk })));
      cursor = page.cursor;
    } while (cursor);
    return r.Attributes !== undefined;
  }

  private twinItem(t: Twin) {
    return {
      ...keys.twin(t.id),
      [TABLE.listPartitionKey]: keys.twinListPartition,
      [TABLE.listSortKey]: t.id,
      version: t.version,
      twin: JSON.stringify(t),
    };
  }

  // ---- samples

  async appendSamples(twinId: string, metric: string, samples: readonly Sample[]): Promise<AppendResult> {
    checkId(twinId);
    for (const [i, s] of samples.entries())
      if (!Number.isFinite(s.t) || !Number.isFinite(s.v))
        throw new StoreInputError(`samples[${i}]: t and v must be finite numbers, got t=${s.t} v=${s.v}`);
    const total: AppendResult = { added: 0, revised: 0, retries: 0 };
    for (const [day, daySamples] of splitByDay(samples)) {
      const r = await this.appendToChunk(twinId, metric, day, daySamples);
      total.added += r.added;
      total.revised += r.revised;
      total.retries += r.retries;
    }
    return total;
  }

  /** Read, merge, write back on the version read; a lost race rereads and merges again. */
  private async appendToChunk(twinId: string, metric: string, day: string, incoming: Sample[]) {
    const key = keys.chunk(twinId, metric, day);
    for (let attempt = 0; attempt < this.s.maxChunkAttempts; attempt++) {
      const r = await this.doc.send(
        new GetCommand({ TableName: this.s.tableName, Key: key, ConsistentRead: true }),
      );
      const version: number | undefined = r.Item?.version;
      const stored = r.Item ? decodeSamples(r.Item.data) : [];
      const merged = mergeSamples(stored, incoming);
      if (merged.added + merged.revised === 0) return { added: 0, revised: 0, retries: attempt };
      const data = encodeSamples(merged.samples);
      if (data.length > MAX_CHUNK_BYTES)
        throw new StoreInputError(
          `samples for ${twinId}/${metric} on ${day}: the day's chunk would take ${data.length} bytes ` +
            `(limit ${MAX_CHUNK_BYTES}); store at most one sample per minute`,
        );
      try {
        await this.doc.send(
          new PutCommand({
            TableName: this.s.tableName,
            Item: {
              ...key,
              data,
              count: merged.samples.length,
              version: (version ?? 0) + 1,
              [TABLE.ttlAttribute]: this.expiry(Date.parse(day) + DAY_MS),
            },
            ...(version === undefined
              ? { ConditionExpression: 'attribute_not_exists(pk)' }
              : { ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': version } }),
          }),
        );
        return { added: merged.added, revised: merged.revised, retries: attempt };
      } catch (e) {
        if (!(e instanceof ConditionalCheckFailedException)) throw e;
        await sleep(Math.random() * 5 * (attempt + 1));
      }
    }
    throw new Error(
      `chunk ${twinId}/${metric}/${day}: still losing write races after ${this.s.maxChunkAttempts} attempts`,
    );
  }

  async readSamples(twinId: string, metric: string, from: number, to: number): Promise<Sample[]> {
    checkId(twinId);
    if (!(from < to)) return [];
    const prefix = keys.chunkPrefix(metric);
    const out: Sample[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.query(
        {
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :a AND :b',
          ExpressionAttributeValues: {
            ':pk': keys.twin(twinId).pk,
            ':a': prefix + dayOf(from),
            ':b': prefix + dayOf(to - 1),
          },
          ConsistentRead: true,
        },
        { limit: 100, cursor },
      );
      for (const item of page.items)
        for (const s of decodeSamples(item.data)) if (s.t >= from && s.t < to) out.push(s);
      cursor = page.cursor;
    } while (cursor);
    return out;
  }

  // ---- records

  async putRecord<K extends RecordKind>(twinId: string, kind: K, record: RecordOf<K>): Promise<void> {
    checkId(twinId);
    const r = parseInput(RECORD_SCHEMAS[kind], record, kind) as RecordOf<K>;
    const doc = JSON.stringify(r);
    if (doc.length > MAX_RECORD_BYTES)
      throw new StoreInputError(
        `${kind} ${r.id}: ${doc.length} bytes, over the ${MAX_RECORD_BYTES}-byte limit`,
      );
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.s.tableName,
          Item: {
            pk: keys.twin(twinId).pk,
            sk: keys.record(kind, r.at, r.id),
            doc,
            ...(KEPT_RECORD_KINDS.has(kind) ? {} : { [TABLE.ttlAttribute]: this.expiry(Date.parse(r.at)) }),
          },
          // a retried write of the same record stores it once
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
    }
  }

  async getRecord<K extends RecordKind>(
    twinId: string,
    kind: K,
    at: string,
    id: string,
  ): Promise<RecordOf<K> | undefined> {
    const r = await this.doc.send(
      new GetCommand({
        TableName: this.s.tableName,
        Key: { pk: keys.twin(checkId(twinId)).pk, sk: keys.record(kind, at, id) },
      }),
    );
    return r.Item ? (RECORD_SCHEMAS[kind].parse(JSON.parse(r.Item.doc)) as RecordOf<K>) : undefined;
  }

  async listRecords<K extends RecordKind>(
    twinId: string,
    kind: K,
    page: PageRequest = {},
  ): Promise<Page<RecordOf<K>>> {
    checkId(twinId);
    const r = await this.query(
      {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :k)',
        ExpressionAttributeValues: { ':pk': keys.twin(twinId).pk, ':k': keys.recordPrefix(kind) },
        ScanIndexForward: false,
      },
      page,
    );
    return { ...r, items: r.items.map((i) => RECORD_SCHEMAS[kind].parse(JSON.parse(i.doc)) as RecordOf<K>) };
  }

  // ---- collection status

  async getCollectionStatus(twinId: string): Promise<CollectionStatus | undefined> {
    const r = await this.doc.send(
      new GetCommand({
        TableName: this.s.tableName,
        Key: keys.collection(checkId(twinId)),
        ConsistentRead: true,
      }),
    );
    return r.Item ? CollectionStatusSchema.parse(JSON.parse(r.Item.doc)) : undefined;
  }

  async putCollectionStatus(status: CollectionStatus): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.s.tableName,
        Item: { ...keys.collection(checkId(status.twinId)), doc: JSON.stringify(status) },
      }),
    );
  }

  async getControls(): Promise<Controls> {
    const r = await this.doc.send(
      new GetCommand({ TableName: this.s.tableName, Key: keys.controls, ConsistentRead: true }),
    );
    // an operator may write the item by hand, with the fields as attributes instead of a JSON doc
    const raw = r.Item?.doc ? JSON.parse(r.Item.doc) : (r.Item ?? {});
    const parsed = ControlsSchema.safeParse(raw);
    if (!parsed.success)
      throw new StoreInputError(
        `the controls item (pk CONTROL, sk #GLOBAL) is malformed: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}; ` +
          'actuationPaused must be a boolean',
      );
    return parsed.data;
  }

  async putControls(controls: Controls): Promise<void> {
    const doc = ControlsSchema.parse(controls);
    await this.doc.send(
      new PutCommand({ TableName: this.s.tableName, Item: { ...keys.controls, doc: JSON.stringify(doc) } }),
    );
  }

  // ---- compliance policies: one item each in the POLICY partition, read whole (a few, shared by every twin)

  async putPolicy(policy: StoredPolicy): Promise<void> {
    const doc = parseInput(StoredPolicySchema, policy, 'policy');
    await this.doc.send(
      new PutCommand({
        TableName: this.s.tableName,
        Item: { ...policyKey(doc.id), doc: JSON.stringify(doc) },
      }),
    );
  }

  async getPolicy(id: string): Promise<StoredPolicy | undefined> {
    const r = await this.doc.send(
      new GetCommand({
        TableName: this.s.tableName,
        Key: policyKey(checkPolicyId(id)),
        ConsistentRead: true,
      }),
    );
    return r.Item ? StoredPolicySchema.parse(JSON.parse(r.Item.doc)) : undefined;
  }

  async listPolicies(): Promise<StoredPolicy[]> {
    const out: StoredPolicy[] = [];
    let cursor: string | undefined;
    do {
      const r = await this.query(
        {
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': POLICY_PARTITION },
          ConsistentRead: true,
        },
        { limit: 100, cursor },
      );
      out.push(...r.items.map((i) => StoredPolicySchema.parse(JSON.parse(i.doc))));
      cursor = r.cursor;
    } while (cursor);
    return out;
  }

  async deletePolicy(id: string): Promise<boolean> {
    const r = await this.doc.send(
      new DeleteCommand({
        TableName: this.s.tableName,
        Key: policyKey(checkPolicyId(id)),
        ReturnValues: 'ALL_OLD',
      }),
    );
    return r.Attributes !== undefined;
  }

  // ---- tenant groups: the instance catalog (one item) and each group's capacity plans

  async getCatalog(): Promise<InstanceCatalog | undefined> {
    const r = await this.doc.send(
      new GetCommand({ TableName: this.s.tableName, Key: CATALOG_KEY, ConsistentRead: true }),
    );
    return r.Item ? InstanceCatalogSchema.parse(JSON.parse(r.Item.doc)) : undefined;
  }

  async putCatalog(catalog: InstanceCatalog): Promise<void> {
    const doc = parseInput(InstanceCatalogSchema, catalog, 'catalog');
    await this.doc.send(
      new PutCommand({ TableName: this.s.tableName, Item: { ...CATALOG_KEY, doc: JSON.stringify(doc) } }),
    );
  }

  async putCapacityPlan(plan: CapacityPlanRecord): Promise<void> {
    const doc = parseInput(CapacityPlanRecordSchema, plan, 'capacity plan');
    await this.doc.send(
      new PutCommand({
        TableName: this.s.tableName,
        Item: {
          ...planKey(doc.tenant, doc.at, doc.id),
          doc: JSON.stringify(doc),
          [TABLE.ttlAttribute]: this.expiry(Date.parse(doc.at)),
        },
      }),
    );
  }

  async listCapacityPlans(tenant: string, page: PageRequest = {}): Promise<Page<CapacityPlanRecord>> {
    const r = await this.query(
      {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :plan)',
        ExpressionAttributeValues: { ':pk': `${GROUP_PARTITION}${tenant}`, ':plan': 'PLAN#' },
        ScanIndexForward: false,
        ConsistentRead: true,
      },
      { limit: page.limit ?? 20, cursor: page.cursor },
    );
    return { ...r, items: r.items.map((i) => CapacityPlanRecordSchema.parse(JSON.parse(i.doc))) };
  }

  // ---- helpers

  private expiry(fromMs: number): number {
    return Math.floor((fromMs + this.s.retentionDays * DAY_MS) / SECOND);
  }

  private async query(
    input: Omit<QueryCommandInput, 'TableName' | 'Limit' | 'ExclusiveStartKey'>,
    page: PageRequest,
  ): Promise<{ items: Record<string, NativeAttributeValue>[]; cursor?: string }> {
    const limit = PageLimitSchema.safeParse(page.limit);
    if (!limit.success) throw new StoreInputError(`limit: a whole number from 1 to 100, got ${page.limit}`);
    const r = await this.doc.send(
      new QueryCommand({
        ...input,
        TableName: this.s.tableName,
        Limit: limit.data,
        ExclusiveStartKey: page.cursor ? decodeCursor(page.cursor) : undefined,
      }),
    );
    return {
      items: r.Items ?? [],
      cursor: r.LastEvaluatedKey ? encodeCursor(r.LastEvaluatedKey) : undefined,
    };
  }

  private async deleteKeys(keyList: { pk: string; sk: string }[]): Promise<void> {
    let pending = keyList.map((Key) => ({ DeleteRequest: { Key } }));
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) await sleep(Math.min(1000, 20 * 2 ** attempt) * Math.random());
      const r = await this.doc.send(new BatchWriteCommand({ RequestItems: { [this.s.tableName]: pending } }));
      pending = (r.UnprocessedItems?.[this.s.tableName] ?? []) as typeof pending;
    }
  }
}

/** The instance catalog: one item, pk `CATALOG`; a group's plans: pk `GROUP#<tenant>`, sk `PLAN#<at>#<id>`. */
const CATALOG_KEY = { pk: 'CATALOG', sk: '#DEFAULT' };
const GROUP_PARTITION = 'GROUP#';
const planKey = (tenant: string, at: string, id: string) => ({
  pk: `${GROUP_PARTITION}${tenant}`,
  sk: `PLAN#${at}#${id}`,
});

/** Compliance policies: pk `POLICY`, sk `<policy id>` (beside CONTROL and IDEMPOTENCY in table-shape.ts's table). */
const POLICY_PARTITION = 'POLICY';
const policyKey = (id: string) => ({ pk: POLICY_PARTITION, sk: id });

function checkPolicyId(id: string): string {
  const r = PolicyIdSchema.safeParse(id);
  if (!r.success) throw new StoreInputError(`policy id "${id}": ${r.error.issues[0].message}`);
  return id;
}

function checkId(id: string): string {
  const r = TwinIdSchema.safeParse(id);
  if (!r.success) throw new StoreInputError(`twin id "${id}": ${r.error.issues[0].message}`);
  return id;
}

function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = issue.path.length ? `${what}.${issue.path.join('.')}` : what;
  throw new StoreInputError(`${path}: ${issue.message}`);
}

const encodeCursor = (key: Record<string, unknown>): string =>
  Buffer.from(JSON.stringify(key)).toString('base64url');

function decodeCursor(cursor: string): Record<string, unknown> {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    if (key && typeof key === 'object' && typeof key.pk === 'string') return key;
  } catch {}
  throw new StoreInputError('cursor: not one this store returned; start again without a cursor');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
