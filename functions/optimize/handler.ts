import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { isTransient } from '../../layers/aws/retry.js';
import { OptimizeBatchEventSchema, optimizeBatch } from '../../layers/core/loop/optimize-batch.js';
import { OptimizeRequestSchema } from '../../layers/core/loop/optimize-run.js';
import { optimizeTask } from '../../layers/core/loop/optimize-task.js';
import { TransientError } from '../../layers/core/loop/transient-error.js';
import { parseEvent, workflowEvent } from '../shared/parse-input.js';
import { storeFromEnv } from '../shared/wiring.js';

const store = storeFromEnv();
const log = new Logger({ serviceName: 'twinscale-optimize' });

/** The state machine passes the execution's input and the execution's name and start. */
export const OptimizeEventSchema = workflowEvent(OptimizeRequestSchema);

/** One twin (asked through the API), or a range of twins (a child of the scheduled run). */
export const handler = middy(async (event: unknown) => {
  if (event && typeof event === 'object' && 'batch' in event) {
    const done = await optimizeBatch(store, parseEvent(OptimizeBatchEventSchema, event), {
      isTransient,
      onTwin: (twinId, outcome) => log.info('twin optimized', { twinId, ...outcome }),
    });
    log.info('batch optimized', { ...done });
    return done;
  }
  const { request, execution } = parseEvent(OptimizeEventSchema, event);
  const done = await optimizeTask(store, request, {
    name: execution.name,
    now: Date.parse(execution.startTime),
  }).catch((e) => {
    // the state machine retries these (TransientError); anything else fails the run with its message
    throw isTransient(e) ? new TransientError(e) : e;
  });
  log.info('optimization stored', { ...done });
  return done;
}).use(injectLambdaContext(log));
