import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { scenarioTask } from '../../layers/core/loop/scenario-task.js';
import { ScenarioRequestSchema } from '../../layers/core/loop/twin-replay.js';
import { parseEvent, workflowEvent } from '../shared/parse-input.js';
import { storeFromEnv } from '../shared/wiring.js';

const store = storeFromEnv();
const log = new Logger({ serviceName: 'twinscale-scenario' });

/** The state machine passes the execution's input and the execution's name and start. */
export const ScenarioEventSchema = workflowEvent(ScenarioRequestSchema);

export const handler = middy(async (event: unknown) => {
  const { request, execution } = parseEvent(ScenarioEventSchema, event);
  const done = await scenarioTask(store, request, {
    name: execution.name,
    now: Date.parse(execution.startTime),
  });
  log.info('scenario stored', { ...done });
  return done;
}).use(injectLambdaContext(log));
