import { type CfnResource, Stack } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  AuthorizationType,
  EndpointType,
  type IResource,
  JsonSchemaVersion,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  type Model,
  RequestValidator,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, type Role } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { z } from 'zod';
import { ROUTES } from '../../layers/core/api/router.js';
import type { TwinscaleConfig } from './config.js';
import type { TwinFunctions } from './functions.js';
import { acknowledge, arnToken, REASONS } from './nag-acknowledgements.js';

export interface TwinApiProps {
  config: TwinscaleConfig;
  functions: TwinFunctions;
  table: ITable;
  scenario: StateMachine;
  optimize: StateMachine;
  remediate: StateMachine;
}

/** The state machines the API starts and reads: the what-if workflows and remediate, never the loop. */
const started = (p: TwinApiProps) => [p.scenario, p.optimize, p.remediate];

/** A route's body schema as an API Gateway model (JSON Schema draft 4), so bad bodies stop at the gateway. */
function bodyModel(api: RestApi, name: string, schema: z.ZodType): Model {
  const { $schema: _, ...json } = z.toJSONSchema(schema, {
    io: 'input',
    target: 'draft-04',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return api.addModel(name, {
    contentType: 'application/json',
    modelName: name,
    schema: { schema: JsonSchemaVersion.DRAFT4, ...(json as object) },
  });
}

/**
 * The HTTP API: API Gateway REST with IAM (SigV4) authorization on every method, the route table
 * of `layers/core/api` (the one the local server answers), request validation at the gateway
 * (path parameters and bodies; the Lambda checks them again and names the field), throttling,
 * access logs and X-Ray.
 */
export class TwinApi extends Construct {
  readonly api: RestApi;
  readonly fn: NodejsFunction;

  constructor(scope: Construct, id: string, p: TwinApiProps) {
    super(scope, id);
    this.fn = p.functions.make('api', p.config.planScheduleMinutes, undefined, {
      SCENARIO_STATE_MACHINE_ARN: p.scenario.stateMachineArn,
      OPTIMIZE_STATE_MACHINE_ARN: p.optimize.stateMachineArn,
      REMEDIATE_STATE_MACHINE_ARN: p.remediate.stateMachineArn,
      TENANT_TAG_KEY: p.config.tenantTagKey,
    });
    p.table.grantReadWriteData(this.fn);
    for (const machine of started(p)) {
      machine.grantStartExecution(this.fn);
      // GET /scenarios/{id} (and /remediations/{runId}) read a run's status while it has no stored result yet
      machine.grantExecution(this.fn, 'states:DescribeExecution');
    }
    // POST /approvals/{token} resumes the remediate run waiting on the token. SendTaskSuccess takes
    // no resource ARN (the Service Authorization Reference lists no resource type for it): the
    // token names the task. A rejection is a success whose output says so (the ASL's Approved
    // choice), so SendTaskFailure is not needed.
    this.fn.addToRolePolicy(new PolicyStatement({ actions: ['states:SendTaskSuccess'], resources: ['*'] }));
    // POST /units reads a deployed stack (its template and resources' physical ids) or an ECS task
    // family (its services, their target groups' load balancers): read-only calls. Any stack or
    // family the caller names, so no narrower resource: DescribeTaskDefinition, ListServices and
    // DescribeTargetGroups take none, and the API is IAM-authorized to operators already.
    this.fn.addToRolePolicy(
      new PolicyStatement({
        actions: [
          'cloudformation:DescribeStacks',
          'cloudformation:GetTemplate',
          'cloudformation:ListStackResources',
          'ecs:DescribeTaskDefinition',
          'ecs:ListServices',
          'ecs:DescribeServices',
          'elasticloadbalancing:DescribeTargetGroups',
        ],
        resources: ['*'],
      }),
    );

    const accessLogs = new LogGroup(this, 'access-logs', {
      retention: p.config.logRetentionDays as RetentionDays,
    });
    this.api = new RestApi(this, 'Api', {
      restApiName: 'twinscale',
      description: 'Twinscale: twins, forecasts, decisions, scenarios, policy search',
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      cloudWatchRole: true,
      defaultMethodOptions: { authorizationType: AuthorizationType.IAM },
      deployOptions: {
        stageName: 'v1',
        throttlingRateLimit: p.config.apiRateLimit,
        throttlingBurstLimit: p.config.apiBurstLimit,
        tracingEnabled: true,
        loggingLevel: MethodLoggingLevel.ERROR,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
      },
    });
    const validator = new RequestValidator(this, 'validator', {
      restApi: this.api,
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const integration = new LambdaIntegration(this.fn, { proxy: true });
    const resourceAt = (path: string): IResource =>
      path
        .split('/')
        .filter(Boolean)
        .reduce<IResource>((r, part) => r.getResource(part) ?? r.addResource(part), this.api.root);
    for (const route of ROUTES) {
      const params = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const modelName = `${route.method}${route.path.replace(/[^A-Za-z]/g, '')}`;
      resourceAt(route.path).addMethod(route.method, integration, {
        requestValidator: validator,
        requestParameters: Object.fromEntries(params.map((name) => [`method.request.path.${name}`, true])),
        requestModels: route.body
          ? { 'application/json': bodyModel(this.api, modelName, route.body) }
          : undefined,
      });
    }
    resourceAt('/openapi.json').addMethod('GET', integration, { requestValidator: validator });
    this.acknowledgeFindings(p);
  }

  private acknowledgeFindings(p: TwinApiProps): void {
    const role = this.fn.role as Role;
    acknowledge(
      role,
      'IAM5[Resource::*]',
      `${REASONS.noResourceArn}; ${REASONS.taskToken}; ${REASONS.unitReading}`,
    );
    acknowledge(role, `IAM5[Resource::${arnToken(p.table)}/index/*]`, REASONS.tableIndex);
    acknowledge(role, 'IAM5[Action::kms:ReEncrypt*]', REASONS.tableKey);
    acknowledge(role, 'IAM5[Action::kms:GenerateDataKey*]', REASONS.tableKey);
    for (const machine of started(p)) {
      const ref = Stack.of(this).resolve((machine.node.defaultChild as CfnResource).logicalId);
      const name = `{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${ref}"}]}]}`;
      acknowledge(
        role,
        `IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${name}:*]`,
        REASONS.ownExecutions,
      );
    }
    acknowledge(this.api, 'APIG3', REASONS.noWaf);
    acknowledge(this.api, 'COG4', REASONS.iamAuthorized);
    acknowledge(
      this.api,
      'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      REASONS.apiGatewayLogsRole,
    );
  }
}
