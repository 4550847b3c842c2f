import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { z } from 'zod';
import { actuatorMix } from '../../layers/aws/lambda/actuator-mix.js';
import { StepFunctionsRuns } from '../../layers/aws/stepfunctions/step-functions-runs.js';
import { AwsUnitReader } from '../../layers/aws/units/aws-unit-reader.js';
import { createApi } from '../../layers/core/api/router.js';
import { parseEnv } from '../shared/parse-input.js';
import { storeFromEnv, TableEnvSchema } from '../shared/wiring.js';

const env = parseEnv(
  TableEnvSchema.extend({
    SCENARIO_STATE_MACHINE_ARN: z
      .string()
      .startsWith('arn:', 'SCENARIO_STATE_MACHINE_ARN: the scenario state machine'),
    OPTIMIZE_STATE_MACHINE_ARN: z
      .string()
      .startsWith('arn:', 'OPTIMIZE_STATE_MACHINE_ARN: the optimize state machine'),
    REMEDIATE_STATE_MACHINE_ARN: z
      .string()
      .startsWith('arn:', 'REMEDIATE_STATE_MACHINE_ARN: the remediate state machine'),
    /** The tag that groups twins into tenants (a deployment setting, tenantTagKey). */
    TENANT_TAG_KEY: z.string().min(1).optional(),
    /** Set when the deployment lets capacity plans be applied (capacityPlanApply): the actuator does it. */
    ACTUATOR_FUNCTION_NAME: z.string().min(1).optional(),
  }),
);
const log = new Logger({ serviceName: 'twinscale-api' });
const api = createApi(
  {
    store: storeFromEnv(),
    workflows: new StepFunctionsRuns(new SFNClient({}), {
      scenario: env.SCENARIO_STATE_MACHINE_ARN,
      optimize: env.OPTIMIZE_STATE_MACHINE_ARN,
      remediate: env.REMEDIATE_STATE_MACHINE_ARN,
    }),
    now: Date.now,
    ...(env.TENANT_TAG_KEY ? { groupTagKey: env.TENANT_TAG_KEY } : {}),
    ...(env.ACTUATOR_FUNCTION_NAME
      ? { applyMix: actuatorMix(new LambdaClient({}), env.ACTUATOR_FUNCTION_NAME) }
      : {}),
    // POST /units reads stacks and task families (read-only)
    units: new AwsUnitReader({
      cloudFormation: new CloudFormationClient({}),
      ecs: new ECSClient({}),
      elbv2: new ElasticLoadBalancingV2Client({}),
    }),
  },
  {
    // what was asked, not the body: a body may carry anything a caller pasted (a secret in a tag, a
    // whole template), and the log is read by more people than the API is
    onError: (error, request) =>
      log.error('unexpected error', {
        error: error as Error,
        request: {
          method: request.method,
          path: request.path,
          query: Object.keys(request.query),
          contentType: request.contentType,
          bodyBytes: request.body ? Buffer.byteLength(request.body) : 0,
        },
      }),
  },
);

/** API Gateway's proxy event to the router and back: the same routes the local server answers. */
export const handler = middy(async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  const answer = await api({
    method: event.httpMethod,
    path: event.path,
    query: event.queryStringParameters ?? {},
    body:
      event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString('utf8') : event.body,
    // API Gateway passes headers as the client spelt them
    contentType: Object.entries(event.headers ?? {}).find(([k]) => k.toLowerCase() === 'content-type')?.[1],
  });
  return { statusCode: answer.status, headers: answer.headers, body: answer.body };
}).use(injectLambdaContext(log));
