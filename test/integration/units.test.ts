import {
  CloudFormationClient,
  CreateStackCommand,
  ListStackResourcesCommand,
} from '@aws-sdk/client-cloudformation';
import { DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DynamoTwinStore } from '../../layers/aws/dynamo/dynamo-twin-store.js';
import { AwsUnitReader } from '../../layers/aws/units/aws-unit-reader.js';
import { createApi } from '../../layers/core/api/router.js';
import { twinIdFor } from '../../layers/core/twin/metric-queries.js';
import { requestCountTwin } from '../../local/fixtures/twins.js';
import { apiClient, noWorkflows } from '../support/api-client.js';
import { type LocalDynamo, startDynalite } from '../support/dynalite.js';
import { type Moto, motoAvailable, startMoto } from '../support/moto.js';

const describeMoto = motoAvailable() ? describe : describe.skip;
const NOW = Date.parse('2026-11-23T12:00:00.000Z');

/** An ASG behind an ALB, and an ECS worker on a queue that calls the ALB by its DNS name. */
const stackTemplate = (subnets: string[], vpcId: string) => ({
  Resources: {
    Lb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Subnets: subnets } },
    Tg: {
      Type: 'AWS::ElasticLoadBalancingV2::TargetGroup',
      Properties: { Port: 80, Protocol: 'HTTP', VpcId: vpcId },
    },
    Listener: {
      Type: 'AWS::ElasticLoadBalancingV2::Listener',
      Properties: {
        LoadBalancerArn: { Ref: 'Lb' },
        Port: 80,
        Protocol: 'HTTP',
        DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: 'Tg' } }],
      },
    },
    LaunchConfig: {
      Type: 'AWS::AutoScaling::LaunchConfiguration',
      Properties: { ImageId: 'ami-12c6146b', InstanceType: 't3.micro' },
    },
    Fleet: {
      Type: 'AWS::AutoScaling::AutoScalingGroup',
      Properties: {
        MinSize: '1',
        MaxSize: '4',
        LaunchConfigurationName: { Ref: 'LaunchConfig' },
        VPCZoneIdentifier: [subnets[0]],
        TargetGroupARNs: [{ Ref: 'Tg' }],
      },
    },
    Jobs: { Type: 'AWS::SQS::Queue' },
    Cluster: { Type: 'AWS::ECS::Cluster' },
    WorkerTask: {
      Type: 'AWS::ECS::TaskDefinition',
      Properties: {
        Family: 'worker',
        ContainerDefinitions: [
          {
            Name: 'w',
            Image: 'worker',
            Memory: 256,
            Environment: [
              { Name: 'QUEUE_URL', Value: { Ref: 'Jobs' } },
              {
                Name: 'FLEET_URL',
                Value: { 'Fn::Join': ['', ['http://', { 'Fn::GetAtt': ['Lb', 'DNSName'] }]] },
              },
            ],
          },
        ],
      },
    },
    Worker: {
      Type: 'AWS::ECS::Service',
      Properties: {
        Cluster: { Ref: 'Cluster' },
        TaskDefinition: { Ref: 'WorkerTask' },
        DesiredCount: 1,
        ServiceName: 'worker',
      },
    },
  },
});

