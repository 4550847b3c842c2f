import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { type ActuationPorts, type ActuationResult, actuate } from '../core/act/actuate.js';
import type { ActuationRequest } from '../core/act/scaling-target.js';
import { keys, TABLE } from './dynamo/table.js';

/** A decision id is remembered this long: far longer than any retry of the run that made it. */
const REMEMBER_SECONDS = 24 * 3600;

/**
 * `actuate`, once per decision id: Powertools idempotency keeps each call's result in the twin
 * table (partition `IDEMPOTENCY`), so a retried invocation returns what the first one did
 * instead of acting again; a duplicate arriving while the first is in progress gets
 * IdempotencyAlreadyInProgressError, which the loop treats as transient (retried, then answered).
 */
export function idempotentActuate(
  client: DynamoDBClient,
  tableName: string,
  ports: ActuationPorts,
): {
  act: (request: ActuationRequest) => Promise<ActuationResult>;
  /** Each invocation's context: an in-progress record expires with the invocation's time left. */
  registerLambdaContext: (context: Context) => void;
} {
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName,
    awsSdkV3Client: client,
    keyAttr: TABLE.partitionKey,
    sortKeyAttr: TABLE.sortKey,
    staticPkValue: keys.idempotencyPartition,
    expiryAttr: TABLE.ttlAttribute,
  });
  const config = new IdempotencyConfig({
    eventKeyJmesPath: 'decisionId',
    expiresAfterSeconds: REMEMBER_SECONDS,
    throwOnNoIdempotencyKey: true,
  });
  return {
    act: makeIdempotent((request: ActuationRequest) => actuate(request, ports), { persistenceStore, config }),
    registerLambdaContext: (context) => config.registerLambdaContext(context),
  };
}
