import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTwinTable } from '../../layers/aws/dynamo/table.js';
import { startEmbeddedDynamo } from '../../local/dynamo/embedded-dynamo.js';

export interface LocalDynamo {
  client: DynamoDBClient;
  endpoint: string;
  /** A fresh, empty twin table. */
  newTable(): Promise<string>;
  stop(): Promise<void>;
}

let tables = 0;

/** dynalite in this process, in memory, with a fresh twin table per call of newTable. */
export async function startDynalite(): Promise<LocalDynamo> {
  const dynamo = await startEmbeddedDynamo();
  return {
    ...dynamo,
    async newTable() {
      const name = `twins-${++tables}`;
      await createTwinTable(dynamo.client, name);
      return name;
    },
  };
}
