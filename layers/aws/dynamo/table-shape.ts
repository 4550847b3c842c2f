/**
 * The one table's shape, shared by the CDK stack, the local runtime and the tests.
 *
 * | item | pk | sk |
 * | --- | --- | --- |
 * | twin | `TWIN#<id>` | `#TWIN` (and gsi1pk `TWIN`, gsi1sk `<id>`, for listing) |
 * | collection status | `TWIN#<id>` | `#COLLECTION` |
 * | series chunk | `TWIN#<id>` | `SERIES#<metric>#<yyyy-mm-dd>` |
 * | record | `TWIN#<id>` | `<KIND>#<at ISO>#<record id>` (newest first = reverse sort) |
 * | controls (kill switch) | `CONTROL` | `#GLOBAL` |
 * | compliance policy | `POLICY` | `<policy id>` |
 * | actuation idempotency | `IDEMPOTENCY` | Powertools' hashed key |
 *
 * Everything of a twin shares its partition, so deleting a twin is one query, and reading a
 * metric's range is one query on the sort key's day order.
 */
export const TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  listIndex: 'gsi1',
  listPartitionKey: 'gsi1pk',
  listSortKey: 'gsi1sk',
  ttlAttribute: 'expiresAt',
} as const;

export const keys = {
  twin: (id: string) => ({ pk: `TWIN#${id}`, sk: '#TWIN' }),
  collection: (id: string) => ({ pk: `TWIN#${id}`, sk: '#COLLECTION' }),
  chunk: (id: string, metric: string, day: string) => ({ pk: `TWIN#${id}`, sk: `SERIES#${metric}#${day}` }),
  chunkPrefix: (metric: string) => `SERIES#${metric}#`,
  record: (kind: string, at: string, recordId: string) => `${kind.toUpperCase()}#${at}#${recordId}`,
  recordPrefix: (kind: string) => `${kind.toUpperCase()}#`,
  twinListPartition: 'TWIN',
  controls: { pk: 'CONTROL', sk: '#GLOBAL' },
  idempotencyPartition: 'IDEMPOTENCY',
};
