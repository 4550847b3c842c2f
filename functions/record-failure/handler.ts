import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { RecordFailureEventSchema } from '../../layers/core/loop/events.js';
import { recordBatchFailure } from '../../layers/core/loop/record-batch-failure.js';
import { parseEnv, parseEvent } from '../shared/parse-input.js';
import { LoopEnvSchema, storeFromEnv } from '../shared/wiring.js';

const env = parseEnv(LoopEnvSchema);
const store = storeFromEnv();
const log = new Logger({ serviceName: 'twinscale-record-failure' });

/** The Catch of a batch whose retries ran out: the failure goes on each of its twins, the run goes on. */
export const handler = middy(async (event: unknown) => {
  const e = parseEvent(RecordFailureEventSchema, event);
  log.warn('batch failed', { twins: e.twins, error: e.error });
  return recordBatchFailure(store, e, env.SCHEDULE_MINUTES);
}).use(injectLambdaContext(log));
