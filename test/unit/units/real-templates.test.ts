import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as patterns from 'aws-cdk-lib/aws-ecs-patterns';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Twinscale } from '../../../infra/lib/twinscale.js';
import { planTemplateUnit } from '../../../layers/core/units/template-units.js';
import type { CfnTemplate } from '../../../layers/core/units/template-values.js';

const newApp = () =>
  new App({ outdir: mkdtempSync(join(tmpdir(), 'cdk-units-')), context: { 'aws:cdk:bundling-stacks': [] } });

/**
 * A shop as teams build it with the CDK: an API and a web front (ApplicationLoadBalancedFargateService),
 * the front calling the API through its load balancer's DNS name and its Cloud Map name, the API
 * sending orders to a queue a worker consumes (QueueProcessingFargateService), a cron service with
 * nothing in front of it, and an EC2 fleet behind its own ALB.
 */
function shopTemplate(stackName = 'Shop'): CfnTemplate {
  const stack = new Stack(newApp(), stackName, { env: { account: '123456789012', region: 'us-east-1' } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
  cluster.addDefaultCloudMapNamespace({ name: 'shop.local' });
  const orders = new sqs.Queue(stack, 'Orders');
  const carts = new dynamodb.Table(stack, 'Carts', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
  });
  const api = new patterns.ApplicationLoadBalancedFargateService(stack, 'Api', {
    cluster,
    taskImageOptions: {
      image: ecs.ContainerImage.fromRegistry('shop/api'),
      environment: { ORDERS_QUEUE: orders.queueUrl, CARTS: carts.tableName },
    },
    cloudMapOptions: { name: 'api' },
  });
  orders.grantSendMessages(api.taskDefinition.taskRole);
  carts.grantReadWriteData(api.taskDefinition.taskRole);
  new patterns.ApplicationLoadBalancedFargateService(stack, 'Web', {
    cluster,
    taskImageOptions: {
      image: ecs.ContainerImage.fromRegistry('shop/web'),
      environment: {
        API_URL: `http://${api.loadBalancer.loadBalancerDnsName}`,
        API_INTERNAL: 'http://api.shop.local:80',
      },
    },
  });
  new patterns.QueueProcessingFargateService(stack, 'Worker', {
    cluster,
    queue: orders,
    image: ecs.ContainerImage.fromRegistry('shop/worker'),
  });
  const cron = new ecs.FargateTaskDefinition(stack, 'CronTask');
  cron.addContainer('cron', { image: ecs.ContainerImage.fromRegistry('shop/cron') });
  new ecs.FargateService(stack, 'Cron', { cluster, taskDefinition: cron });
  const fleet = new autoscaling.AutoScalingGroup(stack, 'Fleet', {
    vpc,
    instanceType: new ec2.InstanceType('t3.micro'),
    machineImage: ec2.MachineImage.latestAmazonLinux2023(),
  });
  const alb = new elbv2.ApplicationLoadBalancer(stack, 'FleetLb', { vpc, internetFacing: true });
  alb.addListener('Http', { port: 80 }).addTargets('Fleet', { port: 80, targets: [fleet] });
  return Template.fromStack(stack).toJSON() as CfnTemplate;
}

const logicalId = (t: CfnTemplate, type: string, prefix: string) => {
  const id = Object.keys(t.Resources ?? {}).find(
    (k) => t.Resources?.[k].Type === type && k.startsWith(prefix),
  );
  if (!id) throw new Error(`no ${type} ${prefix}* in the template`);
  return id;
};

describe('Function: planTemplateUnit on synthesized CDK templates', () => {
  it("finds no scalable resources in Twinscale's own stack (Lambda functions, state machines, a table), and says why", () => {
    // Prepare
    const stack = new Stack(newApp(), 'Twinscale');
    new Twinscale(stack, 'Twinscale', {});
    const template = Template.fromStack(stack).toJSON() as CfnTemplate;

    // Act
    const plan = planTemplateUnit({ unit: 'Twinscale', kind: 'template', template });

    // Assess
    expect(plan.twins).toEqual([]);
    expect(plan.edges).toEqual([]);
    expect(plan.findings).toHaveLength(1);
    const [unit] = plan.findings;
    expect(unit.notes[0]).toMatch(/^read \d+ resources: 0 Auto Scaling groups, 0 ECS services$/);
    expect(unit.notes[1]).toMatch(/^not scalable by Twinscale: .*\d+ AWS::Lambda::Function/);
    expect(unit.notes).toContain('AWS::Lambda::Function: Lambda functions scale per request on their own');
    expect(unit.warnings[0]).toMatch(/^no scalable resources found/);
  });

  it('finds the five fleets of a CDK shop (ecs-patterns services, a queue worker, a cron service, an ASG), their loads and their calls', () => {
    // Prepare
    const template = shopTemplate();
    const id = (type: string, prefix: string) => logicalId(template, type, prefix);

    // Act
    const plan = planTemplateUnit({ unit: 'Shop', kind: 'template', template });

    // Assess: each fleet with its load metric
    const loadOf = (prefix: string) =>
      plan.twins.find((t) => t.resource.startsWith(prefix))?.twin.metrics.find((m) => m.role === 'load');
    expect(plan.twins).toHaveLength(5);
    expect(loadOf('ApiService')).toMatchObject({ metricName: 'RequestCount' });
    expect(loadOf('WebService')).toMatchObject({ metricName: 'RequestCount' });
    expect(loadOf('WorkerQueueProcessing')).toMatchObject({
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: [{ name: 'QueueName', value: id('AWS::SQS::Queue', 'Orders') }],
    });
    expect(loadOf('CronService')).toMatchObject({ key: 'cpu_load', metricName: 'CPUUtilization' });
    expect(loadOf('FleetASG')).toMatchObject({ metricName: 'RequestCount' });
    // the calls: web → api (load balancer DNS name, and its Cloud Map name), api → worker (the queue)
    const twinOf = (prefix: string) => plan.twins.find((t) => t.resource.startsWith(prefix))?.twin.id;
    expect(plan.edges.map((e) => [e.from, e.to])).toEqual(
      expect.arrayContaining([
        [twinOf('WebService'), twinOf('ApiService')],
        [twinOf('ApiService'), twinOf('WorkerQueueProcessing')],
      ]),
    );
    expect(plan.edges).toHaveLength(2);
    expect(plan.edges.find((e) => e.from === twinOf('WebService'))?.reason).toMatch(
      /names load balancer ApiLB.*; .*names api\.shop\.local, its Cloud Map name/,
    );
    // what the api depends on, from its task role and environment
    expect(plan.findings.find((f) => f.resource.startsWith('ApiService'))?.notes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^depends on: queue Orders\w+ \(sends to it: SendMessage, from its task role\)/,
        ),
        expect.stringMatching(/^depends on: table Carts\w+/),
      ]),
    );
    // a synthesized template names none of them: shown, not created
    expect(plan.twins.every((t) => !t.resolved)).toBe(true);
  });

  it('resolves the shop once it is given the names CloudFormation chose', () => {
    // Prepare
    const template = shopTemplate();
    const id = (type: string, prefix: string) => logicalId(template, type, prefix);
    const arn = 'arn:aws:elasticloadbalancing:us-east-1:123456789012';
    const names = {
      [id('AWS::ECS::Cluster', 'Cluster')]: 'shop',
      [id('AWS::ECS::Service', 'WorkerQueueProcessing')]: 'shop-worker',
      [id('AWS::SQS::Queue', 'Orders')]: 'https://sqs.us-east-1.amazonaws.com/123456789012/shop-orders',
      [id('AWS::AutoScaling::AutoScalingGroup', 'FleetASG')]: 'shop-fleet',
      [id('AWS::ElasticLoadBalancingV2::TargetGroup', 'FleetLb')]: `${arn}:targetgroup/fleet/1`,
      [id('AWS::ElasticLoadBalancingV2::LoadBalancer', 'FleetLb')]: `${arn}:loadbalancer/app/fleet-lb/2`,
    };

    // Act
    const plan = planTemplateUnit({ unit: 'Shop', kind: 'template', template, physicalIds: names });

    // Assess
    const resolved = plan.twins.filter((t) => t.resolved).map((t) => t.twin.id);
    expect(resolved.sort()).toEqual(['asg-shop-fleet', 'ecs-shop-shop-worker']);
    expect(plan.twins.find((t) => t.twin.id === 'ecs-shop-shop-worker')?.twin.metrics[0].dimensions).toEqual([
      { name: 'QueueName', value: 'shop-orders' },
    ]);
  });

  test('each twin gets a cold-start family that is the same in every environment the unit is deployed to', () => {
    const families = (stackName: string) =>
      planTemplateUnit({ unit: stackName, kind: 'template', template: shopTemplate(stackName) }).twins.map(
        (t) => [t.resource, t.twin.family],
      );
    const prod = families('ShopProd');
    const staging = families('ShopStaging');
    expect(prod).toHaveLength(5);
    expect(staging).toEqual(prod);
    // one family per fleet, named by its place in the app, not by the stack
    expect(new Set(prod.map(([, f]) => f)).size).toBe(5);
    for (const [, f] of prod) expect(f).toMatch(/^unit:(Api|Web|Worker|Cron|Fleet)/);
  });
});
