import { TwinIdSchema } from '../../../layers/core/twin/twin.js';
import { planTaskFamilyUnit } from '../../../layers/core/units/task-family-units.js';
import { planTemplateUnit } from '../../../layers/core/units/template-units.js';
import { type CfnTemplate, parseTemplateText } from '../../../layers/core/units/template-values.js';

const ACCOUNT = '123456789012';
const tgArn = (name: string) =>
  `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:targetgroup/${name}/0123456789abcdef`;
const lbArn = (name: string) =>
  `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:loadbalancer/app/${name}/fedcba9876543210`;

/** An ALB in front of an ECS service `web` that calls `api` (behind its own ALB) by the ALB's DNS name. */
const twoServices: CfnTemplate = {
  Resources: {
    Cluster: { Type: 'AWS::ECS::Cluster' },
    WebLb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Type: 'application' } },
    WebTg: { Type: 'AWS::ElasticLoadBalancingV2::TargetGroup', Properties: { Port: 80 } },
    WebListener: {
      Type: 'AWS::ElasticLoadBalancingV2::Listener',
      Properties: {
        LoadBalancerArn: { Ref: 'WebLb' },
        DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: 'WebTg' } }],
      },
    },
    ApiLb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer' },
    ApiTg: { Type: 'AWS::ElasticLoadBalancingV2::TargetGroup' },
    ApiListener: {
      Type: 'AWS::ElasticLoadBalancingV2::Listener',
      Properties: {
        LoadBalancerArn: { Ref: 'ApiLb' },
        DefaultActions: [
          { Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: { Ref: 'ApiTg' } }] } },
        ],
      },
    },
    WebTask: {
      Type: 'AWS::ECS::TaskDefinition',
      Properties: {
        ContainerDefinitions: [
          {
            Name: 'web',
            Environment: [
              // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's own ${} syntax
              { Name: 'API_URL', Value: { 'Fn::Sub': 'http://${ApiLb.DNSName}/v1' } },
              { Name: 'REGION', Value: { Ref: 'AWS::Region' } },
            ],
          },
        ],
      },
    },
    ApiTask: { Type: 'AWS::ECS::TaskDefinition', Properties: { ContainerDefinitions: [{ Name: 'api' }] } },
    Web: {
      Type: 'AWS::ECS::Service',
      Properties: {
        Cluster: { Ref: 'Cluster' },
        TaskDefinition: { Ref: 'WebTask' },
        LoadBalancers: [{ ContainerName: 'web', ContainerPort: 80, TargetGroupArn: { Ref: 'WebTg' } }],
      },
    },
    Api: {
      Type: 'AWS::ECS::Service',
      Properties: {
        Cluster: { Ref: 'Cluster' },
        TaskDefinition: { Ref: 'ApiTask' },
        LoadBalancers: [{ ContainerName: 'api', ContainerPort: 80, TargetGroupArn: { Ref: 'ApiTg' } }],
      },
    },
  },
};

/** What CloudFormation names them once deployed (ListStackResources' physical ids). */
const twoServicesDeployed = {
  Cluster: 'shop',
  WebLb: lbArn('web-lb'),
  WebTg: tgArn('web-tg'),
  ApiLb: lbArn('api-lb'),
  ApiTg: tgArn('api-tg'),
  Web: `arn:aws:ecs:us-east-1:${ACCOUNT}:service/shop/shop-web`,
  Api: `arn:aws:ecs:us-east-1:${ACCOUNT}:service/shop/shop-api`,
};

