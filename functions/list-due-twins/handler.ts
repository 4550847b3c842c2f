import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { ListDueEventSchema, scheduledTime } from '../../layers/core/loop/events.js';
import { listDueTwins } from '../../layers/core/loop/list-due.js';
import { parseEnv, parseEvent } from '../shared/parse-input.js';
import { LoopEnvSchema, storeFromEnv } from '../shared/wiring.js';

const env = parseEnv(LoopEnvSchema);
const store = storeFromEnv();
const log = new Logger({ serviceName: 'twinscale-list-due-twins' });

/** First state of forecast-and-plan: the twins to decide for, and the slot being decided. */
export const handler = middy(async (event: unknown) => {
  const now = scheduledTime(parseEvent(ListDueEventSchema, event ?? {})) ?? Date.now();
  const due = await listDueTwins(store, now, env.SCHEDULE_MINUTES);
  log.info('twins due', {
    now: due.now,
    twins: due.batches.reduce((n, b) => n + b.count, 0),
    batches: due.batches.length,
  });
  return due;
}).use(injectLambdaContext(log));
