import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { runCollector } from '../../../functions/collector/run.js';
import { DynamoTwinStore } from '../../../layers/aws/dynamo/dynamo-twin-store.js';
import { CollectorSettingsSchema } from '../../../layers/core/collect/collect.js';
import type { MetricSource } from '../../../layers/core/collect/metric-source.js';
import { requestCountTwin } from '../../../local/fixtures/twins.js';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.js';
import {
  type DynamoFault,
  dynamoClientFor,
  FaultLedger,
  FaultySource,
  injectDynamoFaults,
  type SourceFault,
} from '../../support/faults.js';

const MIN = 60_000;
// An hour past midnight UTC: a first run's window spans two days, so two chunks per twin.
const NOW = Date.parse('2026-11-23T01:00:00.000Z');
// Nothing before START: a first run's window (4 hours here) reaches back past it, even a late one.
const START = NOW - 190 * MIN;
const TWINS = ['a', 'b', 'c', 'd', 'e'];

/** Each twin's known series: a distinct, exactly representable value every minute, up to an hour ahead. */
const series = new Map(
  TWINS.map((id, k) => [
    id,
    Array.from({ length: 250 }, (_, i) => ({ t: START + i * MIN, v: (k + 1) * 1000 + i * 0.25 })),
  ]),
);

/** CloudWatch as the collector sees it: what exists for from ≤ t < to. */
const source: MetricSource = {
  async read(requests, from, to) {
    return requests.map((r) => ({
      id: r.id,
      samples: (series.get(r.id.split('/')[0]) ?? []).filter((s) => s.t >= from && s.t < to),
    }));
  },
};

/** A Powertools logger and metrics that keep what the handler emits. */
function observed() {
  const warnings: { message: string; twinId?: string; error?: string }[] = [];
  const counted: Record<string, number> = {};
  const log = {
    info: () => undefined,
    debug: () => undefined,
    warn: (message: string, f: { twinId?: string; error?: string }) => warnings.push({ message, ...f }),
  } as unknown as Logger;
  const metrics = {
    addMetric: (name: string, _unit: unknown, value: number) => {
      counted[name] = (counted[name] ?? 0) + value;
    },
  } as unknown as Metrics;
  return { log, metrics, warnings, counted };
}

const ledger = new FaultLedger();
const chunkOf = (id: string, day: string) => (pk: string, sk: string) =>
  pk === `TWIN#${id}` && sk === `SERIES#requests#${day}`;

