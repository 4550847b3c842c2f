import { join } from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { TwinscaleConfig } from './config.js';
import { acknowledge, arnToken, REASONS } from './nag-acknowledgements.js';

const ROOT = join(import.meta.dirname, '..', '..');

/**
 * One Lambda per handler folder, each with its own settings. The forecast-and-plan tasks' timeouts
 * match their states' in the ASL file, which fit Express children's 5 minutes with the retries.
 */
const HANDLERS = {
  collector: {
    memory: 512,
    timeout: 240,
    description: 'registers tagged services, collects CloudWatch metrics',
  },
  'list-due-twins': { memory: 256, timeout: 60, description: 'forecast-and-plan: the twins to decide for' },
  'plan-batch': { memory: 1024, timeout: 60, description: 'forecast-and-plan: forecast and plan a batch' },
  actuator: { memory: 256, timeout: 15, description: 'sets capacity of tagged groups and services' },
  'record-failure': {
    memory: 256,
    timeout: 10,
    description: 'forecast-and-plan: a failed batch, on its twins',
  },
  scenario: { memory: 1024, timeout: 900, description: 'a what-if on one twin' },
  optimize: { memory: 2048, timeout: 900, description: 'a policy search on one twin' },
  // the list step evaluates every twin's policies in one invocation (remediate.asl.json gives it
  // 900 s; its other steps 120 s or less)
  remediate: {
    memory: 512,
    timeout: 900,
    description: 'policy violations: evaluate, ask a person, remediate, record each step',
  },
  // API Gateway waits 29 s for an integration
  api: { memory: 1024, timeout: 29, description: 'the HTTP API behind API Gateway' },
} as const;
export type HandlerName = Exclude<keyof typeof HANDLERS, 'api'>;

export interface TwinFunctionsProps {
  table: ITable;
  key: IKey;
  config: TwinscaleConfig;
}

/**
 * The handlers, bundled by the local esbuild (no Docker) into ESM for arm64 on Node.js 24. Each
 * gets the table's name and only the permissions its own calls need.
 */
export class TwinFunctions extends Construct {
  readonly fn: Record<HandlerName, NodejsFunction>;

  constructor(
    scope: Construct,
    id: string,
    private readonly p: TwinFunctionsProps,
  ) {
    super(scope, id);
    const make = (name: HandlerName, schedule: number, reserved?: number) =>
      this.make(name, schedule, reserved);
    const c = p.config;
    this.fn = {
      collector: this.make('collector', c.collectScheduleMinutes, undefined, {
        UTILIZATION_EVERY_MINUTES: String(c.utilizationEveryMinutes),
      }),
      'list-due-twins': make('list-due-twins', c.planScheduleMinutes),
      'plan-batch': make('plan-batch', c.planScheduleMinutes),
      actuator: make('actuator', c.planScheduleMinutes, c.actuatorReservedConcurrency || undefined),
      'record-failure': make('record-failure', c.planScheduleMinutes),
      scenario: make('scenario', c.planScheduleMinutes),
      optimize: make('optimize', c.planScheduleMinutes),
      remediate: make('remediate', c.planScheduleMinutes),
    };
    this.grant(p);
    this.acknowledgeFindings(p);
  }