describeMoto('POST /units against a stack deployed in moto_server, twins on dynalite', () => {
  let moto: Moto;
  let db: LocalDynamo;
  let reader: AwsUnitReader;
  let store: DynamoTwinStore;
  let api: ReturnType<typeof createApi>;
  let physical: Record<string, string>;
  const { call } = apiClient(() => api);

  beforeAll(async () => {
    [moto, db] = await Promise.all([startMoto(), startDynalite()]);
    const subnets =
      (await new EC2Client(moto.clientConfig).send(new DescribeSubnetsCommand({}))).Subnets ?? [];
    const cfn = new CloudFormationClient(moto.clientConfig);
    await cfn.send(
      new CreateStackCommand({
        StackName: 'shop',
        TemplateBody: JSON.stringify(
          stackTemplate(
            subnets.slice(0, 2).map((s) => s.SubnetId ?? ''),
            subnets[0].VpcId ?? '',
          ),
        ),
      }),
    );
    const resources = await cfn.send(new ListStackResourcesCommand({ StackName: 'shop' }));
    physical = Object.fromEntries(
      (resources.StackResourceSummaries ?? []).map((r) => [r.LogicalResourceId, r.PhysicalResourceId]),
    );
    reader = new AwsUnitReader({
      cloudFormation: cfn,
      ecs: new ECSClient(moto.clientConfig),
      elbv2: new ElasticLoadBalancingV2Client(moto.clientConfig),
    });
  });

  beforeEach(async () => {
    store = new DynamoTwinStore(db.client, { tableName: await db.newTable() });
    api = createApi({ store, workflows: noWorkflows, now: () => NOW, units: reader });
  });

  afterAll(async () => {
    await Promise.all([moto?.stop(), db?.stop()]);
  });

  it('creates the forecast-only twins of a deployed stack with its physical names, and the edge between them', async () => {
    // Act
    const res = await call('POST', '/units', { kind: 'stack', stackName: 'shop' });

    // Assess
    expect(res.status).toBe(201);
    const fleet = twinIdFor('asg', physical.Fleet);
    const cluster = physical.Cluster;
    const worker = twinIdFor('ecs', `${cluster}-worker`);
    expect(res.body.created.sort()).toEqual([fleet, worker].sort());
    expect(res.body.edges).toEqual([expect.objectContaining({ from: worker, to: fleet, status: 'created' })]);
    const stored = await store.getTwin(fleet);
    expect(stored).toMatchObject({
      target: { kind: 'asg', autoScalingGroupName: physical.Fleet },
      policy: { mode: 'forecast-only' },
      source: 'discovered',
    });
    expect(stored?.metrics[0]).toMatchObject({
      key: 'requests',
      metricName: 'RequestCount',
      dimensions: [
        { name: 'TargetGroup', value: physical.Tg.slice(physical.Tg.indexOf('targetgroup/')) },
        { name: 'LoadBalancer', value: physical.Lb.slice(physical.Lb.indexOf('app/')) },
      ],
    });
    const workerTwin = await store.getTwin(worker);
    expect(workerTwin?.target).toEqual({ kind: 'ecs', cluster, service: 'worker' });
    expect(workerTwin?.metrics[0]).toMatchObject({
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: [{ name: 'QueueName', value: physical.Jobs.split('/').pop() }],
    });
    expect(workerTwin?.dependsOn).toEqual([{ to: fleet }]);
    // the graph's reverse edge, as POST /twins writes it
    expect((await store.getTwin(fleet))?.upstreams.map((u) => u.from)).toEqual([worker]);
    expect(res.body.findings[0].summary).toBe('stack shop: 2 scalable resources');
  });

  it('leaves existing twins as they are the second time, and answers 200', async () => {
    // Prepare
    await call('POST', '/units', { kind: 'stack', stackName: 'shop' });

    // Act
    const again = await call('POST', '/units', { kind: 'stack', stackName: 'shop' });

    // Assess
    expect(again.status).toBe(200);
    expect(again.body.created).toEqual([]);
    expect(again.body.existing).toHaveLength(2);
    expect(again.body.edges.map((e: { status: string }) => e.status)).toEqual(['present']);
  });

  it('adds a call to an existing caller without touching the rest of it', async () => {
    // Prepare: the worker twin exists already, calling another twin
    const worker = twinIdFor('ecs', `${physical.Cluster}-worker`);
    await store.createTwin(requestCountTwin('billing', 100));
    await store.createTwin({
      ...requestCountTwin(worker, 100),
      target: { kind: 'ecs', cluster: physical.Cluster, service: 'worker' },
      dependsOn: [{ to: 'billing', callRatio: 2 }],
    });

    // Act
    const res = await call('POST', '/units', { kind: 'stack', stackName: 'shop' });

    // Assess
    expect(res.status).toBe(201);
    expect(res.body.existing).toEqual([worker]);
    expect(res.body.edges[0].status).toBe('added');
    const after = await store.getTwin(worker);
    expect(after?.dependsOn).toEqual([
      { to: 'billing', callRatio: 2 },
      { to: twinIdFor('asg', physical.Fleet) },
    ]);
    expect(after?.metrics.map((m) => m.key)).toEqual(['requests']);
  });

  it('reports and creates nothing on a dry run', async () => {
    // Act
    const res = await call('POST', '/units', { kind: 'stack', stackName: 'shop', dryRun: true });

    // Assess
    expect(res.status).toBe(200);
    expect(res.body.dryRun).toBe(true);
    expect(res.body.created).toHaveLength(2);
    expect(res.body.twins.map((t: { status: string }) => t.status)).toEqual(['would-create', 'would-create']);
    expect((await store.listTwins({ limit: 10 })).items).toEqual([]);
  });

  it('plans a task family from the services of its cluster', async () => {
    // Act
    const res = await call('POST', '/units', {
      kind: 'task-family',
      family: 'worker',
      cluster: physical.Cluster,
      dryRun: true,
    });

    // Assess
    expect(res.status).toBe(200);
    expect(res.body.twins).toEqual([
      expect.objectContaining({
        id: twinIdFor('ecs', `${physical.Cluster}-worker`),
        load: `AWS/SQS ApproximateNumberOfMessagesVisible QueueName=${physical.Jobs.split('/').pop()}`,
      }),
    ]);
  });

  it('answers 404 for a stack or a family that does not exist', async () => {
    // Act
    const stack = await call('POST', '/units', { kind: 'stack', stackName: 'nope' });
    const family = await call('POST', '/units', { kind: 'task-family', family: 'nope', cluster: 'c' });

    // Assess
    expect(stack.status).toBe(404);
    expect(stack.body.message).toMatch(/stack "nope" does not exist/);
    expect(family.status).toBe(404);
  });
});

