import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import { z } from 'zod';
import { DynamoTwinStore } from '../../layers/aws/dynamo/dynamo-twin-store.js';
import { isTransient } from '../../layers/aws/retry.js';
import { AwsScalingTarget } from '../../layers/aws/scaling/aws-scaling-target.js';
import { snsNotifier } from '../../layers/aws/sns/sns-notifier.js';
import { MANAGED_TAG } from '../../layers/core/act/scaling-target.js';
import { TransientError } from '../../layers/core/loop/transient-error.js';
import { type AlertPublisher, DRIFT_EVENT } from '../../layers/core/twin/drift-watch.js';
import { parseEnv } from './parse-input.js';

/** Every function's table settings, from the environment the CDK stack sets. */
// Bounds and defaults live in the store's settings schema, which checks these values.
export const TableEnvSchema = z.object({
  TABLE_NAME: z.string().min(3, 'TABLE_NAME: the twin table’s name'),
  RETENTION_DAYS: z.coerce.number().optional(),
});

/** The twin table from the environment: its client and name (for Powertools idempotency) and the store. */
export function tableFromEnv(env: NodeJS.ProcessEnv = process.env) {
  const { TABLE_NAME, RETENTION_DAYS } = parseEnv(TableEnvSchema, env);
  const client = new DynamoDBClient({});
  const store = new DynamoTwinStore(client, { tableName: TABLE_NAME, retentionDays: RETENTION_DAYS });
  return { client, tableName: TABLE_NAME, store };
}

export const storeFromEnv = (env: NodeJS.ProcessEnv = process.env): DynamoTwinStore =>
  tableFromEnv(env).store;

/** The tag that marks managed resources: a deployment setting, the same in IAM conditions and here. */
export const ManagedTagEnvSchema = z.object({ MANAGED_TAG_KEY: z.string().min(1).default(MANAGED_TAG.key) });

export const scalingTargetFromEnv = (env: NodeJS.ProcessEnv = process.env): AwsScalingTarget =>
  new AwsScalingTarget(
    {
      autoScaling: new AutoScalingClient({}),
      ecs: new ECSClient({}),
      applicationAutoScaling: new ApplicationAutoScalingClient({}),
    },
    parseEnv(ManagedTagEnvSchema, env).MANAGED_TAG_KEY,
  );

/** The forecast-and-plan functions' settings. */
export const LoopEnvSchema = TableEnvSchema.extend({
  SCHEDULE_MINUTES: z.coerce.number().int().min(1).max(60).default(5),
});

/**
 * An entry PutEvents refused (it answers 200 with FailedEntryCount): the twin's cycle fails and the
 * next one alerts again, the twin not being marked yet.
 */
export class AlertPublishError extends Error {
  override readonly name = 'AlertPublishError';
}

/**
 * Drift alerts as EventBridge events on the account's default bus; the stack's rule routes them
 * to the alarm topic (SNS).
 */
export function eventBridgeAlerts(client = new EventBridgeClient({})): AlertPublisher {
  return {
    async publish(alert) {
      const out = await client.send(
        new PutEventsCommand({
          Entries: [
            {
              Source: DRIFT_EVENT.source,
              DetailType: DRIFT_EVENT.detailType,
              Resources: [],
              Detail: JSON.stringify(alert),
            },
          ],
        }),
      );
      if (out.FailedEntryCount) {
        const e = out.Entries?.[0];
        throw new AlertPublishError(`PutEvents refused the drift alert: ${e?.ErrorCode} ${e?.ErrorMessage}`);
      }
    },
  };
}

/** The alarm topic (SNS, encrypted with the table's key) remediation notices go to. */
export const AlertTopicEnvSchema = z.object({
  ALERT_TOPIC_ARN: z.string().startsWith('arn:', 'ALERT_TOPIC_ARN: the alarm topic’s ARN'),
});

export const snsNotifierFromEnv = (env: NodeJS.ProcessEnv = process.env) =>
  snsNotifier(new SNSClient({}), parseEnv(AlertTopicEnvSchema, env).ALERT_TOPIC_ARN);

/**
 * A port call whose transient failures (throttling, timeouts, 5xx) surface as TransientError, the
 * name the state machines' Retry matches, where core would otherwise record them as the outcome.
 */
export const retryable =
  <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
  async (...args: A): Promise<R> => {
    try {
      return await call(...args);
    } catch (e) {
      throw isTransient(e) ? new TransientError(e) : e;
    }
  };
