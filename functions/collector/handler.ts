import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import middy from '@middy/core';
import { CloudWatchMetricSource } from '../../layers/aws/cloudwatch/cloudwatch-metric-source.js';
import { DynamoTwinStore } from '../../layers/aws/dynamo/dynamo-twin-store.js';
import { CollectorSettingsSchema } from '../../layers/core/collect/collect.js';
import { parseEvent } from '../shared/parse-event.js';
import { runCollector } from './run.js';
import { CollectorEnvSchema, CollectorEventSchema } from './settings.js';

const env = CollectorEnvSchema.parse(process.env);
const log = new Logger({ serviceName: 'twinscale-collector' });
const metrics = new Metrics({ namespace: 'Twinscale', serviceName: 'collector' });
const ports = {
  store: new DynamoTwinStore(new DynamoDBClient({}), {
    tableName: env.TABLE_NAME,
    retentionDays: env.RETENTION_DAYS,
  }),
  source: new CloudWatchMetricSource(new CloudWatchClient({})),
  discovery:
    env.DISCOVERY === 'true'
      ? {
          autoScaling: new AutoScalingClient({}),
          ecs: new ECSClient({}),
          elbv2: new ElasticLoadBalancingV2Client({}),
          tagKey: env.MANAGED_TAG_KEY,
          mode: env.DEFAULT_MODE,
        }
      : undefined,
  log,
  metrics,
  settings: CollectorSettingsSchema.parse({
    scheduleMinutes: env.SCHEDULE_MINUTES,
    overlapMinutes: env.OVERLAP_MINUTES,
  }),
};

export const handler = middy(async (event: unknown) => {
  const { now } = parseEvent(CollectorEventSchema, event ?? {});
  return runCollector(ports, now ? () => Date.parse(now) : Date.now);
})
  .use(injectLambdaContext(log))
  .use(logMetrics(metrics));
