import { CreateOrUpdateTagsCommand, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { AwsScalingTarget } from '../../layers/aws/scaling/aws-scaling-target.js';
import { applyMix, NotMixedInstancesError } from '../../layers/core/act/mixed-instances.js';
import { NotManagedError } from '../../layers/core/act/scaling-target.js';
import { type Moto, motoAvailable, startMoto } from '../support/moto.js';
import { MANAGED, ScalingFixtures } from '../support/scaling-fixtures.js';

const describeMoto = motoAvailable() ? describe : describe.skip;

describeMoto('Function: applyMix on EC2 Auto Scaling (moto_server)', () => {
  let moto: Moto;
  let fx: ScalingFixtures;
  let target: AwsScalingTarget;
  const running = { actuationPaused: false };
  const ports = () => ({ target, controls: async () => running });
  const weights = [
    { instanceType: 'c7g.large', weightedCapacity: 1 },
    { instanceType: 'c7g.xlarge', weightedCapacity: 2 },
  ];
  const request = (name: string, desired: number) => ({
    twinId: name,
    target: { kind: 'asg' as const, autoScalingGroupName: name },
    weights,
    desired,
    maxStep: 3,
  });
  const tagManaged = (name: string) =>
    fx.clients.autoScaling.send(
      new CreateOrUpdateTagsCommand({
        Tags: [
          { ...MANAGED, ResourceId: name, ResourceType: 'auto-scaling-group', PropagateAtLaunch: false },
        ],
      }),
    );

  beforeAll(async () => {
    moto = await startMoto();
    fx = new ScalingFixtures(moto);
    await fx.setUp();
    target = new AwsScalingTarget(fx.clients);
  }, 60_000);

  afterAll(async () => {
    fx?.destroy();
    await moto?.stop();
  });

  test('a managed mixed-instances group gets the weighted overrides and a desired capacity within the max step', async () => {
    // Prepare
    await fx.mixedGroup('batch', { desired: 2, overrides: ['m6g.large', 't3.micro'] });
    await tagManaged('batch');

    // Act
    const r = await applyMix(request('batch', 9), ports());

    // Assess
    expect(r).toMatchObject({ action: 'applied', from: 2, to: 5, boundBy: 'max-step' });
    const g = (
      await fx.clients.autoScaling.send(
        new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['batch'] }),
      )
    ).AutoScalingGroups?.[0];
    expect(g?.DesiredCapacity).toBe(5);
    expect(g?.MixedInstancesPolicy?.LaunchTemplate?.Overrides).toEqual([
      { InstanceType: 'c7g.large', WeightedCapacity: '1' },
      { InstanceType: 'c7g.xlarge', WeightedCapacity: '2' },
    ]);
    expect((await target.describe(request('batch', 0).target)).mixedInstances).toEqual(weights);
  });

  test('applied again with the same weights and capacity: nothing to do', async () => {
    await fx.mixedGroup('steady', { desired: 4, overrides: ['c7g.large'] });
    await tagManaged('steady');
    await applyMix(request('steady', 4), ports());

    const again = await applyMix(request('steady', 4), ports());

    expect(again).toMatchObject({ action: 'none', from: 4, to: 4 });
  });

  test('refused for a group without the managed tag, and for a group without a mixed-instances policy', async () => {
    await fx.mixedGroup('unmanaged', { desired: 1, overrides: ['c7g.large'] });
    await fx.group('plain', { min: 0, max: 10, desired: 2, managed: true });

    await expect(applyMix(request('unmanaged', 3), ports())).rejects.toThrow(NotManagedError);
    await expect(applyMix(request('plain', 3), ports())).rejects.toThrow(NotMixedInstancesError);
    expect(await fx.groupCapacity('plain')).toBe(2);
  });

  test('the kill switch: recorded only, the group untouched', async () => {
    await fx.mixedGroup('paused', { desired: 1, overrides: ['c7g.large'] });
    await tagManaged('paused');

    const r = await applyMix(request('paused', 3), {
      target,
      controls: async () => ({ actuationPaused: true }),
    });

    expect(r.action).toBe('recorded-only');
    expect(await fx.groupCapacity('paused')).toBe(1);
  });
});