describe('POST /units without AWS (template kind, request checks)', () => {
  let db: LocalDynamo;
  let api: ReturnType<typeof createApi>;
  const { call, fields } = apiClient(() => api);

  beforeAll(async () => {
    db = await startDynalite();
    const store = new DynamoTwinStore(db.client, { tableName: await db.newTable() });
    api = createApi({ store, workflows: noWorkflows, now: () => NOW });
  });
  afterAll(async () => db?.stop());

  const template = {
    Resources: {
      Batch: { Type: 'AWS::AutoScaling::AutoScalingGroup', Properties: { MinSize: '1', MaxSize: '2' } },
    },
  };

  it('creates a template’s twin once `names` names it, and only reports it before', async () => {
    // Act
    const unnamed = await call('POST', '/units', { kind: 'template', template });
    const named = await call('POST', '/units', { kind: 'template', template, names: { Batch: 'batch-asg' } });

    // Assess
    expect(unnamed.status).toBe(200);
    expect(unnamed.body.skipped).toEqual([
      expect.objectContaining({
        resource: 'Batch',
        reasons: [expect.stringMatching(/^group name of Batch/)],
      }),
    ]);
    expect(named.status).toBe(201);
    expect(named.body.created).toEqual(['asg-batch-asg']);
    expect(named.body.findings[1].notes).toEqual(['no target group or queue: CPU is the load']);
  });

  it('answers 400 naming the field: an unknown kind, a missing stack name, a name for no resource', async () => {
    // Act
    const kind = await call('POST', '/units', { kind: 'helm', chart: 'x' });
    const stack = await call('POST', '/units', { kind: 'stack' });
    const names = await call('POST', '/units', { kind: 'template', template, names: { Nope: 'x' } });
    const resources = await call('POST', '/units', { kind: 'template', template: { Resources: { A: {} } } });

    // Assess
    expect([kind.status, stack.status, names.status, resources.status]).toEqual([400, 400, 400, 400]);
    expect(fields(kind)).toEqual(['body.kind']);
    expect(fields(stack)).toEqual(['body.stackName']);
    expect(fields(names)).toEqual(['body.names.Nope']);
    expect(fields(resources)).toEqual(['body.template.Resources.A.Type']);
  });

  it('answers 501 for a stack when no AWS reader is wired, saying what works instead', async () => {
    // Act
    const res = await call('POST', '/units', { kind: 'stack', stackName: 'shop' });

    // Assess
    expect(res.status).toBe(501);
    expect(res.body.error).toBe('not-available');
    expect(res.body.message).toMatch(/AWS_ENDPOINT_URL.*"kind":"template"/);
  });
});
