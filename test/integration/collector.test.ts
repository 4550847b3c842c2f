import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchMetricSource } from '../../layers/aws/cloudwatch/cloudwatch-metric-source.js';
import { DynamoTwinStore } from '../../layers/aws/dynamo/dynamo-twin-store.js';
import { collectOnce } from '../../layers/core/collect/collect.js';
import type { Sample } from '../../layers/core/series/read-trace.js';
import type { TwinStore } from '../../layers/core/store/twin-store.js';
import type { MetricQuery, TwinInput } from '../../layers/core/twin/twin.js';
import { type LocalDynamo, startDynalite } from '../support/dynalite.js';
import { type Moto, motoAvailable, startMoto } from '../support/moto.js';

const MINUTE = 60_000;
const haveMoto = motoAvailable();
const describeMoto = haveMoto ? describe : describe.skip;

// Real time: CloudWatch (and moto) keep recent datapoints; the series ends two minutes ago.
const NOW = Math.floor(Date.now() / MINUTE) * MINUTE;
const START = NOW - 150 * MINUTE;

const cpuQuery = (asg: string, stat = 'Average'): MetricQuery => ({
  key: 'cpu',
  role: 'utilization',
  namespace: 'AWS/EC2',
  metricName: 'CPUUtilization',
  dimensions: [{ name: 'AutoScalingGroupName', value: asg }],
  stat,
  periodSeconds: 60,
});

const twin = (id: string, query = cpuQuery(id)): TwinInput => ({
  id,
  target: { kind: 'asg', autoScalingGroupName: id },
  metrics: [query],
});

/** A known series per twin: a distinct, exactly representable value each minute. */
const series = (seed: number): Sample[] =>
  Array.from({ length: 148 }, (_, i) => ({ t: START + i * MINUTE, v: seed * 1000 + i * 0.25 }));

let moto: Moto;
let db: LocalDynamo;
let cw: CloudWatchClient;

