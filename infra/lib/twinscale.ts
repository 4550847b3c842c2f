import { Duration } from 'aws-cdk-lib';
import type { Role } from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { TwinApi } from './api.js';
import { type TwinscaleConfig, TwinscaleConfigSchema, type TwinscaleProps } from './config.js';
import { TwinData } from './data.js';
import { TwinFunctions } from './functions.js';
import { acknowledge, arnToken, REASONS } from './nag-acknowledgements.js';
import { TwinObservability } from './observability.js';
import { TwinSchedules } from './schedules.js';
import { TwinWorkflows } from './workflows.js';

/**
 * The whole Twinscale loop in a few lines of another CDK app:
 *
 * ```ts
 * new Twinscale(stack, 'Twinscale', { planScheduleMinutes: 5, alarmEmail: 'oncall@example.com' });
 * ```
 */
export class Twinscale extends Construct {
  readonly config: TwinscaleConfig;
  readonly data: TwinData;
  readonly functions: TwinFunctions;
  readonly workflows: TwinWorkflows;
  readonly api: TwinApi;
  readonly observability: TwinObservability;

  constructor(scope: Construct, id: string, props: TwinscaleProps = {}) {
    super(scope, id);
    const parsed = TwinscaleConfigSchema.safeParse(props);
    if (!parsed.success)
      throw new Error(
        `Twinscale: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    this.config = parsed.data;
    this.data = new TwinData(this, 'Data');
    this.functions = new TwinFunctions(this, 'Functions', {
      table: this.data.table,
      key: this.data.key,
      config: this.config,
    });
    const fn = this.functions.fn;

    const deadLetters = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: this.data.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(deadLetters, 'SQS3', REASONS.isDeadLetterQueue);
    // the collector is the one function invoked asynchronously (by the scheduler)
    fn.collector.configureAsyncInvoke({ onFailure: new SqsDestination(deadLetters), retryAttempts: 2 });

    this.workflows = new TwinWorkflows(this, 'Workflows', {
      config: this.config,
      functions: {
        ListDueTwinsFunctionArn: fn['list-due-twins'],
        PlanBatchFunctionArn: fn['plan-batch'],
        ActuatorFunctionArn: fn.actuator,
        RecordFailureFunctionArn: fn['record-failure'],
        ScenarioFunctionArn: fn.scenario,
        OptimizeFunctionArn: fn.optimize,
        RemediateFunctionArn: fn.remediate,
      },
    });
    new TwinSchedules(this, 'Schedules', {
      config: this.config,
      collector: fn.collector,
      forecastAndPlan: this.workflows.machines['forecast-and-plan'],
      optimize: this.workflows.machines.optimize,
      remediate: this.workflows.machines.remediate,
      deadLetters,
      key: this.data.key,
    });
    this.api = new TwinApi(this, 'Api', {
      config: this.config,
      functions: this.functions,
      table: this.data.table,
      scenario: this.workflows.machines.scenario,
      optimize: this.workflows.machines.optimize,
      remediate: this.workflows.machines.remediate,
    });
    // Capacity plans are applied by the actuator on the API's behalf: the API holds no scaling rights
    if (this.config.capacityPlanApply) {
      this.functions.allowMixedInstances(fn.actuator);
      fn.actuator.grantInvoke(this.api.fn);
      acknowledge(
        this.api.fn.role as Role,
        `IAM5[Resource::${arnToken(fn.actuator)}:*]`,
        REASONS.ownFunction,
      );
      this.api.fn.addEnvironment('ACTUATOR_FUNCTION_NAME', fn.actuator.functionName);
    }
    this.observability = new TwinObservability(this, 'Observability', {
      key: this.data.key,
      functions: { ...fn, api: this.api.fn },
      machines: this.workflows.machines,
      alarmEmail: this.config.alarmEmail,
    });
    // Remediation notices and approval requests go to the alarm topic, made after the functions
    // (its alarms watch them): publish there only, with the topic key's data keys (the grant adds them)
    this.observability.topic.grantPublish(fn.remediate);
    fn.remediate.addEnvironment('ALERT_TOPIC_ARN', this.observability.topic.topicArn);
  }
}
