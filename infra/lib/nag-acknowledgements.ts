import { type CfnResource, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag findings this design accepts, each with its reason, acknowledged on the one construct it
 * concerns (never stack-wide), by the exact finding: a new wildcard elsewhere still fails the check.
 */
export function acknowledge(scope: IConstruct, finding: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-${finding}`, reason });
}

/** How cdk-nag prints a resource's ARN attribute in a finding: `<LogicalId.Arn>`. */
export function arnToken(resource: IConstruct): string {
  const cfn = (resource.node.defaultChild ?? resource) as CfnResource;
  const stack = Stack.of(cfn);
  return `<${stack.resolve(stack.getLogicalId(cfn))}.Arn>`;
}

export const REASONS = {
  noResourceArn:
    'X-Ray PutTraceSegments/PutTelemetryRecords and the Describe/List/GetMetricData calls accept no resource ARN',
  tableIndex: 'the twin table’s own secondary index (gsi1 lists the twins); granted by the table grant',
  tableKey: 'the twin table’s customer-managed key, as the table grant needs it (data keys for its items)',
  ownFunction: 'invoking this function’s versions and aliases too, as grantInvoke grants it',
  ownChildren: 'the Distributed Map describes and stops its own child executions, whose names it generates',
  taggedOnly: 'any group or scalable target, but only when tagged as managed (aws:ResourceTag condition)',
  isDeadLetterQueue:
    'this queue is the dead-letter queue (the collector’s on-failure destination, the schedules’ DLQ)',
  ownExecutions:
    'the status of the scenario, optimize and remediate runs the API started: executions of those state machines only',
  taskToken:
    'states:SendTaskSuccess takes no resource ARN (the task token names the task); the API sends only tokens the remediate function stored beside an approval',
  unitReading:
    'POST /units reads whichever stack or task family an operator names, read-only (GetTemplate, ListStackResources, DescribeStacks, DescribeServices); ListServices, DescribeTaskDefinition and DescribeTargetGroups accept no resource ARN',
  noWaf:
    'every method requires IAM (SigV4) credentials, so anonymous traffic never reaches it; a web ACL costs $5+ a month and can be associated by the account',
  iamAuthorized: 'the API is for operators and tools with AWS credentials: IAM authorization, not Cognito',
  apiGatewayLogsRole:
    'API Gateway’s account-wide role for execution logs is the AWS managed AmazonAPIGatewayPushToCloudWatchLogs policy',
} as const;
