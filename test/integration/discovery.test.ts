import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  CreateLaunchConfigurationCommand,
} from '@aws-sdk/client-auto-scaling';
import { DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { discoverTwins, registerDiscovered, twinIdFor } from '../../layers/aws/discovery.js';
import { DynamoTwinStore } from '../../layers/aws/dynamo/dynamo-twin-store.js';
import { type LocalDynamo, startDynalite } from '../support/dynalite.js';
import { type Moto, motoAvailable, startMoto } from '../support/moto.js';

const describeMoto = motoAvailable() ? describe : describe.skip;
const managed = { Key: 'twinscale:managed', Value: 'true' };

describeMoto('discovery of tagged Auto Scaling groups and ECS services (moto_server)', () => {
  let moto: Moto;
  let db: LocalDynamo;
  let clients: { autoScaling: AutoScalingClient; ecs: ECSClient; elbv2: ElasticLoadBalancingV2Client };
  let targetGroupArn: string;

  beforeAll(async () => {
    [moto, db] = await Promise.all([startMoto(), startDynalite()]);
    clients = {
      autoScaling: new AutoScalingClient(moto.clientConfig),
      ecs: new ECSClient(moto.clientConfig),
      elbv2: new ElasticLoadBalancingV2Client(moto.clientConfig),
    };
    const ec2 = new EC2Client(moto.clientConfig);
    const subnets = (await ec2.send(new DescribeSubnetsCommand({}))).Subnets ?? [];
    const vpcId = subnets[0].VpcId;
    const lb = await clients.elbv2.send(
      new CreateLoadBalancerCommand({
        Name: 'web-lb',
        Subnets: subnets.slice(0, 2).map((s) => s.SubnetId ?? ''),
      }),
    );
    const tg = await clients.elbv2.send(
      new CreateTargetGroupCommand({ Name: 'web-tg', Protocol: 'HTTP', Port: 80, VpcId: vpcId }),
    );
    targetGroupArn = tg.TargetGroups?.[0].TargetGroupArn ?? '';
    await clients.elbv2.send(
      new CreateListenerCommand({
        LoadBalancerArn: lb.LoadBalancers?.[0].LoadBalancerArn,
        Protocol: 'HTTP',
        Port: 80,
        DefaultActions: [{ Type: 'forward', TargetGroupArn: targetGroupArn }],
      }),
    );
    await clients.autoScaling.send(
      new CreateLaunchConfigurationCommand({
        LaunchConfigurationName: 'lc',
        ImageId: 'ami-12c6146b',
        InstanceType: 't3.micro',
      }),
    );
    const asg = (name: string, tags: { Key: string; Value: string }[], tgs: string[] = []) =>
      clients.autoScaling.send(
        new CreateAutoScalingGroupCommand({
          AutoScalingGroupName: name,
          LaunchConfigurationName: 'lc',
          MinSize: 0,
          MaxSize: 2,
          DesiredCapacity: 0,
          VPCZoneIdentifier: subnets[0].SubnetId,
          TargetGroupARNs: tgs,
          Tags: tags.map((t) => ({ ...t, PropagateAtLaunch: false })),
        }),
      );
    await asg('Web_Front', [managed], [targetGroupArn]);
    await asg('worker', [managed, { Key: 'twinscale:family', Value: 'batch' }]);
    await asg('legacy', [{ Key: 'twinscale:managed', Value: 'false' }]);
    await asg('untagged', []);

    await clients.ecs.send(new CreateClusterCommand({ clusterName: 'prod' }));
    await clients.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'api',
        containerDefinitions: [{ name: 'api', image: 'api:1', memory: 512 }],
      }),
    );
    for (const [serviceName, tags] of [
      ['api', [{ key: 'twinscale:managed', value: 'true' }]],
      ['cron', []],
    ] as const)
      await clients.ecs.send(
        new CreateServiceCommand({
          cluster: 'prod',
          serviceName,
          taskDefinition: 'api',
          desiredCount: 1,
          tags: [...tags],
          loadBalancers:
            serviceName === 'api' ? [{ targetGroupArn, containerName: 'api', containerPort: 80 }] : undefined,
        }),
      );
    ec2.destroy();
  });

  afterAll(async () => {
    for (const c of Object.values(clients ?? {})) c.destroy();
    await Promise.all([moto?.stop(), db?.stop()]);
  });

  test('finds exactly the tagged groups and services, with CPU and request-count queries', async () => {
    const found = await discoverTwins(clients);
    expect(found.map((t) => t.id).sort()).toEqual(
      [twinIdFor('asg', 'Web_Front'), 'asg-worker', 'ecs-prod-api'].sort(),
    );
    const web = found.find((t) => t.target.kind === 'asg' && t.target.autoScalingGroupName === 'Web_Front');
    expect(web?.metrics.map((m) => [m.key, m.role, m.metricName, m.stat])).toEqual([
      ['cpu', 'utilization', 'CPUUtilization', 'Average'],
      ['requests', 'load', 'RequestCount', 'Sum'],
    ]);
    expect(web?.metrics[1].dimensions).toEqual([
      { name: 'TargetGroup', value: expect.stringMatching(/^targetgroup\/web-tg\//) },
      { name: 'LoadBalancer', value: expect.stringMatching(/^app\/web-lb\//) },
    ]);
    const worker = found.find((t) => t.id === 'asg-worker');
    expect(worker?.metrics.map((m) => m.key)).toEqual(['cpu']);
    const api = found.find((t) => t.id === 'ecs-prod-api');
    expect(api?.target).toEqual({ kind: 'ecs', cluster: 'prod', service: 'api' });
    expect(api?.metrics[0].dimensions).toEqual([
      { name: 'ClusterName', value: 'prod' },
      { name: 'ServiceName', value: 'api' },
    ]);
    expect(api?.metrics.map((m) => m.key)).toEqual(['cpu', 'requests']);
  });

  test("gives a twin its family from the twinscale:family tag, else from an ECS service's task definition family", async () => {
    const found = await discoverTwins(clients);
    const family = (id: string) => found.find((t) => t.id === id)?.family;
    expect([family('asg-worker'), family('ecs-prod-api'), family(twinIdFor('asg', 'Web_Front'))]).toEqual([
      'batch',
      'api',
      undefined,
    ]);
  });

  test('registers discovered twins once, in forecast-only mode, and leaves existing ones alone', async () => {
    const store = new DynamoTwinStore(db.client, { tableName: await db.newTable() });
    const found = await discoverTwins(clients);
    expect(await registerDiscovered(store, found)).toEqual({ created: found.map((t) => t.id), existing: 0 });
    const worker = await store.getTwin('asg-worker');
    expect(worker).toMatchObject({ source: 'discovered', policy: { mode: 'forecast-only' }, version: 1 });
    await store.updateTwin('asg-worker', 1, { policy: { ...worker!.policy, mode: 'forecast-and-scale' } });
    expect(await registerDiscovered(store, found)).toEqual({ created: [], existing: 3 });
    expect((await store.getTwin('asg-worker'))?.policy.mode).toBe('forecast-and-scale');
  });

  test('twin ids are valid and keep names that differ only in case apart', () => {
    expect(twinIdFor('asg', 'web')).toBe('asg-web');
    expect(twinIdFor('asg', 'Web')).not.toBe(twinIdFor('asg', 'WEB'));
    expect(twinIdFor('asg', 'Web_Front')).toMatch(/^asg-web-front-[0-9a-f]{8}$/);
    expect(twinIdFor('ecs', 'x'.repeat(300)).length).toBeLessThanOrEqual(128);
  });
});
