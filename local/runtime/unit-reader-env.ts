import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { AwsUnitReader } from '../../layers/aws/units/aws-unit-reader.js';
import type { UnitReader } from '../../layers/core/units/unit-reader.js';

/**
 * The local runtime reads deployed stacks and task families (POST /units kinds `stack` and
 * `task-family`) only when AWS_ENDPOINT_URL names where (moto_server, LocalStack, or a real
 * endpoint): a local run never reaches an AWS account by accident. The SDK reads the variable
 * itself (and the credentials from its usual chain); the region defaults to us-east-1.
 */
export function unitReaderFromEnv(env: NodeJS.ProcessEnv = process.env): UnitReader | undefined {
  const endpoint = env.AWS_ENDPOINT_URL;
  if (!endpoint) return undefined;
  const config = { endpoint, region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1' };
  return new AwsUnitReader({
    cloudFormation: new CloudFormationClient(config),
    ecs: new ECSClient(config),
    elbv2: new ElasticLoadBalancingV2Client(config),
  });
}
