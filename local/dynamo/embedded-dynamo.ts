import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

export interface EmbeddedDynamo {
  client: DynamoDBClient;
  endpoint: string;
  stop(): Promise<void>;
}

type IteratorClass = { prototype: { close(): Promise<void> } & Partial<Record<'return', unknown>> };
/** What dynalite's storage (level on disk, memory-level in memory) is built on: the one or more copies of abstract-level it loads. */
export function dynaliteAbstractLevels(): Record<string, unknown>[] {
  const fromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'));
  const level = createRequire(createRequire(fromDynalite.resolve('level')).resolve('classic-level'));
  const memory = createRequire(fromDynalite.resolve('memory-level'));
  const paths = new Set([level.resolve('abstract-level'), memory.resolve('abstract-level')]);
  return [...paths].map((p) => fromDynalite(p) as Record<string, unknown>);
}

/**
 * dynalite 4 reads a Query's or Scan's items through a stream over an abstract-level iterator and,
 * when the stream ends or is destroyed, closes the iterator with `iterator.return()`, which
 * abstract-level iterators do not have (theirs is `close()`). So every Query and Scan left its
 * LevelDB iterator open, held by the database with its last batch of items and the LevelDB
 * version it reads: the local runtime's memory grew by about 4 MB a second. This gives them the
 * `return` dynalite calls (the async iterator protocol's), closing the iterator.
 */
function closeIteratorsOnReturn(): void {
  for (const abstractLevel of dynaliteAbstractLevels())
    for (const name of ['AbstractIterator', 'AbstractKeyIterator', 'AbstractValueIterator']) {
      const proto = (abstractLevel[name] as IteratorClass | undefined)?.prototype;
      if (!proto || 'return' in proto) continue;
      Object.defineProperty(proto, 'return', {
        configurable: true,
        writable: true,
        async value(this: { close(): Promise<void> }, value?: unknown) {
          await this.close();
          return { done: true, value };
        },
      });
    }
}
closeIteratorsOnReturn();

/**
 * dynalite in this process on a free loopback port: real DynamoDB validation, conditions and
 * pagination. In memory unless given a folder to keep the data in.
 */
export async function startEmbeddedDynamo(o: { path?: string } = {}): Promise<EmbeddedDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, path: o.path });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    // the local engine runs many children at once against one process: more than the default 50 sockets
    requestHandler: { httpAgent: { keepAlive: true, maxSockets: 512 } },
  });
  return {
    client,
    endpoint,
    async stop() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