describe('Function: planTemplateUnit', () => {
  it('gives an ECS service behind an ALB its target group request count, and an edge to the service whose ALB its environment names', () => {
    // Act
    const plan = planTemplateUnit({
      unit: 'shop',
      kind: 'stack',
      template: twoServices,
      physicalIds: twoServicesDeployed,
    });

    // Assess
    const web = plan.twins.find((t) => t.resource === 'Web');
    expect(web?.resolved).toBe(true);
    expect(web?.twin).toMatchObject({
      id: 'ecs-shop-shop-web',
      target: { kind: 'ecs', cluster: 'shop', service: 'shop-web' },
      policy: { mode: 'forecast-only' },
      dependsOn: [{ to: 'ecs-shop-shop-api' }],
    });
    expect(web?.twin.metrics).toEqual([
      expect.objectContaining({
        key: 'requests',
        role: 'load',
        namespace: 'AWS/ApplicationELB',
        metricName: 'RequestCount',
        stat: 'Sum',
        dimensions: [
          { name: 'TargetGroup', value: 'targetgroup/web-tg/0123456789abcdef' },
          { name: 'LoadBalancer', value: 'app/web-lb/fedcba9876543210' },
        ],
      }),
      expect.objectContaining({ key: 'cpu', role: 'utilization', metricName: 'CPUUtilization' }),
    ]);
    expect(plan.edges).toEqual([
      {
        from: 'ecs-shop-shop-web',
        to: 'ecs-shop-shop-api',
        reason: expect.stringContaining('env API_URL names load balancer ApiLb'),
      },
    ]);
    const finding = plan.findings.find((f) => f.resource === 'Web');
    expect(finding?.notes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^load: target group WebTg request count .*attached through LoadBalancers\[0\]/,
        ),
        expect.stringMatching(/^calls: Api /),
      ]),
    );
  });

  it('gives an Auto Scaling group its target group request count, attached through TargetGroupARNs', () => {
    // Prepare
    const template: CfnTemplate = {
      Resources: {
        Lb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer' },
        Tg: { Type: 'AWS::ElasticLoadBalancingV2::TargetGroup' },
        Rule: {
          Type: 'AWS::ElasticLoadBalancingV2::ListenerRule',
          Properties: { ListenerArn: { Ref: 'Listener' }, Actions: [{ TargetGroupArn: { Ref: 'Tg' } }] },
        },
        Listener: {
          Type: 'AWS::ElasticLoadBalancingV2::Listener',
          Properties: { LoadBalancerArn: { Ref: 'Lb' }, DefaultActions: [{ Type: 'fixed-response' }] },
        },
        Fleet: {
          Type: 'AWS::AutoScaling::AutoScalingGroup',
          Properties: { MinSize: '1', MaxSize: '10', TargetGroupARNs: [{ Ref: 'Tg' }] },
        },
      },
    };

    // Act
    const plan = planTemplateUnit({
      unit: 'fleet',
      kind: 'template',
      template,
      physicalIds: { Fleet: 'fleet-asg', Tg: tgArn('fleet'), Lb: lbArn('fleet') },
    });

    // Assess
    expect(plan.twins).toHaveLength(1);
    expect(plan.twins[0].twin).toMatchObject({
      id: 'asg-fleet-asg',
      target: { kind: 'asg', autoScalingGroupName: 'fleet-asg' },
      metrics: [
        {
          key: 'requests',
          dimensions: [
            { value: 'targetgroup/fleet/0123456789abcdef' },
            { value: 'app/fleet/fedcba9876543210' },
          ],
        },
        {
          key: 'cpu',
          namespace: 'AWS/EC2',
          dimensions: [{ name: 'AutoScalingGroupName', value: 'fleet-asg' }],
        },
      ],
    });
    expect(plan.findings[1].notes[0]).toMatch(
      /^load: target group Tg request count on load balancer Lb \(attached through TargetGroupARNs\[0\]\)/,
    );
  });

  it('forecasts a worker on the depth of the queue its task role receives from, and links the service that sends to it', () => {
    // Prepare
    const template: CfnTemplate = {
      Resources: {
        Jobs: { Type: 'AWS::SQS::Queue' },
        Carts: { Type: 'AWS::DynamoDB::Table' },
        WorkerRole: { Type: 'AWS::IAM::Role' },
        FrontRole: {
          Type: 'AWS::IAM::Role',
          Properties: {
            Policies: [
              {
                PolicyName: 'send',
                PolicyDocument: {
                  Statement: [
                    {
                      Effect: 'Allow',
                      Action: 'sqs:SendMessage',
                      Resource: { 'Fn::GetAtt': ['Jobs', 'Arn'] },
                    },
                  ],
                },
              },
            ],
          },
        },
        WorkerPolicy: {
          Type: 'AWS::IAM::Policy',
          Properties: {
            Roles: [{ Ref: 'WorkerRole' }],
            PolicyDocument: {
              Statement: [
                {
                  Effect: 'Allow',
                  Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage'],
                  Resource: { 'Fn::GetAtt': ['Jobs', 'Arn'] },
                },
                { Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: { 'Fn::GetAtt': ['Carts', 'Arn'] } },
              ],
            },
          },
        },
        WorkerTask: {
          Type: 'AWS::ECS::TaskDefinition',
          Properties: {
            TaskRoleArn: { 'Fn::GetAtt': ['WorkerRole', 'Arn'] },
            ContainerDefinitions: [
              { Name: 'w', Environment: [{ Name: 'QUEUE', Value: { 'Fn::GetAtt': ['Jobs', 'QueueName'] } }] },
            ],
          },
        },
        FrontTask: {
          Type: 'AWS::ECS::TaskDefinition',
          Properties: {
            TaskRoleArn: { 'Fn::GetAtt': ['FrontRole', 'Arn'] },
            ContainerDefinitions: [{ Name: 'f' }],
          },
        },
        Worker: {
          Type: 'AWS::ECS::Service',
          Properties: { Cluster: 'jobs', ServiceName: 'worker', TaskDefinition: { Ref: 'WorkerTask' } },
        },
        Front: {
          Type: 'AWS::ECS::Service',
          Properties: { Cluster: 'jobs', ServiceName: 'front', TaskDefinition: { Ref: 'FrontTask' } },
        },
      },
    };

    // Act
    const plan = planTemplateUnit({
      unit: 'jobs',
      kind: 'template',
      template,
      physicalIds: { Jobs: `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/jobs-queue` },
    });

    // Assess
    const worker = plan.twins.find((t) => t.resource === 'Worker');
    expect(worker?.twin.metrics[0]).toEqual({
      key: 'queue_depth',
      role: 'load',
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: [{ name: 'QueueName', value: 'jobs-queue' }],
      stat: 'Maximum',
      periodSeconds: 60,
    });
    expect(plan.findings.find((f) => f.resource === 'Worker')?.notes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^depends on: queue Jobs \(consumes it: ReceiveMessage/),
        expect.stringMatching(/^depends on: table Carts/),
        expect.stringMatching(/^load: queue Jobs depth .*its role may receive from the queue/),
      ]),
    );
    expect(plan.edges).toEqual([
      { from: 'ecs-jobs-front', to: 'ecs-jobs-worker', reason: 'sends to queue Jobs, which it consumes' },
    ]);
    // the sender's load is its own CPU: the queue it fills is the worker's load
    expect(plan.twins.find((t) => t.resource === 'Front')?.twin.metrics[0]).toMatchObject({
      key: 'cpu_load',
      role: 'load',
    });
  });

  it('makes CPU the load of a group with no target group or queue, and says why', () => {
    // Act
    const plan = planTemplateUnit({
      unit: 'batch',
      kind: 'template',
      template: {
        Resources: {
          Batch: {
            Type: 'AWS::AutoScaling::AutoScalingGroup',
            Properties: { AutoScalingGroupName: 'batch' },
          },
        },
      },
    });

    // Assess
    expect(plan.twins[0].twin.metrics).toEqual([
      expect.objectContaining({ key: 'cpu_load', role: 'load', metricName: 'CPUUtilization', stat: 'Sum' }),
      expect.objectContaining({
        key: 'cpu',
        role: 'utilization',
        metricName: 'CPUUtilization',
        stat: 'Average',
      }),
    ]);
    expect(plan.findings[1].notes).toEqual(['no target group or queue: CPU is the load']);
    expect(plan.twins[0].resolved).toBe(true);
  });

  it('stands the logical ids in for names a synthesized template does not give, and says the twins will not be created', () => {
    // Act
    const plan = planTemplateUnit({ unit: 'shop', kind: 'template', template: twoServices });

    // Assess
    expect(plan.twins.map((t) => t.resolved)).toEqual([false, false]);
    for (const t of plan.twins) expect(TwinIdSchema.safeParse(t.twin.id).success).toBe(true);
    const web = plan.twins.find((t) => t.resource === 'Web');
    expect(web?.twin.id).toMatch(/^shop-web-[0-9a-f]{8}$/);
    expect(web?.twin.target).toEqual({ kind: 'ecs', cluster: 'Cluster', service: 'Web' });
    expect(web?.unresolved).toEqual(
      expect.arrayContaining([
        'service name of Web: not named in the template, the logical id stands in for it',
        'target group WebTg: its ARN is not known, the logical id stands in for it',
      ]),
    );
    expect(plan.findings.find((f) => f.resource === 'Web')?.summary).toMatch(
      /names not resolved: not created/,
    );
    expect(plan.edges).toHaveLength(1);
  });

  it('links a caller to a service by its Cloud Map name in an environment value', () => {
    // Prepare
    const template: CfnTemplate = {
      Resources: {
        Ns: { Type: 'AWS::ServiceDiscovery::PrivateDnsNamespace', Properties: { Name: 'svc.local' } },
        Registry: {
          Type: 'AWS::ServiceDiscovery::Service',
          Properties: { Name: 'orders', NamespaceId: { 'Fn::GetAtt': ['Ns', 'Id'] } },
        },
        CallerTask: {
          Type: 'AWS::ECS::TaskDefinition',
          Properties: {
            ContainerDefinitions: [
              { Name: 'c', Environment: [{ Name: 'ORDERS', Value: 'http://orders.svc.local:8080' }] },
            ],
          },
        },
        CalleeTask: {
          Type: 'AWS::ECS::TaskDefinition',
          Properties: { ContainerDefinitions: [{ Name: 'o' }] },
        },
        Caller: {
          Type: 'AWS::ECS::Service',
          Properties: { Cluster: 'c1', ServiceName: 'caller', TaskDefinition: { Ref: 'CallerTask' } },
        },
        Orders: {
          Type: 'AWS::ECS::Service',
          Properties: {
            Cluster: 'c1',
            ServiceName: 'orders',
            TaskDefinition: { Ref: 'CalleeTask' },
            ServiceRegistries: [{ RegistryArn: { 'Fn::GetAtt': ['Registry', 'Arn'] } }],
          },
        },
      },
    };

    // Act
    const plan = planTemplateUnit({ unit: 'svc', kind: 'template', template });

    // Assess
    expect(plan.edges).toEqual([
      {
        from: 'ecs-c1-caller',
        to: 'ecs-c1-orders',
        reason: 'CallerTask c env ORDERS names orders.svc.local, its Cloud Map name',
      },
    ]);
  });

  it('warns of a service without a cluster, and of a cluster imported from another stack', () => {
    // Act
    const plan = planTemplateUnit({
      unit: 'x',
      kind: 'template',
      template: {
        Resources: {
          NoCluster: { Type: 'AWS::ECS::Service', Properties: { ServiceName: 'a' } },
          Imported: {
            Type: 'AWS::ECS::Service',
            Properties: { ServiceName: 'b', Cluster: { 'Fn::ImportValue': 'shared-cluster' } },
          },
        },
      },
    });

    // Assess
    const [, noCluster, imported] = plan.findings;
    expect(noCluster.warnings[0]).toMatch(/^no Cluster: ECS runs it in the account’s default cluster/);
    expect(plan.twins[0].twin.target).toEqual({ kind: 'ecs', cluster: 'default', service: 'a' });
    expect(imported.warnings).toEqual(
      expect.arrayContaining([expect.stringMatching(/imported from another stack \(shared-cluster\)/)]),
    );
    expect(plan.twins[1].resolved).toBe(false);
  });

  it('finds no scalable resources in a template of Lambda functions, and says so', () => {
    // Act
    const plan = planTemplateUnit({
      unit: 'fns',
      kind: 'template',
      template: { Resources: { Fn: { Type: 'AWS::Lambda::Function' }, T: { Type: 'AWS::DynamoDB::Table' } } },
    });

    // Assess
    expect(plan.twins).toEqual([]);
    expect(plan.findings).toHaveLength(1);
    expect(plan.findings[0].warnings[0]).toMatch(/^no scalable resources found/);
    expect(plan.findings[0].notes).toContain(
      'AWS::Lambda::Function: Lambda functions scale per request on their own',
    );
  });
});