describe('collector under faults (dynalite): every sample stored once, every failure on its twin', () => {
  let db: LocalDynamo;
  let client: DynamoDBClient;
  let store: DynamoTwinStore;
  let table: string;

  beforeAll(async () => {
    db = await startDynalite();
  });
  beforeEach(async () => {
    table = await db.newTable();
    client = dynamoClientFor(db.endpoint);
    store = new DynamoTwinStore(client, { tableName: table });
    for (const id of TWINS) await store.createTwin(requestCountTwin(id, 100));
  });
  afterEach(() => client.destroy());
  afterAll(async () => {
    ledger.write('collector');
    await db?.stop();
  });

  const run = (at: number, src: MetricSource = source) => {
    const o = observed();
    const settings = CollectorSettingsSchema.parse({ firstRunHours: 4 });
    return runCollector({ store, source: src, log: o.log, metrics: o.metrics, settings }, () => at).then(
      (report) => ({ report, ...o }),
    );
  };

  /** Every twin's stored series is exactly the source's up to `through`: none lost, none doubled. */
  const expectExact = async (through: number) => {
    for (const id of TWINS) {
      const stored = await store.readSamples(id, 'requests', START, NOW + 60 * MIN);
      const expected = (series.get(id) ?? []).filter((s) => s.t < through);
      expect({ id, count: stored.length }).toEqual({ id, count: expected.length });
      expect(stored).toEqual(expected);
    }
  };

  test("throttling, a 5xx, a timeout and a lost acknowledgement on the day's chunk: each twin's failure is recorded, the rerun stores every sample once", async () => {
    const today = '2026-11-23';
    const faults: DynamoFault[] = [
      { op: 'PutItem', kind: 'throttle', key: chunkOf('a', today), times: 1 },
      { op: 'PutItem', kind: 'server-error', key: chunkOf('b', today), times: 1 },
      { op: 'PutItem', kind: 'timeout', key: chunkOf('c', today), times: 1 },
      { op: 'PutItem', kind: 'lost-ack', key: chunkOf('d', today), times: 1 },
    ];
    const faulty = injectDynamoFaults(client, faults, ledger);

    const first = await run(NOW);
    expect(faulty.fired()).toBe(4);
    // visible: in the report, one warning per twin, the twinsFailed metric, and on each twin's status
    expect(first.report.failed.map((f) => f.twinId).sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(first.counted.twinsFailed).toBe(4);
    expect(first.warnings.map((w) => w.twinId).sort()).toEqual(['a', 'b', 'c', 'd']);
    const errors = {
      a: /^requests: ProvisionedThroughputExceededException: /,
      b: /^requests: InternalServerError: /,
      c: /^requests: TimeoutError: /,
      d: /^requests: TimeoutError: /,
    };
    for (const [id, pattern] of Object.entries(errors)) {
      const status = await store.getCollectionStatus(id);
      expect(status).toMatchObject({ consecutiveFailures: 1, lastError: expect.stringMatching(pattern) });
      // the cursor did not move: the next run rereads the whole window
      expect(status?.collectedThrough).toBeUndefined();
    }
    expect(await store.getCollectionStatus('e')).toMatchObject({
      consecutiveFailures: 0,
      collectedThrough: NOW,
    });
    // part-written: yesterday's chunk is stored, today's (a, b, c) is not, d's landed unacknowledged
    expect(await store.readSamples('a', 'requests', NOW - 60 * MIN, NOW)).toEqual([]);
    expect(await store.readSamples('d', 'requests', NOW - 60 * MIN, NOW)).toHaveLength(60);

    faulty.remove();
    const second = await run(NOW + 5 * MIN);
    expect(second.report.failed).toEqual([]);
    expect(second.counted.twinsFailed).toBe(0);
    await expectExact(NOW + 5 * MIN);
    for (const id of TWINS) {
      const status = await store.getCollectionStatus(id);
      expect(status).toEqual({ twinId: id, collectedThrough: NOW + 5 * MIN, consecutiveFailures: 0 });
    }
    // the twins that failed caught up today's 60 minutes and the 5 new ones; d only the new ones
    // (its unacknowledged write counts nowhere, but stands once)
    expect(second.report.samplesAdded).toBe(3 * 65 + 5 + 5);
    ledger.survived();
  });

  test('faults on single HTTP attempts, under the SDK retries: a retried conditional write after a lost acknowledgement stores nothing twice', async () => {
    // Without the chunk's version condition, the SDK's retry of the lost-ack write would overwrite
    // a chunk another writer changed meanwhile, and a merge-free put would double nothing only by luck:
    // the conditional write fails, the store rereads and merges, and finds nothing left to add.
    const faults: DynamoFault[] = [
      { op: 'PutItem', kind: 'lost-ack', key: (_pk, sk) => sk.startsWith('SERIES#'), calls: [1, 3, 6] },
      { op: 'PutItem', kind: 'throttle', key: (_pk, sk) => sk.startsWith('SERIES#'), calls: [2, 5] },
      { op: 'GetItem', kind: 'server-error', key: (_pk, sk) => sk.startsWith('SERIES#'), calls: [4] },
      { op: 'GetItem', kind: 'timeout', key: (_pk, sk) => sk === '#COLLECTION', calls: [2] },
    ];
    const faulty = injectDynamoFaults(client, faults, ledger, { layer: 'attempt' });
    const first = await run(NOW);
    expect(faulty.fired()).toBe(7);
    expect(first.report.failed).toEqual([]);
    await expectExact(NOW);
    faulty.remove();
    const second = await run(NOW + 5 * MIN);
    expect(second.report).toMatchObject({ failed: [], samplesAdded: 5 * 5, samplesRevised: 0 });
    await expectExact(NOW + 5 * MIN);
    ledger.survived();
  });

  test('GetMetricData throttled for one twin and late (partial) data for another: the failure is on the twin, the overlap picks up the late minutes', async () => {
    const faults: SourceFault[] = [
      { kind: 'throttle', ids: (id) => id.startsWith('a/'), times: 1 },
      { kind: 'timeout', ids: (id) => id.startsWith('c/'), times: 1 },
      // within the 10-minute overlap a later run rereads
      { kind: 'partial', lateMinutes: 4, ids: (id) => id.startsWith('b/'), times: 1 },
    ];
    const first = await run(NOW, new FaultySource(source, faults, ledger));
    expect(first.report.failed.map((f) => f.twinId).sort()).toEqual(['a', 'c']);
    expect(first.counted.twinsFailed).toBe(2);
    expect(await store.getCollectionStatus('a')).toMatchObject({
      consecutiveFailures: 1,
      lastError: 'requests: ThrottlingException: Rate exceeded',
    });
    expect(await store.readSamples('b', 'requests', NOW - 10 * MIN, NOW)).toHaveLength(6);

    const second = await run(NOW + 5 * MIN);
    expect(second.report.failed).toEqual([]);
    await expectExact(NOW + 5 * MIN);
    expect((await store.getCollectionStatus('a'))?.consecutiveFailures).toBe(0);
    ledger.survived();
  });

  test('a twin whose status cannot be written fails the run as a whole (a Lambda error); nothing is lost, the next run catches up', async () => {
    const faulty = injectDynamoFaults(
      client,
      [
        {
          op: 'PutItem',
          kind: 'throttle',
          key: (pk, sk) => pk === 'TWIN#c' && sk === '#COLLECTION',
          times: 1,
        },
      ],
      ledger,
    );
    await expect(run(NOW)).rejects.toThrow(/provisioned throughput/);
    faulty.remove();
    // c's samples were stored before its status: its cursor did not move, so they are reread, not doubled
    expect(await store.getCollectionStatus('c')).toBeUndefined();
    const second = await run(NOW + 5 * MIN);
    expect(second.report.failed).toEqual([]);
    await expectExact(NOW + 5 * MIN);
    ledger.survived();
  });
});
