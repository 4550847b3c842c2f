import {
  type ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import {
  type AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  SetDesiredCapacityCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeServicesCommand, type ECSClient } from '@aws-sdk/client-ecs';
import {
  type InstanceWeight,
  isManaged,
  MANAGED_TAG,
  type ScalingTarget,
  type ScalingTargetRef,
  TargetNotFoundError,
  type TargetState,
} from '../../core/act/scaling-target.js';

export interface ScalingClients {
  autoScaling: AutoScalingClient;
  ecs: ECSClient;
  applicationAutoScaling: ApplicationAutoScalingClient;
}

/**
 * EC2 Auto Scaling groups by their desired capacity; ECS services through Application Auto
 * Scaling, by the scalable target's minimum: predictive sets the floor and the service's own
 * target tracking keeps reacting above it.
 */
export class AwsScalingTarget implements ScalingTarget {
  constructor(
    private readonly c: ScalingClients,
    /** The tag key that marks a managed resource (its value must be `true`). */
    readonly tagKey: string = MANAGED_TAG.key,
  ) {}

  describe(ref: ScalingTargetRef): Promise<TargetState> {
    return ref.kind === 'asg' ? this.describeGroup(ref.autoScalingGroupName) : this.describeService(ref);
  }

  async setCapacity(ref: ScalingTargetRef, capacity: number): Promise<void> {
    if (ref.kind === 'asg') {
      // HonorCooldown false: the plan already waited out its stabilization window.
      await this.c.autoScaling.send(
        new SetDesiredCapacityCommand({
          AutoScalingGroupName: ref.autoScalingGroupName,
          DesiredCapacity: capacity,
          HonorCooldown: false,
        }),
      );
      return;
    }
    await this.c.applicationAutoScaling.send(
      new RegisterScalableTargetCommand({
        ServiceNamespace: 'ecs',
        ResourceId: resourceId(ref),
        ScalableDimension: 'ecs:service:DesiredCount',
        MinCapacity: capacity,
      }),
    );
  }

  /**
   * One UpdateAutoScalingGroup: the overrides replaced by these types and weights (the launch
   * template and the instances distribution kept), and the desired capacity in weight units.
   * IAM: autoscaling:UpdateAutoScalingGroup on groups carrying the managed tag, and, because the
   * request names the launch template, ec2:RunInstances on it (AWS checks both).
   */
  async setMixedInstances(
    ref: ScalingTargetRef,
    weights: readonly InstanceWeight[],
    desired: number,
  ): Promise<void> {
    if (ref.kind !== 'asg')
      throw new TargetNotFoundError(ref, 'is not an Auto Scaling group: it has no instance types');
    const name = ref.autoScalingGroupName;
    const r = await this.c.autoScaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }),
    );
    const spec = r.AutoScalingGroups?.[0]?.MixedInstancesPolicy?.LaunchTemplate?.LaunchTemplateSpecification;
    if (!spec) throw new TargetNotFoundError(ref, 'has no mixed-instances policy with a launch template');
    await this.c.autoScaling.send(
      new UpdateAutoScalingGroupCommand({
        AutoScalingGroupName: name,
        DesiredCapacity: desired,
        MixedInstancesPolicy: {
          LaunchTemplate: {
            // one of id and name: the API refuses both
            LaunchTemplateSpecification: spec.LaunchTemplateId
              ? { LaunchTemplateId: spec.LaunchTemplateId, Version: spec.Version }
              : { LaunchTemplateName: spec.LaunchTemplateName, Version: spec.Version },
            Overrides: weights.map((w) => ({
              InstanceType: w.instanceType,
              WeightedCapacity: String(w.weightedCapacity ?? 1),
            })),
          },
        },
      }),
    );
  }

  private async describeGroup(name: string): Promise<TargetState> {
    const r = await this.c.autoScaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [name] }),
    );
    const g = r.AutoScalingGroups?.[0];
    if (!g) throw new TargetNotFoundError({ kind: 'asg', autoScalingGroupName: name });
    const tags = (g.Tags ?? []).map((t) => ({ key: t.Key, value: t.Value }));
    // From this one call: what runs, and what a mixed-instances policy may launch. A launch
    // template's or configuration's own type would cost another call per group, so a group
    // without instances or overrides leaves the types unknown (rules on them are then skipped).
    const instanceTypes = distinct([
      ...(g.Instances ?? []).map((i) => i.InstanceType),
      ...(g.MixedInstancesPolicy?.LaunchTemplate?.Overrides ?? []).map((o) => o.InstanceType),
    ]);
    return {
      capacity: g.DesiredCapacity ?? 0,
      running: (g.Instances ?? []).filter((i) => i.LifecycleState === 'InService').length,
      min: g.MinSize ?? 0,
      max: g.MaxSize ?? 0,
      managed: isManaged(tags, this.tagKey),
      ...(instanceTypes.length ? { instanceTypes } : {}),
      ...(g.MixedInstancesPolicy?.LaunchTemplate
        ? {
            mixedInstances: (g.MixedInstancesPolicy.LaunchTemplate.Overrides ?? []).flatMap((o) =>
              o.InstanceType
                ? [
                    {
                      instanceType: o.InstanceType,
                      ...(o.WeightedCapacity ? { weightedCapacity: Number(o.WeightedCapacity) } : {}),
                    },
                  ]
                : [],
            ),
          }
        : {}),
      // DescribeAutoScalingGroups always answers with the group's tags: none is an empty list
      tags: tagRecord(tags),
    };
  }

  private async describeService(ref: Extract<ScalingTargetRef, { kind: 'ecs' }>): Promise<TargetState> {
    const [services, targets] = await Promise.all([
      this.c.ecs.send(
        new DescribeServicesCommand({ cluster: ref.cluster, services: [ref.service], include: ['TAGS'] }),
      ),
      this.c.applicationAutoScaling.send(
        new DescribeScalableTargetsCommand({
          ServiceNamespace: 'ecs',
          ResourceIds: [resourceId(ref)],
          ScalableDimension: 'ecs:service:DesiredCount',
        }),
      ),
    ]);
    const service = services.services?.find((s) => s.serviceName === ref.service);
    const target = targets.ScalableTargets?.[0];
    if (!service) throw new TargetNotFoundError(ref);
    if (!target)
      throw new TargetNotFoundError(
        ref,
        'has no scalable target in Application Auto Scaling: register one (ecs:service:DesiredCount) to let Twinscale set its floor',
      );
    return {
      capacity: target.MinCapacity ?? 0,
      running: service.runningCount ?? service.desiredCount ?? 0,
      // The floor never goes below zero tasks; a twin's policy.minInstances keeps a higher one.
      min: 0,
      max: target.MaxCapacity ?? 0,
      managed: isManaged(service.tags ?? [], this.tagKey),
      // asked for (include TAGS): no tags in the answer is none; the service itself has no
      // instance types (Fargate, or EC2 capacity providers' groups, which are twins of their own)
      tags: tagRecord(service.tags ?? []),
    };
  }
}

const distinct = (xs: (string | undefined)[]): string[] =>
  [...new Set(xs.filter((x): x is string => !!x))].sort();

const tagRecord = (tags: readonly { key?: string; value?: string }[]): Record<string, string> =>
  Object.fromEntries(tags.flatMap((t) => (t.key ? [[t.key, t.value ?? '']] : [])));

const resourceId = (ref: Extract<ScalingTargetRef, { kind: 'ecs' }>) =>
  `service/${ref.cluster}/${ref.service}`;
