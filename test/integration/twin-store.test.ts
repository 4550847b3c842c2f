import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoTwinStore, MAX_CHUNK_BYTES } from '../../layers/aws/dynamo/dynamo-twin-store.js';
import { keys } from '../../layers/aws/dynamo/table.js';
import type { Sample } from '../../layers/core/series/read-trace.js';
import { StoreInputError, TwinConflictError, TwinExistsError } from '../../layers/core/store/twin-store.js';
import type { TwinInput } from '../../layers/core/twin/twin.js';
import { type LocalDynamo, startDynalite } from '../support/dynalite.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 1);

const twinInput = (id: string): TwinInput => ({
  id,
  target: { kind: 'asg', autoScalingGroupName: `${id}-asg` },
  metrics: [
    {
      key: 'cpu',
      role: 'utilization',
      namespace: 'AWS/EC2',
      metricName: 'CPUUtilization',
      dimensions: [{ name: 'AutoScalingGroupName', value: `${id}-asg` }],
    },
  ],
});

const minutes = (from: number, n: number, value: (i: number) => number): Sample[] =>
  Array.from({ length: n }, (_, i) => ({ t: from + i * 60_000, v: value(i) }));

let db: LocalDynamo;
let store: DynamoTwinStore;
let table: string;

beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => db.stop());
beforeEach(async () => {
  table = await db.newTable();
  store = new DynamoTwinStore(db.client, { tableName: table }, () => T0);
});

describe('twins', () => {
  test('create, get, and a second create of the same id is refused', async () => {
    const t = await store.createTwin(twinInput('web'));
    expect(t).toMatchObject({
      id: 'web',
      version: 1,
      policy: { mode: 'forecast-only' },
      source: 'registered',
    });
    expect(await store.getTwin('web')).toEqual(t);
    expect(await store.getTwin('nope')).toBeUndefined();
    await expect(store.createTwin(twinInput('web'))).rejects.toBeInstanceOf(TwinExistsError);
  });

  test('bad input names the field', async () => {
    await expect(store.createTwin({ ...twinInput('web'), metrics: [] })).rejects.toThrow(/twin\.metrics/);
    await expect(store.createTwin(twinInput('Bad Id'))).rejects.toThrow(/twin\.id: twin id/);
    await expect(store.listTwins({ limit: 0 })).rejects.toThrow(/limit/);
    await expect(store.listTwins({ cursor: 'garbage' })).rejects.toBeInstanceOf(StoreInputError);
  });

  test('optimistic locking: of two updates from the same version, the second gets a conflict', async () => {
    await store.createTwin(twinInput('web'));
    const a = store.updateTwin('web', 1, {
      policy: { mode: 'forecast-and-scale', targetUtilization: 0.5, maxStep: 5 },
    });
    const b = store.updateTwin('web', 1, {
      policy: { mode: 'forecast-only', targetUtilization: 0.7, maxStep: 5 },
    });
    const results = await Promise.allSettled([a, b]);
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r) => r.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect((lost[0] as PromiseRejectedResult).reason).toBeInstanceOf(TwinConflictError);
    expect((lost[0] as PromiseRejectedResult).reason.message).toMatch(/read it again/);
    const stored = await store.getTwin('web');
    expect(stored?.version).toBe(2);
    expect(stored).toEqual((won[0] as PromiseFulfilledResult<unknown>).value);
    await expect(store.updateTwin('web', 1, { policy: stored!.policy })).rejects.toBeInstanceOf(
      TwinConflictError,
    );
  });

  test('list pages through every twin once', async () => {
    for (let i = 0; i < 7; i++) await store.createTwin(twinInput(`svc-${i}`));
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.listTwins({ limit: 3, cursor });
      seen.push(...page.items.map((t) => t.id));
      cursor = page.cursor;
      pages++;
    } while (cursor);
    expect(seen.sort()).toEqual(Array.from({ length: 7 }, (_, i) => `svc-${i}`));
    expect(pages).toBeGreaterThanOrEqual(3);
  });

  test('delete removes the twin and all its data, and leaves other twins alone', async () => {
    await store.createTwin(twinInput('a'));
    await store.createTwin(twinInput('b'));
    for (const id of ['a', 'b']) {
      await store.appendSamples(
        id,
        'cpu',
        minutes(T0, 3 * 1440, (i) => i % 100),
      );
      for (let i = 0; i < 30; i++)
        await store.putRecord(id, 'violation', {
          id: `v${i}`,
          at: new Date(T0 + i * 60_000).toISOString(),
          rule: 'max-cpu',
          severity: 'low',
          message: 'cpu high',
        });
    }
    expect(await store.deleteTwin('a')).toBe(true);
    expect(await store.getTwin('a')).toBeUndefined();
    expect(await store.readSamples('a', 'cpu', T0, T0 + 3 * DAY)).toEqual([]);
    expect((await store.listRecords('a', 'violation')).items).toEqual([]);
    expect(await store.deleteTwin('a')).toBe(false);
    expect(await store.readSamples('b', 'cpu', T0, T0 + 3 * DAY)).toHaveLength(3 * 1440);
  });
});

