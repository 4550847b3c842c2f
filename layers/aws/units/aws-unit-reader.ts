import {
  type CloudFormationClient,
  DescribeStacksCommand,
  GetTemplateCommand,
  paginateListStackResources,
} from '@aws-sdk/client-cloudformation';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  type ECSClient,
  paginateListServices,
  type Service,
} from '@aws-sdk/client-ecs';
import {
  DescribeTargetGroupsCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { parseTemplateText } from '../../core/units/template-values.js';
import {
  type DeployedStack,
  type TaskFamily,
  UnitNotFoundError,
  type UnitReader,
} from '../../core/units/unit-reader.js';

export interface UnitReaderClients {
  cloudFormation: CloudFormationClient;
  ecs: ECSClient;
  elbv2: ElasticLoadBalancingV2Client;
}

/** DescribeServices: at most 10 services a call. */
const SERVICES_PER_CALL = 10;
/** DescribeTargetGroups: at most 20 ARNs a call. */
const TARGET_GROUPS_PER_CALL = 20;

const errorName = (e: unknown) => (e as { name?: string }).name ?? '';
const errorMessage = (e: unknown) => (e as { message?: string }).message ?? '';

/** The family of a task definition ARN (`…:task-definition/<family>:<revision>`). */
export const familyOf = (taskDefinitionArn: string): string =>
  taskDefinitionArn.split('task-definition/')[1]?.replace(/:\d+$/, '') ?? taskDefinitionArn;

/**
 * Deployable units read from AWS: a stack's processed template (GetTemplate) and every resource's
 * physical id (ListStackResources, paginated; DescribeStackResources stops at 100), and an ECS
 * task family's latest revision with the services of a cluster that run it and their target
 * groups' load balancers. Read-only.
 */
export class AwsUnitReader implements UnitReader {
  constructor(private readonly c: UnitReaderClients) {}

  async readStack(stackName: string): Promise<DeployedStack> {
    let stackId: string | undefined;
    let name = stackName;
    try {
      const d = await this.c.cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
      stackId = d.Stacks?.[0]?.StackId;
      name = d.Stacks?.[0]?.StackName ?? stackName;
    } catch (e) {
      // CloudFormation answers a missing stack with a ValidationError "Stack with id … does not exist"
      if (errorName(e) === 'ValidationError' && /does not exist/.test(errorMessage(e)))
        throw new UnitNotFoundError(`stack "${stackName}" does not exist in this account and region`);
      throw e;
    }
    const t = await this.c.cloudFormation.send(
      new GetTemplateCommand({ StackName: stackName, TemplateStage: 'Processed' }),
    );
    const template = parseTemplateText(t.TemplateBody ?? '{}');
    const physicalIds: Record<string, string> = {};
    for await (const page of paginateListStackResources(
      { client: this.c.cloudFormation },
      { StackName: stackName },
    )) {
      for (const r of page.StackResourceSummaries ?? [])
        if (r.LogicalResourceId && r.PhysicalResourceId)
          physicalIds[r.LogicalResourceId] = r.PhysicalResourceId;
    }
    // arn:aws:cloudformation:<region>:<account>:stack/<name>/<id>
    const [, , , region, accountId] = stackId?.split(':') ?? [];
    return { stackName: name, template, physicalIds, region, accountId };
  }

  async readTaskFamily(family: string, cluster: string): Promise<TaskFamily> {
    let td: NonNullable<Awaited<ReturnType<typeof this.describeTaskDefinition>>>;
    try {
      td = await this.describeTaskDefinition(family);
    } catch (e) {
      // ECS answers an unknown family with a ClientException "Unable to describe task definition"
      if (errorName(e) === 'ClientException')
        throw new UnitNotFoundError(`task definition family "${family}" has no active revision`);
      throw e;
    }
    const services: Service[] = [];
    try {
      for await (const page of paginateListServices({ client: this.c.ecs }, { cluster })) {
        const arns = page.serviceArns ?? [];
        for (let i = 0; i < arns.length; i += SERVICES_PER_CALL) {
          const d = await this.c.ecs.send(
            new DescribeServicesCommand({ cluster, services: arns.slice(i, i + SERVICES_PER_CALL) }),
          );
          services.push(...(d.services ?? []));
        }
      }
    } catch (e) {
      if (errorName(e) === 'ClusterNotFoundException')
        throw new UnitNotFoundError(`cluster "${cluster}" does not exist in this account and region`);
      throw e;
    }
    const running = services.filter(
      (s) =>
        s.serviceName && s.taskDefinition && familyOf(s.taskDefinition) === family && s.status !== 'INACTIVE',
    );
    const tgArns = [
      ...new Set(running.flatMap((s) => (s.loadBalancers ?? []).flatMap((lb) => lb.targetGroupArn ?? []))),
    ];
    const targetGroups: TaskFamily['targetGroups'] = [];
    for (let i = 0; i < tgArns.length; i += TARGET_GROUPS_PER_CALL) {
      const d = await this.c.elbv2.send(
        new DescribeTargetGroupsCommand({ TargetGroupArns: tgArns.slice(i, i + TARGET_GROUPS_PER_CALL) }),
      );
      for (const g of d.TargetGroups ?? [])
        if (g.TargetGroupArn)
          targetGroups.push({
            arn: g.TargetGroupArn,
            loadBalancerArns: g.LoadBalancerArns ?? [],
            type: g.TargetType,
          });
    }
    return {
      family,
      cluster: cluster.split('/').pop() ?? cluster,
      taskDefinition: {
        arn: td.taskDefinitionArn ?? family,
        revision: td.revision ?? 0,
        taskRoleArn: td.taskRoleArn,
        containers: (td.containerDefinitions ?? []).map((c) => ({
          name: c.name ?? '',
          environment: (c.environment ?? []).flatMap((e) =>
            e.name !== undefined && e.value !== undefined ? [{ name: e.name, value: e.value }] : [],
          ),
        })),
      },
      services: running.map((s) => ({
        name: s.serviceName ?? '',
        taskDefinitionArn: s.taskDefinition ?? '',
        targetGroupArns: (s.loadBalancers ?? []).flatMap((lb) => lb.targetGroupArn ?? []),
        registryArns: (s.serviceRegistries ?? []).flatMap((r) => r.registryArn ?? []),
      })),
      targetGroups,
    };
  }

  private async describeTaskDefinition(family: string) {
    const d = await this.c.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: family }));
    if (!d.taskDefinition)
      throw new UnitNotFoundError(`task definition family "${family}" has no active revision`);
    return d.taskDefinition;
  }
}
