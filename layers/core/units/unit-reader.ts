import type { CfnTemplate } from './template-values.js';

/**
 * Where deployable units are read from: CloudFormation and ECS in AWS (layers/aws/units/), and
 * whatever a test or the local runtime gives. The API's `units` port (api/ports.ts).
 */
export interface UnitReader {
  /** A deployed stack's template and its resources' physical ids. */
  readStack(stackName: string): Promise<DeployedStack>;
  /** An ECS task definition family's latest revision and the services of `cluster` running it. */
  readTaskFamily(family: string, cluster: string): Promise<TaskFamily>;
}

export interface DeployedStack {
  stackName: string;
  template: CfnTemplate;
  /** Logical id → physical id, for every resource the stack has created. */
  physicalIds: Record<string, string>;
  /** From the stack's id (its ARN), for AWS::Region and AWS::AccountId in the template. */
  region?: string;
  accountId?: string;
}

export interface TaskFamily {
  family: string;
  /** The cluster's name. */
  cluster: string;
  /** The family's latest ACTIVE revision. */
  taskDefinition: {
    arn: string;
    revision: number;
    taskRoleArn?: string;
    containers: { name: string; environment: { name: string; value: string }[] }[];
  };
  /** The cluster's services whose task definition is of this family (any revision). */
  services: {
    name: string;
    taskDefinitionArn: string;
    targetGroupArns: string[];
    /** Cloud Map service ARNs it registers in. */
    registryArns: string[];
  }[];
  /** The services' target groups and the load balancers in front of each (DescribeTargetGroups). */
  targetGroups: { arn: string; loadBalancerArns: string[]; type?: string }[];
}

/** The unit does not exist (no such stack, family or cluster): the API answers 404 with this message. */
export class UnitNotFoundError extends Error {
  override readonly name = 'UnitNotFoundError';
}
