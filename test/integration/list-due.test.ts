import { DynamoTwinStore } from '../../layers/aws/dynamo/dynamo-twin-store.js';
import { dueTwinsOf, listDueTwins } from '../../layers/core/loop/list-due.js';
import { requestCountTwin } from '../../local/fixtures/twins.js';
import { type LocalDynamo, startDynalite } from '../support/dynalite.js';

const NOW = Date.parse('2026-11-23T12:02:00.000Z');

describe('twins due, as ranges of ids, and each range read back by its child', () => {
  let db: LocalDynamo;
  let store: DynamoTwinStore;
  // ids whose string order is not their numeric order, and twins with nothing to forecast among them
  const due = Array.from({ length: 120 }, (_, i) => `svc-${i}`);
  const idle = ['svc-1a', 'svc-5x', 'svc-99z'];

  beforeAll(async () => {
    db = await startDynalite();
    store = new DynamoTwinStore(db.client, { tableName: await db.newTable() });
    for (const id of due) await store.createTwin(requestCountTwin(id, 10));
    for (const id of idle)
      await store.createTwin({
        id,
        target: { kind: 'asg', autoScalingGroupName: id },
        metrics: [{ key: 'cpu', role: 'utilization', namespace: 'AWS/EC2', metricName: 'CPUUtilization' }],
      });
  });
  afterAll(() => db?.stop());

  test('120 due twins become ranges of 50, 50 and 20, which together hold each due twin once', async () => {
    const listed = await listDueTwins(store, NOW, 5);
    expect(listed.now).toBe('2026-11-23T12:00:00.000Z');
    expect(listed.batches.map((b) => b.count)).toEqual([50, 50, 20]);
    const read = [];
    for (const b of listed.batches) {
      const twins = await dueTwinsOf(store, b);
      expect(twins).toHaveLength(b.count);
      read.push(...twins.map((t) => t.id));
    }
    expect(read.sort()).toEqual([...due].sort());
  });

  test('a child sees its range as it is when it runs: a twin created in it since the listing is planned, a deleted one is not', async () => {
    const [first] = (await listDueTwins(store, NOW, 5)).batches;
    await store.createTwin(requestCountTwin('svc-10a', 10));
    await store.deleteTwin(first.first);
    const ids = (await dueTwinsOf(store, first)).map((t) => t.id);
    expect(ids).toContain('svc-10a');
    expect(ids).not.toContain(first.first);
    expect(ids).toHaveLength(first.count);
  });
});
