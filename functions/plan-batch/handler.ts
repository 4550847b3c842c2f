import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { isTransient } from '../../layers/aws/retry.js';
import { PlanBatchEventSchema } from '../../layers/core/loop/events.js';
import { planBatch } from '../../layers/core/loop/plan-batch.js';
import { parseEnv, parseEvent } from '../shared/parse-input.js';
import { eventBridgeAlerts, LoopEnvSchema, scalingTargetFromEnv, storeFromEnv } from '../shared/wiring.js';

const env = parseEnv(LoopEnvSchema);
const log = new Logger({ serviceName: 'twinscale-plan-batch' });
const ports = {
  store: storeFromEnv(),
  target: scalingTargetFromEnv(),
  alerts: eventBridgeAlerts(),
  isTransient,
  scheduleMinutes: env.SCHEDULE_MINUTES,
  onPlanned: (twinId: string, d: { desired?: number; previous?: number; reason: Record<string, unknown> }) =>
    log.info('twin planned', {
      twinId,
      desired: d.desired,
      previous: d.previous,
      forecastPeak: d.reason.forecastPeak,
      lastObservedDemand: d.reason.lastObservedDemand,
      boundBy: d.reason.boundBy,
    }),
};

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