describe('samples', () => {
  test('append then read back exactly, across days, within the asked range', async () => {
    const samples = minutes(T0 - 60 * 60_000, 2 * 1440, (i) => Math.round(1000 * Math.sin(i / 50)) / 10);
    const r = await store.appendSamples('web', 'cpu', samples);
    expect(r).toMatchObject({ added: samples.length, revised: 0 });
    expect(await store.readSamples('web', 'cpu', samples[0].t, samples[samples.length - 1].t + 1)).toEqual(
      samples,
    );
    expect(await store.readSamples('web', 'cpu', T0, T0 + 10 * 60_000)).toEqual(samples.slice(60, 70));
    expect(await store.readSamples('web', 'requests', T0, T0 + DAY)).toEqual([]);
  });

  test('idempotent: a batch written twice, or a sample already stored, changes nothing', async () => {
    const samples = minutes(T0, 100, (i) => i);
    await store.appendSamples('web', 'cpu', samples);
    const key = keys.chunk('web', 'cpu', '2026-11-01');
    const before = await db.client.send(new GetItemCommand({ TableName: table, Key: marshallKey(key) }));
    expect(await store.appendSamples('web', 'cpu', samples)).toMatchObject({ added: 0, revised: 0 });
    expect(await store.appendSamples('web', 'cpu', samples.slice(10, 20))).toMatchObject({
      added: 0,
      revised: 0,
    });
    const after = await db.client.send(new GetItemCommand({ TableName: table, Key: marshallKey(key) }));
    expect(after.Item?.version).toEqual(before.Item?.version);
    expect(await store.readSamples('web', 'cpu', T0, T0 + DAY)).toEqual(samples);
  });

  test('a revised value at a stored minute replaces it', async () => {
    await store.appendSamples(
      'web',
      'cpu',
      minutes(T0, 5, () => 1),
    );
    expect(await store.appendSamples('web', 'cpu', [{ t: T0 + 4 * 60_000, v: 2 }])).toMatchObject({
      revised: 1,
    });
    expect((await store.readSamples('web', 'cpu', T0, T0 + DAY)).map((s) => s.v)).toEqual([1, 1, 1, 1, 2]);
  });

  test('concurrent appends to the same chunk never lose a sample', async () => {
    const all = minutes(T0, 400, (i) => i * 1.5);
    const batches = Array.from({ length: 8 }, (_, b) => all.filter((_, i) => i % 8 === b));
    const results = await Promise.all(batches.map((batch) => store.appendSamples('web', 'cpu', batch)));
    expect(results.reduce((n, r) => n + r.added, 0)).toBe(400);
    expect(results.reduce((n, r) => n + r.retries, 0)).toBeGreaterThan(0);
    expect(await store.readSamples('web', 'cpu', T0, T0 + DAY)).toEqual(all);
  });

  test('a day of 1-minute samples of arbitrary doubles fits one item with room to spare', async () => {
    let x = 1;
    const noisy = minutes(T0, 1440, () => {
      x = (x * 48271) % 2147483647;
      return (x / 2147483647) * 1e6 - 5e5;
    });
    await store.appendSamples('web', 'cpu', noisy);
    const item = await db.client.send(
      new GetItemCommand({ TableName: table, Key: marshallKey(keys.chunk('web', 'cpu', '2026-11-01')) }),
    );
    const bytes = item.Item?.data.B?.length ?? 0;
    expect(bytes).toBeGreaterThan(1440 * 4);
    expect(bytes).toBeLessThan(MAX_CHUNK_BYTES / 4);
    expect(await store.readSamples('web', 'cpu', T0, T0 + DAY)).toEqual(noisy);
  });

  test('a chunk too large to store is refused with the fix, not written', async () => {
    const perSecond = Array.from({ length: 40_000 }, (_, i) => ({ t: T0 + i * 1000, v: Math.random() }));
    await expect(store.appendSamples('web', 'cpu', perSecond)).rejects.toThrow(
      /at most one sample per minute/,
    );
    expect(await store.readSamples('web', 'cpu', T0, T0 + DAY)).toEqual([]);
  });

  test('non-finite samples are refused, naming the sample', async () => {
    await expect(store.appendSamples('web', 'cpu', [{ t: T0, v: Number.NaN }])).rejects.toThrow(
      /samples\[0\]/,
    );
  });

  test('chunks and records expire after the retention period (TTL attribute)', async () => {
    const short = new DynamoTwinStore(db.client, { tableName: table, retentionDays: 30 }, () => T0);
    await short.appendSamples(
      'web',
      'cpu',
      minutes(T0, 2, () => 1),
    );
    const item = await db.client.send(
      new GetItemCommand({ TableName: table, Key: marshallKey(keys.chunk('web', 'cpu', '2026-11-01')) }),
    );
    expect(Number(item.Item?.expiresAt.N)).toBe((T0 + DAY + 30 * DAY) / 1000);
    expect(() => new DynamoTwinStore(db.client, { tableName: table, retentionDays: 7 })).toThrow(
      /at least 30/,
    );
  });
});

