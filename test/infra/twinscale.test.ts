import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { TwinscaleProps } from '../../infra/lib/config.js';
import { Twinscale } from '../../infra/lib/twinscale.js';
import { ROUTES } from '../../layers/core/api/router.js';

/** The construct in a stack of its own, bundling skipped (the synth test bundles for real). */
function build(props: TwinscaleProps = {}, nag = false) {
  const app = new App({
    outdir: mkdtempSync(join(tmpdir(), 'cdk-')),
    context: { 'aws:cdk:bundling-stacks': [] },
  });
  const stack = new Stack(app, 'Twinscale');
  new Twinscale(stack, 'Twinscale', props);
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

type Statement = { Action: string | string[]; Resource: unknown; Condition?: Record<string, unknown> };
const statements = (t: Template): Statement[] =>
  Object.values(t.findResources('AWS::IAM::Policy')).flatMap(
    (p) =>
      (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
        .Statement,
  );
const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe('Twinscale CDK construct', () => {
  const template = Template.fromStack(build().stack);

  test('the table: on demand, a rotating customer-managed key, PITR, TTL, kept on delete', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: Match.anyValue() },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      DeletionProtectionEnabled: true,
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    });
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  test('one arm64 Node.js 24 function per handler, traced, with the table name and its own log group', () => {
    const fns = template.findResources('AWS::Lambda::Function');
    expect(Object.keys(fns)).toHaveLength(9);
    for (const f of Object.values(fns) as { Properties: Record<string, unknown> }[]) {
      expect(f.Properties).toMatchObject({
        Architectures: ['arm64'],
        Runtime: 'nodejs24.x',
        TracingConfig: { Mode: 'Active' },
        Environment: { Variables: { TABLE_NAME: expect.anything(), MANAGED_TAG_KEY: 'twinscale:managed' } },
        LoggingConfig: { LogGroup: expect.anything() },
      });
    }
    template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 30 }, 14);
  });

  test('the actuator’s concurrency is reserved (and so capped), unless configured off', () => {
    const reserved = Object.values(template.findResources('AWS::Lambda::Function')).flatMap((f) => {
      const n = (f as { Properties: { ReservedConcurrentExecutions?: number } }).Properties
        .ReservedConcurrentExecutions;
      return n === undefined ? [] : [n];
    });
    expect(reserved).toEqual([5]);
    const off = Template.fromStack(build({ actuatorReservedConcurrency: 0 }).stack);
    expect(JSON.stringify(off.toJSON())).not.toContain('ReservedConcurrentExecutions');
  });

  test('no IAM statement allows every action of a service', () => {
    for (const s of statements(template)) for (const a of actions(s)) expect(a).not.toMatch(/(^|:)\*$/);
  });

  test('capacity changes only on resources tagged twinscale:managed=true, by the actuator and remediate only', () => {
    const scalingActions = [
      'autoscaling:SetDesiredCapacity',
      'application-autoscaling:RegisterScalableTarget',
    ];
    const scaling = statements(template).filter((s) => actions(s).some((a) => scalingActions.includes(a)));
    expect(scaling).toHaveLength(4);
    for (const s of scaling)
      expect(s.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/twinscale:managed': 'true' } });
    const scalers = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([, p]) =>
        (
          p as { Properties: { PolicyDocument: { Statement: Statement[] } } }
        ).Properties.PolicyDocument.Statement.some((s) => actions(s).some((a) => scalingActions.includes(a))),
      )
      .map(([id]) => id.replace(/[0-9A-F]{8}$/, ''));
    expect(scalers).toEqual([
      'TwinscaleFunctionsactuatorroleDefaultPolicy',
      'TwinscaleFunctionsremediateroleDefaultPolicy',
    ]);
    const custom = Template.fromStack(build({ managedTagKey: 'team:autoscale' }).stack);
    const conditions = statements(custom).flatMap((s) => (s.Condition ? [s.Condition] : []));
    expect(conditions).toContainEqual({ StringEquals: { 'aws:ResourceTag/team:autoscale': 'true' } });
  });

  test('four state machines from the ASL files: logged, traced, function ARNs substituted', () => {
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 4);
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: { Level: 'ALL', Destinations: Match.anyValue() },
      DefinitionSubstitutions: {
        ListDueTwinsFunctionArn: Match.anyValue(),
        PlanBatchFunctionArn: Match.anyValue(),
        ActuatorFunctionArn: Match.anyValue(),
        RecordFailureFunctionArn: Match.anyValue(),
      },
    });
  });

  test('the collector and forecast-and-plan run every 5 minutes by default, with the scheduled time', () => {
    const schedules = Object.values(template.findResources('AWS::Scheduler::Schedule')) as {
      Properties: { ScheduleExpression: string; Target: { Input: string; DeadLetterConfig: unknown } };
    }[];
    // on the clock, planning a minute after collecting
    expect(schedules.map((s) => s.Properties.ScheduleExpression)).toEqual([
      'cron(0/5 * * * ? *)',
      'cron(1/5 * * * ? *)',
      'cron(0 3 ? * SUN *)',
      'cron(3 * * * ? *)',
    ]);
    for (const s of schedules) {
      expect(JSON.parse(s.Properties.Target.Input)).toMatchObject({ now: '<aws.scheduler.scheduled-time>' });
      expect(s.Properties.Target.DeadLetterConfig).toBeDefined();
    }
    const slower = Template.fromStack(build({ planScheduleMinutes: 15, collectScheduleMinutes: 1 }).stack);
    slower.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(1/15 * * * ? *)' });
    slower.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(0/1 * * * ? *)' });
    // cron has no 0/60: hourly is a minute past each hour; a period that does not divide an hour is a rate
    const hourly = Template.fromStack(build({ planScheduleMinutes: 60, collectScheduleMinutes: 7 }).stack);
    hourly.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(1 * * * ? *)' });
    hourly.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(7 minutes)' });
  });

  test('the weekly policy search starts the optimize workflow on every twin, unless turned off', () => {
    const weekly = Object.values(template.findResources('AWS::Scheduler::Schedule')).find(
      (s) =>
        (s as { Properties: { ScheduleExpression: string } }).Properties.ScheduleExpression ===
        'cron(0 3 ? * SUN *)',
    ) as { Properties: { Target: { Arn: unknown; Input: string } } };
    expect(JSON.stringify(weekly.Properties.Target.Arn)).toMatch(/Workflowsoptimize/);
    // no twinId: the workflow lists every twin and maps over them
    expect(JSON.parse(weekly.Properties.Target.Input)).toEqual({ now: '<aws.scheduler.scheduled-time>' });
    const off = Template.fromStack(build({ weeklyOptimization: false }).stack);
    off.resourceCountIs('AWS::Scheduler::Schedule', 3);
  });

  test('alarms on errors, throttles, failed executions and failed actuations, to an encrypted topic', () => {
    // one alarm per kind, summing every function's or workflow's metric (alarms cost $0.10 a month each)
    template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
    const sums = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter(
      (a) => (a as { Properties: { Metrics?: unknown[] } }).Properties.Metrics?.length,
    ) as {
      Properties: { AlarmDescription: string; Metrics: { Expression?: string; MetricStat?: unknown }[] };
    }[];
    const byDescription = (re: RegExp) => sums.find((a) => re.test(a.Properties.AlarmDescription));
    for (const [re, n] of [
      [/a function failed/, 9],
      [/throttled/, 9],
      [/an execution failed/, 4],
    ] as const) {
      const metrics = byDescription(re)?.Properties.Metrics ?? [];
      expect(metrics.filter((m) => m.MetricStat)).toHaveLength(n);
      expect(metrics.find((m) => m.Expression)?.Expression).toBe(
        Array.from({ length: n }, (_, i) => `FILL(m${i}, 0)`).join(' + '),
      );
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'actuationsFailed',
      Namespace: 'Twinscale',
      AlarmActions: [Match.anyValue()],
    });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    const withEmail = Template.fromStack(build({ alarmEmail: 'oncall@example.com' }).stack);
    withEmail.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
  });

  test('the API: every route of the router, IAM-authorized, validated, throttled, access-logged and traced', () => {
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')) as {
      Properties: { HttpMethod: string; AuthorizationType: string; RequestValidatorId?: unknown };
    }[];
    expect(methods).toHaveLength(ROUTES.length + 1);
    for (const m of methods) {
      expect(m.Properties.AuthorizationType).toBe('AWS_IAM');
      expect(m.Properties.RequestValidatorId).toBeDefined();
    }
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestBody: true,
      ValidateRequestParameters: true,
    });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      RequestModels: { 'application/json': Match.anyValue() },
      RequestParameters: { 'method.request.path.id': true },
    });
    template.hasResourceProperties('AWS::ApiGateway::Model', {
      Name: 'POSTtwins',
      Schema: Match.objectLike({
        required: Match.arrayWith(['id', 'target', 'metrics']),
        additionalProperties: false,
      }),
    });
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      TracingEnabled: true,
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      MethodSettings: [
        Match.objectLike({ ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40, LoggingLevel: 'ERROR' }),
      ],
    });
    // the API starts and reads only the what-if workflows and remediate, never the loop's
    const apiPolicy = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([id]) =>
      id.startsWith('TwinscaleFunctionsapirole'),
    );
    expect(apiPolicy).toHaveLength(1);
    const starts = (
      apiPolicy[0][1] as { Properties: { PolicyDocument: { Statement: Statement[] } } }
    ).Properties.PolicyDocument.Statement.filter((st) => actions(st).includes('states:StartExecution'));
    expect(JSON.stringify(starts)).toMatch(/scenario/);
    expect(JSON.stringify(starts)).toMatch(/optimize/);
    expect(JSON.stringify(starts)).toMatch(/Workflowsremediate/);
    expect(JSON.stringify(starts)).not.toMatch(/forecastandplan/);
  });

  test('context strings are read as the settings they name: -c discovery=false turns discovery off', () => {
    const off = Template.fromStack(build({ discovery: 'false' } as unknown as TwinscaleProps).stack);
    off.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ DISCOVERY: 'false' }) },
    });
  });

  test('the collector reads utilization hourly by default, as often as the setting says otherwise', () => {
    const collector = (t: Template) =>
      Object.values(t.findResources('AWS::Lambda::Function')).find((f) =>
        String((f as { Properties: { Description?: string } }).Properties.Description).includes('collector'),
      ) as { Properties: { Environment: { Variables: Record<string, string> } } };
    expect(collector(template).Properties.Environment.Variables.UTILIZATION_EVERY_MINUTES).toBe('60');
    const often = Template.fromStack(build({ utilizationEveryMinutes: 15 }).stack);
    expect(collector(often).Properties.Environment.Variables.UTILIZATION_EVERY_MINUTES).toBe('15');
  });

  test('CloudWatch may use the key to publish alarms to the encrypted topic', () => {
    const key = Object.values(template.findResources('AWS::KMS::Key'))[0] as {
      Properties: { KeyPolicy: { Statement: { Principal?: { Service?: string }; Action: string[] }[] } };
    };
    const cloudwatch = key.Properties.KeyPolicy.Statement.find(
      (s) => s.Principal?.Service === 'cloudwatch.amazonaws.com',
    );
    expect(cloudwatch?.Action).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']));
  });

  test('a bad setting stops the build with the field and what it accepts', () => {
    expect(() => build({ planScheduleMinutes: 0 })).toThrow(/planScheduleMinutes: .*>=1/);
    expect(() => build({ retentionDays: 7 })).toThrow('retentionDays');
    expect(() => build({ alarmEmail: 'not-an-email' })).toThrow('alarmEmail');
    expect(() => build({ remediateEveryMinutes: 10 })).toThrow(
      /remediateEveryMinutes: 0 \(off\) or 15 to 1440/,
    );
  });

  test('cdk-nag AwsSolutions: no unacknowledged finding, and every acknowledgement has a reason', () => {
    const { app } = build({}, true);
    expect(() => app.synth()).not.toThrow();
    const acks = app.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acks.length).toBeGreaterThan(0);
    for (const [id, reason] of acks) {
      expect(id).toMatch(/^AwsSolutions::AwsSolutions-/);
      expect(reason.length).toBeGreaterThan(20);
    }
  });

  test('cdk-nag fails the synth on a finding nobody acknowledged', () => {
    const { app, stack } = build({}, true);
    new Role(stack, 'Careless', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') }).addToPolicy(
      new PolicyStatement({ actions: ['dynamodb:GetItem'], resources: ['*'] }),
    );
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5\[Resource::\*\]/);
  });

  test('the collector’s failed asynchronous invocations go to the encrypted dead-letter queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
      MaximumRetryAttempts: 2,
    });
    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: Match.anyValue() });
    expect(readFileSync(join(import.meta.dirname, '../../cdk.json'), 'utf8')).toContain('infra/bin/app.ts');
  });

  test('drift alerts: the planner may put events on the default bus only, and a rule sends them to the alarm topic', () => {
    const putEvents = statements(template).filter((s) => actions(s).includes('events:PutEvents'));
    expect(putEvents).toHaveLength(1);
    expect(JSON.stringify(putEvents[0].Resource)).toMatch(/:event-bus\/default"/);
    const rules = Object.values(template.findResources('AWS::Events::Rule')).filter(
      (r) =>
        (r as { Properties: { EventPattern?: { source?: string[] } } }).Properties.EventPattern
          ?.source?.[0] === 'twinscale',
    ) as { Properties: { EventPattern: unknown; EventBusName?: string; Targets: { Arn: unknown }[] } }[];
    expect(rules).toHaveLength(1);
    expect(rules[0].Properties.EventPattern).toEqual({
      source: ['twinscale'],
      'detail-type': ['Twinscale drift'],
    });
    expect(rules[0].Properties.EventBusName ?? 'default').toBe('default');
    const topic = Object.keys(template.findResources('AWS::SNS::Topic'))[0];
    expect(rules[0].Properties.Targets).toEqual([expect.objectContaining({ Arn: { Ref: topic } })]);
    const key = Object.values(template.findResources('AWS::KMS::Key'))[0] as {
      Properties: { KeyPolicy: { Statement: { Principal?: { Service?: string }; Action: string[] }[] } };
    };
    const events = key.Properties.KeyPolicy.Statement.find(
      (s) => s.Principal?.Service === 'events.amazonaws.com',
    );
    expect(events?.Action).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']));
  });
  /** The statements of one role's policy, by the role's construct id (`api`, `remediate`, …). */
  const roleStatements = (t: Template, fn: string): Statement[] =>
    Object.entries(t.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith(`TwinscaleFunctions${fn.replace(/-/g, '')}role`))
      .flatMap(
        ([, p]) =>
          (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
            .Statement,
      );

  test('the remediate function: its own settings, the table, describe calls, and notices to the alarm topic only', () => {
    const remediate = Object.values(template.findResources('AWS::Lambda::Function')).find((f) =>
      String((f as { Properties: { Description?: string } }).Properties.Description).startsWith(
        'Twinscale remediate:',
      ),
    ) as {
      Properties: {
        MemorySize: number;
        Timeout: number;
        Environment: { Variables: Record<string, unknown> };
      };
    };
    expect(remediate.Properties).toMatchObject({ MemorySize: 512, Timeout: 900 });
    const topic = Object.keys(template.findResources('AWS::SNS::Topic'))[0];
    expect(remediate.Properties.Environment.Variables.ALERT_TOPIC_ARN).toEqual({ Ref: topic });
    const own = roleStatements(template, 'remediate');
    const publish = own.filter((s) => actions(s).includes('sns:Publish'));
    expect(publish).toEqual([expect.objectContaining({ Resource: { Ref: topic } })]);
    // the topic is encrypted: publishing needs the key's data keys
    expect(own.flatMap(actions)).toEqual(
      expect.arrayContaining(['kms:GenerateDataKey*', 'dynamodb:PutItem']),
    );
    expect(own.flatMap(actions)).toContain('autoscaling:DescribeAutoScalingGroups');
    // no one else publishes to the topic directly (alarms and the drift rule go through their services)
    const publishers = statements(template).filter((s) => actions(s).includes('sns:Publish'));
    expect(publishers).toHaveLength(1);
  });

  test('the remediate machine from remediate.asl.json, its role invoking the remediate function (waitForTaskToken too)', () => {
    const machines = template.findResources('AWS::StepFunctions::StateMachine');
    const machine = Object.entries(machines).find(([k]) =>
      k.startsWith('TwinscaleWorkflowsremediate'),
    )?.[1] as {
      Properties: { DefinitionSubstitutions: Record<string, unknown>; RoleArn: unknown };
    };
    expect(Object.keys(machine.Properties.DefinitionSubstitutions)).toEqual(['RemediateFunctionArn']);
    expect(JSON.stringify(machine.Properties.DefinitionSubstitutions.RemediateFunctionArn)).toMatch(
      /TwinscaleFunctionsremediate/,
    );
    const role = (machine.Properties.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const invoke = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) =>
        JSON.stringify((p as { Properties: { Roles: unknown } }).Properties.Roles).includes(role),
      )
      .flatMap(
        (p) =>
          (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument
            .Statement,
      )
      .filter((s) => actions(s).includes('lambda:InvokeFunction'));
    expect(invoke).toHaveLength(1);
    // the function and its versions: the direct Lambda tasks and the approval task's lambda:invoke
    expect(JSON.stringify(invoke[0].Resource)).toMatch(
      /TwinscaleFunctionsremediate.*TwinscaleFunctionsremediate.*:\*/,
    );
  });

  test('the API starts, reads and answers remediate runs: StartExecution on its machine, SendTaskSuccess (no resource ARN exists)', () => {
    const own = roleStatements(template, 'api');
    const start = own.filter((s) => actions(s).includes('states:StartExecution'));
    expect(JSON.stringify(start)).toMatch(/TwinscaleWorkflowsremediate/);
    const describe = own.filter((s) => actions(s).includes('states:DescribeExecution'));
    expect(JSON.stringify(describe)).toMatch(/TwinscaleWorkflowsremediate/);
    expect(own.filter((s) => actions(s).includes('states:SendTaskSuccess'))).toEqual([
      expect.objectContaining({ Action: 'states:SendTaskSuccess', Resource: '*' }),
    ]);
    const api = Object.values(template.findResources('AWS::Lambda::Function')).find((f) =>
      String((f as { Properties: { Description?: string } }).Properties.Description).startsWith(
        'Twinscale api:',
      ),
    ) as { Properties: { Environment: { Variables: Record<string, unknown> } } };
    expect(JSON.stringify(api.Properties.Environment.Variables.REMEDIATE_STATE_MACHINE_ARN)).toMatch(
      /TwinscaleWorkflowsremediate/,
    );
  });

  test('the API reads deployable units (POST /units), read-only: CloudFormation, ECS and target groups, nothing it could change', () => {
    const reads = roleStatements(template, 'api').filter((s) =>
      actions(s).includes('cloudformation:GetTemplate'),
    );
    expect(reads).toEqual([expect.objectContaining({ Resource: '*' })]);
    expect(actions(reads[0]).sort()).toEqual([
      'cloudformation:DescribeStacks',
      'cloudformation:GetTemplate',
      'cloudformation:ListStackResources',
      'ecs:DescribeServices',
      'ecs:DescribeTaskDefinition',
      'ecs:ListServices',
      'elasticloadbalancing:DescribeTargetGroups',
    ]);
  });

  test('remediate runs hourly by default, approval required, at the scheduled time; every N minutes as set; 0 turns it off', () => {
    const remediateSchedule = (t: Template) =>
      Object.values(t.findResources('AWS::Scheduler::Schedule')).find((s) =>
        JSON.stringify((s as { Properties: { Target: { Arn: unknown } } }).Properties.Target.Arn).includes(
          'Workflowsremediate',
        ),
      ) as { Properties: { ScheduleExpression: string; Target: { Input: string } } } | undefined;
    const hourly = remediateSchedule(template);
    expect(hourly?.Properties.ScheduleExpression).toBe('cron(3 * * * ? *)');
    expect(JSON.parse(hourly?.Properties.Target.Input ?? '{}')).toEqual({
      approval: 'required',
      now: '<aws.scheduler.scheduled-time>',
    });
    for (const [minutes, expression] of [
      [15, 'cron(3/15 * * * ? *)'],
      [120, 'cron(3 0/2 * * ? *)'],
      [1440, 'cron(3 0 * * ? *)'],
      [90, 'rate(90 minutes)'],
    ] as const)
      expect(
        remediateSchedule(Template.fromStack(build({ remediateEveryMinutes: minutes }).stack))?.Properties
          .ScheduleExpression,
      ).toBe(expression);
    const off = Template.fromStack(build({ remediateEveryMinutes: 0 }).stack);
    expect(remediateSchedule(off)).toBeUndefined();
    off.resourceCountIs('AWS::Scheduler::Schedule', 3);
  });

  test('applying capacity plans is off by default; on, the API may only invoke the actuator, which may update managed groups and launch from their templates', () => {
    const updates = (t: Template) =>
      statements(t).filter((st) => [st.Action].flat().includes('autoscaling:UpdateAutoScalingGroup'));
    expect(updates(template)).toEqual([]);
    expect(JSON.stringify(roleStatements(template, 'api'))).not.toMatch(/lambda:InvokeFunction/);

    const { app, stack } = build({ capacityPlanApply: true }, true);
    expect(() => app.synth()).not.toThrow();
    const on = Template.fromStack(stack);
    const actuator = roleStatements(on, 'actuator');
    const update = actuator.find((st) => [st.Action].flat().includes('autoscaling:UpdateAutoScalingGroup'));
    expect(update?.Condition).toEqual({
      StringEquals: { 'aws:ResourceTag/twinscale:managed': 'true' },
    });
    const launch = actuator.find((st) => [st.Action].flat().includes('ec2:RunInstances'));
    expect(launch?.Condition).toMatchObject({ Bool: { 'ec2:IsLaunchTemplateResource': 'true' } });
    const pass = actuator.find((st) => [st.Action].flat().includes('iam:PassRole'));
    expect(pass?.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } });
    // only the actuator gets them: the API invokes it, and holds no scaling right itself
    expect(updates(on)).toHaveLength(1);
    const api = roleStatements(on, 'api');
    expect(JSON.stringify(api)).toMatch(/lambda:InvokeFunction/);
    expect(JSON.stringify(api)).not.toMatch(/autoscaling:(Update|SetDesired)/);
    const apiFn = Object.values(on.findResources('AWS::Lambda::Function')).find((f) =>
      String((f as { Properties: { Description?: string } }).Properties.Description).startsWith(
        'Twinscale api:',
      ),
    ) as { Properties: { Environment: { Variables: Record<string, unknown> } } };
    expect(apiFn.Properties.Environment.Variables.ACTUATOR_FUNCTION_NAME).toBeDefined();
    // the tenant tag is a deployment setting the API is told of
    expect(apiFn.Properties.Environment.Variables.TENANT_TAG_KEY).toBe('twinscale:tenant');
  });
});
