import { DynamoTwinStore } from '../../layers/aws/dynamo/dynamo-twin-store.js';
import { collectOnce } from '../../layers/core/collect/collect.js';
import type { MetricRequest, MetricSource } from '../../layers/core/collect/metric-source.js';
import { REQUEST_COUNT } from '../../local/fixtures/twins.js';
import { type LocalDynamo, startDynalite } from '../support/dynalite.js';

const MINUTE = 60_000;
const NOW = Date.parse('2026-11-23T12:00:00.000Z');

/** A metric source that answers every minute of every window with 1, remembering what it was asked. */
class RecordingSource implements MetricSource {
  reads: { keys: string[]; from: number; to: number }[] = [];
  async read(requests: MetricRequest[], from: number, to: number) {
    this.reads.push({ keys: requests.map((r) => r.id), from, to });
    const samples = Array.from({ length: (to - from) / MINUTE }, (_, i) => ({ t: from + i * MINUTE, v: 1 }));
    return requests.map((r) => ({ id: r.id, samples }));
  }
}

describe('collector cadence: load every run, utilization every utilizationEveryMinutes', () => {
  let db: LocalDynamo;
  beforeAll(async () => {
    db = await startDynalite();
  });
  afterAll(() => db?.stop());

  test('CPU is read on the first run and then every hour, over the whole window since its last read', async () => {
    const store = new DynamoTwinStore(db.client, { tableName: await db.newTable() });
    await store.createTwin({
      id: 'web',
      target: { kind: 'asg', autoScalingGroupName: 'web' },
      metrics: [
        REQUEST_COUNT,
        { key: 'cpu', role: 'utilization', namespace: 'AWS/EC2', metricName: 'CPUUtilization' },
      ],
    });
    const source = new RecordingSource();
    const run = (minutes: number) => collectOnce({ store, source, now: () => NOW + minutes * MINUTE });
    for (let m = 0; m <= 65; m += 5) expect((await run(m)).failed).toEqual([]);
    const cpuReads = source.reads.filter((r) => r.keys.includes('web/cpu'));
    expect(cpuReads.map((r) => (r.to - NOW) / MINUTE)).toEqual([0, 60]);
    // the second read starts where the first ended, less the overlap: no minute of CPU is skipped
    expect((cpuReads[1].from - NOW) / MINUTE).toBe(-10);
    expect(source.reads.filter((r) => r.keys.includes('web/requests'))).toHaveLength(14);
    const cpu = await store.readSamples('web', 'cpu', NOW - 3 * 60 * MINUTE, NOW + 60 * MINUTE);
    expect(cpu).toHaveLength(3 * 60 + 60);
    expect(await store.getCollectionStatus('web')).toMatchObject({
      collectedThrough: NOW + 65 * MINUTE,
      utilizationThrough: NOW + 60 * MINUTE,
    });
  });
});