describe('Function: parseTemplateText', () => {
  it('reads a YAML template with the short-form intrinsics as their long forms', () => {
    // Act
    const t = parseTemplateText(
      [
        'Resources:',
        '  Svc:',
        '    Type: AWS::ECS::Service',
        '    Properties:',
        '      Cluster: !Ref Cluster',
        '      LoadBalancers:',
        '        - TargetGroupArn: !GetAtt Tg.TargetGroupArn',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's own ${} syntax
        '      ServiceName: !Sub "${AWS::StackName}-svc"',
        '      Tags: [{ Key: a, Value: !Join ["-", [!Ref Cluster, x]] }]',
      ].join('\n'),
    );

    // Assess
    expect(t.Resources?.Svc.Properties).toEqual({
      Cluster: { Ref: 'Cluster' },
      LoadBalancers: [{ TargetGroupArn: { 'Fn::GetAtt': ['Tg', 'TargetGroupArn'] } }],
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's own ${} syntax
      ServiceName: { 'Fn::Sub': '${AWS::StackName}-svc' },
      Tags: [{ Key: 'a', Value: { 'Fn::Join': ['-', [{ Ref: 'Cluster' }, 'x']] } }],
    });
  });
});

describe('Function: planTaskFamilyUnit', () => {
  it('twins each service running the family: request count when a target group is attached, else the queue its environment names', () => {
    // Act
    const plan = planTaskFamilyUnit({
      family: 'orders',
      cluster: 'prod',
      taskDefinition: {
        arn: `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/orders:7`,
        revision: 7,
        containers: [
          {
            name: 'app',
            environment: [
              { name: 'JOBS', value: `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/order-jobs` },
            ],
          },
        ],
      },
      services: [
        {
          name: 'orders-web',
          taskDefinitionArn: `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/orders:7`,
          targetGroupArns: [tgArn('orders')],
          registryArns: [],
        },
        {
          name: 'orders-worker',
          taskDefinitionArn: `arn:aws:ecs:us-east-1:${ACCOUNT}:task-definition/orders:6`,
          targetGroupArns: [],
          registryArns: [],
        },
      ],
      targetGroups: [{ arn: tgArn('orders'), loadBalancerArns: [lbArn('front')] }],
    });

    // Assess
    expect(plan.twins.map((t) => [t.twin.id, t.twin.metrics[0].key])).toEqual([
      ['ecs-prod-orders-web', 'requests'],
      ['ecs-prod-orders-worker', 'queue_depth'],
    ]);
    expect(plan.twins[1].twin.metrics[0].dimensions).toEqual([{ name: 'QueueName', value: 'order-jobs' }]);
    expect(plan.findings[2].notes).toEqual(
      expect.arrayContaining([
        'runs orders:6, not the latest revision 7',
        expect.stringMatching(/^load: queue order-jobs depth .*taken as the consumer/),
      ]),
    );
  });
});
