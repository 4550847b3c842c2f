import { AwsScalingTarget } from '../../layers/aws/scaling/aws-scaling-target.js';
import { type Moto, motoAvailable, startMoto } from '../support/moto.js';
import { ScalingFixtures } from '../support/scaling-fixtures.js';

const describeMoto = motoAvailable() ? describe : describe.skip;

describeMoto('Class: AwsScalingTarget, describe (moto_server)', () => {
  let moto: Moto;
  let fx: ScalingFixtures;
  let target: AwsScalingTarget;

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

  test('an Auto Scaling group: its tags, and its instances’ type', async () => {
    // Prepare
    await fx.group('web', { min: 1, max: 10, desired: 2, managed: true, tags: { team: 'checkout' } });

    // Act
    const state = await target.describe({ kind: 'asg', autoScalingGroupName: 'web' });

    // Assess
    expect(state).toMatchObject({
      capacity: 2,
      managed: true,
      instanceTypes: ['t3.micro'],
      tags: { 'twinscale:managed': 'true', team: 'checkout' },
    });
  });

  test('a mixed-instances group: the overrides’ types beside its instances’, each once', async () => {
    await fx.mixedGroup('batch', { desired: 1, overrides: ['m6g.large', 't3.micro', 'c6g.large'] });

    const state = await target.describe({ kind: 'asg', autoScalingGroupName: 'batch' });

    expect(state.instanceTypes).toEqual(['c6g.large', 'm6g.large', 't3.micro']);
    expect(state.tags).toEqual({});
    expect(state.managed).toBe(false);
  });

  test('a group with no instances and no overrides: instance types unknown, not empty', async () => {
    await fx.group('idle', { min: 0, max: 4, desired: 0, managed: false });

    const state = await target.describe({ kind: 'asg', autoScalingGroupName: 'idle' });

    expect(state).not.toHaveProperty('instanceTypes');
    expect(state.tags).toEqual({});
  });

  test('an ECS service: its tags, and no instance types', async () => {
    await fx.service('api', { min: 2, max: 8, managed: true, tags: { team: 'payments' } });

    const state = await target.describe({ kind: 'ecs', cluster: 'prod', service: 'api' });

    expect(state).toMatchObject({
      capacity: 2,
      managed: true,
      tags: { 'twinscale:managed': 'true', team: 'payments' },
    });
    expect(state).not.toHaveProperty('instanceTypes');
  });
});
