import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { idempotentActuate } from '../../layers/aws/idempotent-actuate.js';
import { isTransient } from '../../layers/aws/retry.js';
import { applyMix, MixRequestSchema, mixAnswer } from '../../layers/core/act/mixed-instances.js';
import { actuateBatch } from '../../layers/core/loop/actuate-batch.js';
import { ActuateEventSchema } from '../../layers/core/loop/events.js';
import { parseEvent } from '../shared/parse-input.js';
import { scalingTargetFromEnv, tableFromEnv } from '../shared/wiring.js';

const { client, tableName, store } = tableFromEnv();
const target = scalingTargetFromEnv();
const { act, registerLambdaContext } = idempotentActuate(client, tableName, {
  target,
  controls: () => store.getControls(),
});
const MixEventSchema = z.object({ mix: MixRequestSchema });
const log = new Logger({ serviceName: 'twinscale-actuator' });
const metrics = new Metrics({ namespace: 'Twinscale', serviceName: 'twinscale-actuator' });

/**
 * Sets capacity for a batch's forecast-and-scale decisions, once per decision, and records each;
 * or, invoked by the API with `{ mix }` (when the deployment allows applying capacity plans), sets
 * a mixed-instances group's weights and desired capacity, answering a refusal instead of failing.
 */
export const handler = middy(async (event: unknown, context: Context) => {
  if (event && typeof event === 'object' && 'mix' in event) {
    const { mix } = parseEvent(MixEventSchema, event);
    const answer = await mixAnswer(() => applyMix(mix, { target, controls: () => store.getControls() }));
    log.info('capacity plan applied', { twinId: mix.twinId, ...answer });
    return answer;
  }
  registerLambdaContext(context);
  const { actuations } = parseEvent(ActuateEventSchema, event);
  const result = await actuateBatch({ store, act, isTransient }, actuations);
  log.info('batch actuated', result);
  // the alarm on failed actuations and the dashboard read these
  metrics.addMetric('actuationsFailed', MetricUnit.Count, result.failed);
  metrics.addMetric('capacityChanges', MetricUnit.Count, result.scaled);
  return result;
})
  .use(injectLambdaContext(log))
  .use(logMetrics(metrics));
