import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

export interface EmbeddedDynamo {
  client: DynamoDBClient;
  endpoint: string;
  stop(): Promise<void>;
}

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
