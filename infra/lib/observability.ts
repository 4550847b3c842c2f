import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  LogQueryWidget,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { SnsTopic } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Key } from 'aws-cdk-lib/aws-kms';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { DRIFT_EVENT } from '../../layers/core/twin/drift-watch.js';

export interface TwinObservabilityProps {
  key: Key;
  functions: Record<string, NodejsFunction>;
  machines: Record<string, StateMachine>;
  alarmEmail?: string;
}

/**
 * Alarms on function errors and throttles, failed executions and failed actuations, to one SNS
 * topic; a dashboard of the twins' forecasts against what they then saw (from the planner's logs:
 * per-twin custom metrics would cost more than the rest of the system) and of the system's health.
 */
export class TwinObservability extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, p: TwinObservabilityProps) {
    super(scope, id);
    this.topic = new Topic(this, 'Alarms', {
      displayName: 'Twinscale alarms',
      masterKey: p.key,
      enforceSSL: true,
    });
    // CloudWatch publishes alarms to the encrypted topic only if the key lets it
    p.key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'], // in a key policy, "*" is this key
      }),
    );
    if (p.alarmEmail) this.topic.addSubscription(new EmailSubscription(p.alarmEmail));
    // Drift alerts: the planner puts them on the default bus; this rule sends them to the topic,
    // whose key must let EventBridge encrypt for it (the target adds the topic policy)
    p.key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'], // in a key policy, "*" is this key
      }),
    );
    new Rule(this, 'DriftAlerts', {
      description:
        'Twinscale drift alerts (the live service stopped behaving like its twin) to the alarm topic',
      eventBus: EventBus.fromEventBusName(this, 'DefaultBus', 'default'),
      eventPattern: { source: [DRIFT_EVENT.source], detailType: [DRIFT_EVENT.detailType] },
      targets: [new SnsTopic(this.topic)],
    });
    const alarm = (name: string, metric: IMetric, description: string) => {
      const a = new Alarm(this, name, {
        alarmDescription: description,
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      a.addAlarmAction(new SnsAction(this.topic));
      this.alarms.push(a);
    };
    const fiveMinutes = { period: Duration.minutes(5), statistic: 'Sum' };
    // one alarm per kind of failure, summing every function's (or workflow's) metric: $0.10 a month
    // per alarm, and the dashboard's graphs say which one it was
    const total = (metrics: IMetric[]) =>
      new MathExpression({
        expression: metrics.map((_, i) => `FILL(m${i}, 0)`).join(' + '),
        usingMetrics: Object.fromEntries(metrics.map((m, i) => [`m${i}`, m])),
        period: Duration.minutes(5),
      });
    const fns = Object.values(p.functions);
    const names = Object.keys(p.functions).join(', ');
    alarm(
      'function-errors',
      total(fns.map((f) => f.metricErrors(fiveMinutes))),
      `Twinscale: a function failed (${names})`,
    );
    alarm(
      'function-throttles',
      total(fns.map((f) => f.metricThrottles(fiveMinutes))),
      `Twinscale: invocations throttled (${names})`,
    );
    alarm(
      'executions-failed',
      total(Object.values(p.machines).map((m) => m.metricFailed(fiveMinutes))),
      `Twinscale: an execution failed (${Object.keys(p.machines).join(', ')})`,
    );
    const actuationsFailed = new Metric({
      namespace: 'Twinscale',
      metricName: 'actuationsFailed',
      dimensionsMap: { service: 'twinscale-actuator' },
      ...fiveMinutes,
    });
    alarm(
      'actuation-failures',
      actuationsFailed,
      'Twinscale: a decision could not be carried out (see its record)',
    );

    const dashboard = new Dashboard(this, 'Dashboard', { dashboardName: `${this.node.addr}-twinscale` });
    dashboard.addWidgets(
      new TextWidget({
        markdown: '# Twinscale: forecasts against demand, and the system’s health',
        width: 24,
      }),
      new LogQueryWidget({
        title: 'Forecast peak vs observed demand, per twin (planner logs)',
        logGroupNames: [p.functions['plan-batch'].logGroup.logGroupName],
        queryLines: [
          'fields @timestamp, twinId, forecastPeak, lastObservedDemand, desired, previous',
          "filter message = 'twin planned'",
          'sort @timestamp desc',
          'limit 200',
        ],
        width: 24,
        height: 8,
      }),
      new GraphWidget({
        title: 'Capacity changes and failed actuations',
        left: [
          new Metric({
            namespace: 'Twinscale',
            metricName: 'capacityChanges',
            dimensionsMap: { service: 'twinscale-actuator' },
            ...fiveMinutes,
          }),
          actuationsFailed,
        ],
        width: 12,
      }),
      new GraphWidget({
        title: 'Executions',
        left: Object.values(p.machines).flatMap((m) => [
          m.metricSucceeded(fiveMinutes),
          m.metricFailed(fiveMinutes),
        ]),
        width: 12,
      }),
      new GraphWidget({
        title: 'Function errors',
        left: Object.values(p.functions).map((f) => f.metricErrors(fiveMinutes)),
        width: 12,
      }),
      new GraphWidget({
        title: 'Function duration (p90)',
        left: Object.values(p.functions).map((f) =>
          f.metricDuration({ period: Duration.minutes(5), statistic: 'p90' }),
        ),
        width: 12,
      }),
    );
  }
}
