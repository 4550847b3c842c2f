import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  CreateLaunchConfigurationCommand,
  DescribeAutoScalingGroupsCommand,
  SetDesiredCapacityCommand,
} from '@aws-sdk/client-auto-scaling';
import { CreateLaunchTemplateCommand, DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import type { ScalingClients } from '../../layers/aws/scaling/aws-scaling-target.js';
import type { Moto } from './moto.js';

export const MANAGED = { Key: 'twinscale:managed', Value: 'true' };

/** Auto Scaling groups and ECS services with scalable targets on moto_server, and a way to read them back. */
export class ScalingFixtures {
  readonly clients: ScalingClients;
  private subnet = '';

  constructor(moto: Moto) {
    this.clients = {
      autoScaling: new AutoScalingClient(moto.clientConfig),
      ecs: new ECSClient(moto.clientConfig),
      applicationAutoScaling: new ApplicationAutoScalingClient(moto.clientConfig),
    };
    this.ec2 = new EC2Client(moto.clientConfig);
  }

  private readonly ec2: EC2Client;

  async setUp(): Promise<void> {
    const subnets = (await this.ec2.send(new DescribeSubnetsCommand({}))).Subnets ?? [];
    this.subnet = subnets[0].SubnetId ?? '';
    await this.clients.autoScaling.send(
      new CreateLaunchConfigurationCommand({
        LaunchConfigurationName: 'lc',
        ImageId: 'ami-12c6146b',
        InstanceType: 't3.micro',
      }),
    );
    await this.clients.ecs.send(new CreateClusterCommand({ clusterName: 'prod' }));
    await this.clients.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'api',
        containerDefinitions: [{ name: 'api', image: 'api:1', memory: 512 }],
      }),
    );
  }

  async group(
    name: string,
    o: { min: number; max: number; desired: number; managed: boolean; tags?: Record<string, string> },
  ) {
    await this.clients.autoScaling.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: name,
        LaunchConfigurationName: 'lc',
        MinSize: o.min,
        MaxSize: o.max,
        DesiredCapacity: o.desired,
        VPCZoneIdentifier: this.subnet,
        Tags: [
          ...(o.managed ? [MANAGED] : []),
          ...Object.entries(o.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
        ].map((t) => ({ ...t, PropagateAtLaunch: false })),
      }),
    );
  }

  /** A group launching from a template whose mixed-instances policy overrides the instance type. */
  async mixedGroup(name: string, o: { desired: number; overrides: string[] }) {
    await this.ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: `${name}-lt`,
        LaunchTemplateData: { ImageId: 'ami-12c6146b', InstanceType: 't3.micro' },
      }),
    );
    await this.clients.autoScaling.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: name,
        MinSize: 0,
        MaxSize: 10,
        DesiredCapacity: o.desired,
        VPCZoneIdentifier: this.subnet,
        MixedInstancesPolicy: {
          LaunchTemplate: {
            LaunchTemplateSpecification: { LaunchTemplateName: `${name}-lt`, Version: '$Latest' },
            Overrides: o.overrides.map((InstanceType) => ({ InstanceType })),
          },
        },
      }),
    );
  }

  /** Changes a group's capacity behind Twinscale's back, as a person or another tool would. */
  async setGroupCapacity(name: string, desired: number): Promise<void> {
    await this.clients.autoScaling.send(
      new SetDesiredCapacityCommand({ AutoScalingGroupName: name, DesiredCapacity: desired }),
    );
  }

  async groupCapacity(name: string): Promise<number | undefined> {
    const r = await this.clients.autoScaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }),
    );
    return r.AutoScalingGroups?.[0]?.DesiredCapacity;
  }

  async service(
    name: string,
    o: { min: number; max: number; managed: boolean; tags?: Record<string, string> },
  ) {
    await this.clients.ecs.send(
      new CreateServiceCommand({
        cluster: 'prod',
        serviceName: name,
        taskDefinition: 'api',
        desiredCount: o.min,
        tags: [
          ...(o.managed ? [{ key: MANAGED.Key, value: MANAGED.Value }] : []),
          ...Object.entries(o.tags ?? {}).map(([key, value]) => ({ key, value })),
        ],
      }),
    );
    await this.clients.applicationAutoScaling.send(
      new RegisterScalableTargetCommand({
        ServiceNamespace: 'ecs',
        ResourceId: `service/prod/${name}`,
        ScalableDimension: 'ecs:service:DesiredCount',
        MinCapacity: o.min,
        MaxCapacity: o.max,
      }),
    );
  }

  async serviceFloor(name: string): Promise<{ min?: number; max?: number }> {
    const r = await this.clients.applicationAutoScaling.send(
      new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: [`service/prod/${name}`] }),
    );
    const t = r.ScalableTargets?.[0];
    return { min: t?.MinCapacity, max: t?.MaxCapacity };
  }

  destroy(): void {
    for (const c of Object.values(this.clients)) c.destroy();
    this.ec2.destroy();
  }
}