describeMoto('collector against moto_server (CloudWatch) and dynalite', () => {
  beforeAll(async () => {
    [moto, db] = await Promise.all([startMoto(), startDynalite()]);
    // moto cannot read the gzip bodies the SDK sends for large PutMetricData calls
    cw = new CloudWatchClient({ ...moto.clientConfig, disableRequestCompression: true });
    for (const [seed, asg] of ['web', 'api', 'batch'].entries()) {
      const data = series(seed + 1);
      for (let i = 0; i < data.length; i += 100)
        await cw.send(
          new PutMetricDataCommand({
            Namespace: 'AWS/EC2',
            MetricData: data.slice(i, i + 100).map((s) => ({
              MetricName: 'CPUUtilization',
              Dimensions: [{ Name: 'AutoScalingGroupName', Value: asg }],
              Timestamp: new Date(s.t),
              Value: s.v,
              Unit: 'Percent',
            })),
          }),
        );
    }
  });
  afterAll(async () => {
    cw?.destroy();
    await Promise.all([moto?.stop(), db?.stop()]);
  });

  async function freshStore(): Promise<DynamoTwinStore> {
    const store = new DynamoTwinStore(db.client, { tableName: await db.newTable() });
    for (const id of ['web', 'api', 'batch']) await store.createTwin(twin(id));
    return store;
  }

  const expectExact = async (store: TwinStore) => {
    for (const [seed, id] of ['web', 'api', 'batch'].entries())
      expect(await store.readSamples(id, 'cpu', START - 60 * MINUTE, NOW)).toEqual(series(seed + 1));
  };

  const collect = (store: TwinStore, source = new CloudWatchMetricSource(cw), now = NOW) =>
    collectOnce({ store, source, now: () => now, settings: { firstRunHours: 3 } });

  test('reads back exactly the series that was put, and a second run adds nothing', async () => {
    const store = await freshStore();
    const first = await collect(store);
    expect(first).toMatchObject({ twins: 3, samplesAdded: 3 * 148, failed: [] });
    await expectExact(store);
    expect((await store.getCollectionStatus('web'))?.collectedThrough).toBe(NOW);
    const second = await collect(store, undefined, NOW + 5 * MINUTE);
    expect(second).toMatchObject({ samplesAdded: 0, samplesRevised: 0, failed: [] });
    await expectExact(store);
  });

  test("one twin's failing query is recorded on that twin and the others are collected", async () => {
    const store = await freshStore();
    // CloudWatch rejects the whole GetMetricData call over one bad statistic
    await store.createTwin(twin('broken', cpuQuery('web', 'NotAStatistic')));
    const r = await collect(store);
    expect(r.failed.map((f) => f.twinId)).toEqual(['broken']);
    await expectExact(store);
    const status = await store.getCollectionStatus('broken');
    expect(status?.consecutiveFailures).toBe(1);
    expect(status?.collectedThrough).toBeUndefined();
    expect(status?.lastError).toMatch(/^cpu: /);
    await collect(store);
    expect((await store.getCollectionStatus('broken'))?.consecutiveFailures).toBe(2);
  });

  test('throttling is retried with backoff, and the run completes', async () => {
    const store = await freshStore();
    const throttled = new CloudWatchClient(moto.clientConfig);
    let refusals = 3;
    throttled.middlewareStack.add(
      (next) => async (args) => {
        if (refusals-- > 0) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
        return next(args);
      },
      { step: 'initialize', name: 'throttle-first-calls' },
    );
    const waits: number[] = [];
    const source = new CloudWatchMetricSource(throttled, {
      baseMs: 1,
      onRetry: (_, ms) => waits.push(ms),
    });
    expect((await collect(store, source)).failed).toEqual([]);
    expect(waits).toHaveLength(3);
    await expectExact(store);
    throttled.destroy();
  });

  test('a crash after some chunks were written: the rerun loses nothing and doubles nothing', async () => {
    const store = await freshStore();
    let writes = 0;
    // The process "dies" at the third append: that call and everything after it never finishes.
    const dying: TwinStore = Object.create(store);
    dying.appendSamples = (...args) => (++writes < 3 ? store.appendSamples(...args) : new Promise(() => {}));
    void collect(dying);
    await new Promise((r) => setTimeout(r, 500));
    expect(writes).toBeGreaterThanOrEqual(3);
    const stored = (
      await Promise.all(['web', 'api', 'batch'].map((id) => store.readSamples(id, 'cpu', 0, NOW)))
    )
      .map((s) => s.length)
      .reduce((a, b) => a + b, 0);
    expect(stored).toBeLessThan(3 * 148);
    await collect(store, undefined, NOW + MINUTE);
    await expectExact(store);
  });

  test('two collectors racing on the same twins store each sample exactly once', async () => {
    const store = await freshStore();
    const [a, b] = await Promise.all([collect(store), collect(store)]);
    expect(a.failed).toEqual([]);
    expect(b.failed).toEqual([]);
    expect(a.samplesAdded + b.samplesAdded).toBe(3 * 148);
    await expectExact(store);
  });

  test('more than 500 metrics are read in several GetMetricData calls, each page followed', async () => {
    const calls: number[] = [];
    const counted = new CloudWatchClient(moto.clientConfig);
    counted.middlewareStack.add(
      (next) => async (args) => {
        calls.push(((args.input as { MetricDataQueries?: unknown[] }).MetricDataQueries ?? []).length);
        return next(args);
      },
      { step: 'initialize', name: 'count-calls' },
    );
    const requests = Array.from({ length: 1001 }, (_, i) => ({
      id: `r${i}`,
      query: cpuQuery(['web', 'api', 'batch'][i % 3]),
    }));
    const results = await new CloudWatchMetricSource(counted).read(requests, START, NOW);
    expect(calls).toEqual([500, 500, 1]);
    expect(results).toHaveLength(1001);
    expect(results[1000].samples).toEqual(series(2));
    counted.destroy();
  });
});
