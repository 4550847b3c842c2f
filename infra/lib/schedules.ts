import { Duration } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import {
  ContextAttribute,
  Schedule,
  ScheduleExpression,
  ScheduleTargetInput,
} from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke, StepFunctionsStartExecution } from 'aws-cdk-lib/aws-scheduler-targets';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { TwinscaleConfig } from './config.js';
import { acknowledge, arnToken, REASONS } from './nag-acknowledgements.js';

export interface TwinSchedulesProps {
  config: TwinscaleConfig;
  collector: IFunction;
  forecastAndPlan: IStateMachine;
  optimize: IStateMachine;
  remediate: IStateMachine;
  /** Where an invocation the scheduler could not deliver goes. */
  deadLetters: IQueue;
  /** The dead-letter queue's key: the scheduler must encrypt what it puts there. */
  key: IKey;
}

/**
 * EventBridge Scheduler: the collector and forecast-and-plan on their cadences, the weekly
 * policy search, and the hourly (by default) remediate run. All get the scheduled time as `now`,
 * so a retried delivery works on the same window and decision slot (and the weekly run's records
 * keep one id per run, the remediate run evaluates the same moment).
 */
export class TwinSchedules extends Construct {
  constructor(scope: Construct, id: string, p: TwinSchedulesProps) {
    super(scope, id);
    const input = ScheduleTargetInput.fromObject({ now: ContextAttribute.scheduledTime });
    const role = new Role(this, 'Role', { assumedBy: new ServicePrincipal('scheduler.amazonaws.com') });
    acknowledge(role, `IAM5[Resource::${arnToken(p.collector)}:*]`, REASONS.ownFunction);
    p.key.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');
    const delivery = {
      role,
      deadLetterQueue: p.deadLetters,
      maxEventAge: Duration.minutes(5),
      retryAttempts: 2,
      input,
    };
    new Schedule(this, 'Collect', {
      description: 'Twinscale: collect every twin’s metrics',
      schedule: onTheClock(p.config.collectScheduleMinutes, 0),
      target: new LambdaInvoke(p.collector, delivery),
    });
    new Schedule(this, 'Plan', {
      description: 'Twinscale: forecast and plan every twin',
      schedule: onTheClock(p.config.planScheduleMinutes, 1),
      target: new StepFunctionsStartExecution(p.forecastAndPlan, delivery),
    });
    if (p.config.weeklyOptimization)
      new Schedule(this, 'Optimize', {
        description: 'Twinscale: search every twin’s policy on its recent weeks',
        schedule: ScheduleExpression.cron({ weekDay: 'SUN', hour: '3', minute: '0' }),
        // a late delivery still searches the same days; an hour's grace covers a throttled hour
        target: new StepFunctionsStartExecution(p.optimize, { ...delivery, maxEventAge: Duration.hours(1) }),
      });
    if (p.config.remediateEveryMinutes)
      new Schedule(this, 'Remediate', {
        description:
          'Twinscale: evaluate every twin’s policies, ask a person to approve each new remediation',
        // a few minutes after a plan cycle, so the rules read its forecasts and decisions
        schedule: onTheClock(p.config.remediateEveryMinutes, 3),
        target: new StepFunctionsStartExecution(p.remediate, {
          ...delivery,
          // never automatic from the clock: each remediation waits for POST /approvals/{token}
          input: ScheduleTargetInput.fromObject({
            approval: 'required',
            now: ContextAttribute.scheduledTime,
          }),
        }),
      });
  }
}

/**
 * Every `n` minutes on the clock (:00, :05, …), not from whenever the stack was deployed, so a
 * decision's slot starts at its scheduled time and planning runs `offset` minutes after
 * collection; where cron cannot say it (a period that does not divide an hour, or whole hours that
 * do not divide a day), a rate. An hourly period is `offset` past each hour (cron has no `0/60`).
 */
function onTheClock(n: number, offset: number): ScheduleExpression {
  if (n < 60 && 60 % n === 0) return ScheduleExpression.cron({ minute: `${offset % n}/${n}` });
  const hours = n / 60;
  if (Number.isInteger(hours) && 24 % hours === 0)
    return ScheduleExpression.cron({
      minute: String(offset),
      hour: hours === 1 ? '*' : hours === 24 ? '0' : `0/${hours}`,
    });
  return ScheduleExpression.rate(Duration.minutes(n));
}
