import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { isTransient } from '../../layers/aws/retry.js';
import { PlanBatchEventSchema } from '../../layers/core/loop/events.js';
import { planBatch } from '../../layers/core/loop/plan-batch.js';
import { parseEvent } from '../shared/parse-event.js';
import { LoopEnvSchema, scalingTargetFromEnv, storeFromEnv } from '../shared/wiring.js';

const env = LoopEnvSchema.parse(process.env);
const ports = {
  store: storeFromEnv(),
  target: scalingTargetFromEnv(),
  isTransient,
  scheduleMinutes: env.SCHEDULE_MINUTES,
};
const log = new Logger({ serviceName: 'twinscale-plan-batch' });

/** One Distributed Map batch: forecast and plan each twin; hand scale-mode decisions to the actuator. */
export const handler = middy(async (event: unknown) => {
  const result = await planBatch(ports, parseEvent(PlanBatchEventSchema, event));
  log.info('batch planned', {
    planned: result.planned,
    failed: result.failed,
    toActuate: result.actuations.length,
  });
  return result;
}).use(injectLambdaContext(log));
