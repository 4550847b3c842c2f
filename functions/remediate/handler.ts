import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { idempotentActuate } from '../../layers/aws/idempotent-actuate.js';
import { RemediateEventSchema, remediateStep } from '../../layers/core/compliance/remediate.js';
import { parseEvent } from '../shared/parse-input.js';
import { retryable, scalingTargetFromEnv, snsNotifierFromEnv, tableFromEnv } from '../shared/wiring.js';

const { client, tableName, store } = tableFromEnv();
const target = scalingTargetFromEnv();
// the actuator's own idempotent actuation: a retried step scales once, under the same safety rules
const { act, registerLambdaContext } = idempotentActuate(client, tableName, {
  target,
  controls: () => store.getControls(),
});
const ports = {
  store,
  now: Date.now,
  actuation: { target: { describe: retryable(target.describe.bind(target)) }, act: retryable(act) },
  notify: retryable(snsNotifierFromEnv()),
};
const log = new Logger({ serviceName: 'twinscale-remediate' });

/** One task of remediate.asl.json: list the violations, ask a person, carry a remediation out, or record a skip. */
export const handler = middy(async (event: unknown, context: Context) => {
  registerLambdaContext(context);
  const step = parseEvent(RemediateEventSchema, event);
  const result = await retryable(remediateStep)(step, ports);
  log.info('remediation step done', { step: step.step });
  return result;
}).use(injectLambdaContext(log));
