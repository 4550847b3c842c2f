import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutItemCommand, QueryCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { createTwinTable } from '../../../layers/aws/dynamo/table.js';
import { dynaliteAbstractLevels, startEmbeddedDynamo } from '../../../local/dynamo/embedded-dynamo.js';

type Resources = { attachResource(r: object): void; detachResource(r: object): void };

/** The iterators (and other resources) dynalite's databases hold open, counted as abstract-level attaches and detaches them. */
function watchOpenResources(): { open: Set<object>; restore: () => void } {
  const open = new Set<object>();
  const restores: (() => void)[] = [];
  for (const abstractLevel of dynaliteAbstractLevels()) {
    const proto = (abstractLevel.AbstractLevel as { prototype: Resources }).prototype;
    const { attachResource, detachResource } = proto;
    proto.attachResource = function (r) {
      open.add(r);
      return attachResource.call(this, r);
    };
    proto.detachResource = function (r) {
      open.delete(r);
      return detachResource.call(this, r);
    };
    restores.push(() => Object.assign(proto, { attachResource, detachResource }));
  }
  return {
    open,
    restore: () => {
      for (const r of restores) r();
    },
  };
}

describe.each([
  ['in memory', false],
  ['on disk', true],
])('the embedded dynalite (%s)', (_, onDisk) => {
  test('closes the LevelDB iterator of every Query and Scan (an open one kept its items and grew the runtime by MBs a second)', async () => {
    const dir = onDisk ? mkdtempSync(join(tmpdir(), 'twinscale-dynalite-')) : undefined;
    const dynamo = await startEmbeddedDynamo(dir ? { path: dir } : {});
    const watch = watchOpenResources();
    try {
      await createTwinTable(dynamo.client, 'twins');
      for (let i = 0; i < 30; i++)
        await dynamo.client.send(
          new PutItemCommand({
            TableName: 'twins',
            Item: { pk: { S: 'TWIN#a' }, sk: { S: `SERIES#${String(i).padStart(3, '0')}` } },
          }),
        );
      const queries = 60;
      for (let i = 0; i < queries; i++) {
        await dynamo.client.send(
          new QueryCommand({
            TableName: 'twins',
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': { S: 'TWIN#a' } },
            // half read to the end, half stopped early by a Limit
            ...(i % 2 ? { Limit: 5 } : {}),
          }),
        );
        if (i % 10 === 0) await dynamo.client.send(new ScanCommand({ TableName: 'twins' }));
      }
      // an iterator is closed as its stream is destroyed, just after the answer is sent
      for (let wait = 0; wait < 100 && watch.open.size > 0; wait++)
        await new Promise((r) => setTimeout(r, 20));
      expect(watch.open.size).toBe(0);
    } finally {
      watch.restore();
      await dynamo.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });
});
