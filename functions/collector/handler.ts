import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import middy from '@middy/core';
import { CloudWatchMetricSource } from '../../layers/aws/cloudwatch/cloudwatch-metric-source.js';
import { CollectorSettingsSchema } from '../../layers/core/collect/collect.js';
import { parseEnv, parseEvent } from '../shared/parse-input.js';
import { storeFromEnv } from '../shared/wiring.js';
import { runCollector } from './run.js';
import { CollectorEnvSchema, CollectorEventSchema } from './settings.js';

const env = parseEnv(CollectorEnvSchema);
const log = new Logger({ serviceName: 'twinscale-collector' });
const metrics = new Metrics({ namespace: 'Twinscale', serviceName: 'collector' });
const ports = {
  store: storeFromEnv(),
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
    utilizationEveryMinutes: env.UTILIZATION_EVERY_MINUTES,
  }),
};

export const handler = middy(async (event: unknown) => {
  const { now } = parseEvent(CollectorEventSchema, event ?? {});
  return runCollector(ports, now ? () => Date.parse(now) : Date.now);
})
  .use(injectLambdaContext(log))
  .use(logMetrics(metrics));