describe('records', () => {
  test('decisions list newest first, page by page, and a retried write is stored once', async () => {
    for (let i = 0; i < 12; i++) {
      const d = {
        id: `d-${i}`,
        at: new Date(T0 + i * 300_000).toISOString(),
        desired: 3 + i,
        reason: { boundBy: 'plan' },
        action: 'recorded-only' as const,
      };
      await store.putRecord('web', 'decision', d);
      if (i % 3 === 0) await store.putRecord('web', 'decision', d);
    }
    await store.putRecord('web', 'violation', {
      id: 'v',
      at: new Date(T0).toISOString(),
      rule: 'r',
      severity: 'high',
      message: 'm',
    });
    const first = await store.listRecords('web', 'decision', { limit: 5 });
    expect(first.items.map((d) => d.id)).toEqual(['d-11', 'd-10', 'd-9', 'd-8', 'd-7']);
    const ids = [...first.items.map((d) => d.id)];
    let cursor = first.cursor;
    while (cursor) {
      const page = await store.listRecords('web', 'decision', { limit: 5, cursor });
      ids.push(...page.items.map((d) => d.id));
      cursor = page.cursor;
    }
    expect(ids).toEqual(Array.from({ length: 12 }, (_, i) => `d-${11 - i}`));
  });

  test('a record that does not fit its schema is refused, naming the field', async () => {
    await expect(
      store.putRecord('web', 'decision', {
        id: 'x',
        at: 'yesterday',
        desired: 1,
        reason: {},
        action: 'none',
      }),
    ).rejects.toThrow(/decision\.at/);
  });
});

function marshallKey(k: { pk: string; sk: string }) {
  return { pk: { S: k.pk }, sk: { S: k.sk } };
}

describe('controls (the kill switch)', () => {
  test('off until set; set and read back', async () => {
    await expect(store.getControls()).resolves.toEqual({ actuationPaused: false });
    await store.putControls({ actuationPaused: true, reason: 'incident 7' });
    await expect(store.getControls()).resolves.toMatchObject({ actuationPaused: true, reason: 'incident 7' });
  });

  test('an item an operator wrote by hand with the AWS CLI is read; a malformed one is named', async () => {
    await db.client.send(
      new PutItemCommand({
        TableName: table,
        Item: { pk: { S: 'CONTROL' }, sk: { S: '#GLOBAL' }, actuationPaused: { BOOL: true } },
      }),
    );
    await expect(store.getControls()).resolves.toEqual({ actuationPaused: true });
    await db.client.send(
      new PutItemCommand({
        TableName: table,
        Item: { pk: { S: 'CONTROL' }, sk: { S: '#GLOBAL' }, actuationPaused: { S: 'yes' } },
      }),
    );
    await expect(store.getControls()).rejects.toThrow('actuationPaused must be a boolean');
  });
});