  /** A handler's function: bundled, on arm64, with its own role and log group. */
  make(
    name: keyof typeof HANDLERS,
    schedule: number,
    reservedConcurrentExecutions?: number,
    environment: Record<string, string> = {},
  ): NodejsFunction {
    const p = this.p;
    const h = HANDLERS[name];
    const logGroup = new LogGroup(this, `${name}-logs`, {
      retention: p.config.logRetentionDays as RetentionDays,
    });
    // Its own role, not AWSLambdaBasicExecutionRole: logs to its own log group and nothing else.
    const role = new Role(this, `${name}-role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    });
    logGroup.grantWrite(role);
    return new NodejsFunction(this, name, {
      role,
      reservedConcurrentExecutions,
      entry: join(ROOT, 'functions', name, 'handler.ts'),
      handler: 'handler',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: h.memory,
      timeout: Duration.seconds(h.timeout),
      description: `Twinscale ${name}: ${h.description}`,
      tracing: Tracing.ACTIVE,
      logGroup,
      environment: {
        TABLE_NAME: p.table.tableName,
        RETENTION_DAYS: String(p.config.retentionDays),
        SCHEDULE_MINUTES: String(schedule),
        MANAGED_TAG_KEY: p.config.managedTagKey,
        DEFAULT_MODE: p.config.defaultMode,
        DISCOVERY: String(p.config.discovery),
        POWERTOOLS_SERVICE_NAME: `twinscale-${name}`,
        POWERTOOLS_METRICS_NAMESPACE: 'Twinscale',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
        ...environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        minify: true,
        sourceMap: true,
        mainFields: ['module', 'main'],
        // ESM output still meets CommonJS dependencies that call require
        banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
        forceDockerBundling: false,
      },
    });
  }

  private acknowledgeFindings(p: TwinFunctionsProps): void {
    for (const [name, fn] of Object.entries(this.fn)) {
      const role = fn.role as Role;
      acknowledge(role, 'IAM5[Resource::*]', REASONS.noResourceArn);
      acknowledge(role, `IAM5[Resource::${arnToken(p.table)}/index/*]`, REASONS.tableIndex);
      if (name !== 'list-due-twins') {
        acknowledge(role, 'IAM5[Action::kms:ReEncrypt*]', REASONS.tableKey);
        acknowledge(role, 'IAM5[Action::kms:GenerateDataKey*]', REASONS.tableKey);
      }
    }
  }

  private grant(p: TwinFunctionsProps): void {
    const f = this.fn;
    p.table.grantReadData(f['list-due-twins']);
    for (const name of [
      'collector',
      'plan-batch',
      'actuator',
      'record-failure',
      'scenario',
      'optimize',
      'remediate',
    ] as const)
      p.table.grantReadWriteData(f[name]);

    // Describe and list calls take no resource: AWS allows only "*" for them.
    const describe = (actions: string[]) => new PolicyStatement({ actions, resources: ['*'] });
    f.collector.addToRolePolicy(
      describe([
        'cloudwatch:GetMetricData',
        'autoscaling:DescribeAutoScalingGroups',
        'ecs:ListClusters',
        'ecs:ListServices',
        'ecs:DescribeServices',
        'elasticloadbalancing:DescribeTargetGroups',
      ]),
    );
    const targets = describe([
      'autoscaling:DescribeAutoScalingGroups',
      'ecs:DescribeServices',
      'application-autoscaling:DescribeScalableTargets',
    ]);
    f['plan-batch'].addToRolePolicy(targets);
    f.actuator.addToRolePolicy(targets);
    f.remediate.addToRolePolicy(targets);

    const { account, region, partition } = Stack.of(this);
    // Drift alerts: events on the account's default bus only (observability.ts routes them to SNS)
    f['plan-batch'].addToRolePolicy(
      new PolicyStatement({
        actions: ['events:PutEvents'],
        resources: [`arn:${partition}:events:${region}:${account}:event-bus/default`],
      }),
    );

    // the actuator, and the remediate workflow's scale remediations through the same actuation
    this.allowTaggedScaling(f.actuator);
    this.allowTaggedScaling(f.remediate);
  }

  /** Only on resources carrying the managed tag: IAM enforces what the actuation checks. */
  private get tagged() {
    return { StringEquals: { [`aws:ResourceTag/${this.p.config.managedTagKey}`]: 'true' } };
  }

  /**
   * Applying a capacity plan's weights to mixed-instances groups (`capacityPlanApply`): the
   * actuator may update a managed group's overrides and desired capacity. Auto Scaling checks
   * that the caller may launch from the group's launch template, so RunInstances is allowed only
   * for what a launch template specifies, and PassRole only towards EC2 (the template's instance
   * profile). Off by default: it is more than setting a desired capacity.
   */
  allowMixedInstances(fn: NodejsFunction): void {
    const { account, region, partition } = Stack.of(this);
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['autoscaling:UpdateAutoScalingGroup'],
        resources: [
          `arn:${partition}:autoscaling:${region}:${account}:autoScalingGroup:*:autoScalingGroupName/*`,
        ],
        conditions: this.tagged,
      }),
    );
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['ec2:RunInstances'],
        resources: ['*'],
        conditions: {
          ArnLike: { 'ec2:LaunchTemplate': `arn:${partition}:ec2:${region}:${account}:launch-template/*` },
          Bool: { 'ec2:IsLaunchTemplateResource': 'true' },
        },
      }),
    );
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['iam:PassRole'],
        resources: ['*'],
        conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      }),
    );
  }

  /**
   * Capacity changes only on resources carrying the managed tag: IAM enforces what the actuation
   * checks. The one place the condition is written, for every function that scales.
   */
  private allowTaggedScaling(fn: NodejsFunction): void {
    const { account, region, partition } = Stack.of(this);
    const tagged = this.tagged;
    const groups = 'autoScalingGroup:*:autoScalingGroupName/*';
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['autoscaling:SetDesiredCapacity'],
        resources: [`arn:${partition}:autoscaling:${region}:${account}:${groups}`],
        conditions: tagged,
      }),
    );
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['application-autoscaling:RegisterScalableTarget'],
        resources: [`arn:${partition}:application-autoscaling:${region}:${account}:scalable-target/*`],
        conditions: tagged,
      }),
    );
    const role = fn.role as Role;
    const at = 'arn:<AWS::Partition>:autoscaling:<AWS::Region>:<AWS::AccountId>';
    acknowledge(role, `IAM5[Resource::${at}:${groups}]`, REASONS.taggedOnly);
    acknowledge(
      role,
      `IAM5[Resource::arn:<AWS::Partition>:application-autoscaling:<AWS::Region>:<AWS::AccountId>:scalable-target/*]`,
      REASONS.taggedOnly,
    );
  }
}
