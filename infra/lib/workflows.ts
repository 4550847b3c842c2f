import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArnFormat, Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { TwinscaleConfig } from './config.js';
import { acknowledge, arnToken, REASONS } from './nag-acknowledgements.js';

const STATEMACHINES = join(import.meta.dirname, '..', '..', 'statemachines');

export type WorkflowName = 'forecast-and-plan' | 'scenario' | 'optimize' | 'remediate';

export interface TwinWorkflowsProps {
  config: TwinscaleConfig;
  /** The function each `${Placeholder}` of the ASL files stands for. */
  functions: Record<string, IFunction>;
}

/**
 * The state machines, each from its ASL file (the one definition local runs use too) with the
 * function ARNs substituted; logged to CloudWatch Logs and traced with X-Ray.
 */
export class TwinWorkflows extends Construct {
  readonly machines: Record<WorkflowName, StateMachine>;

  constructor(scope: Construct, id: string, p: TwinWorkflowsProps) {
    super(scope, id);
    const make = (name: WorkflowName) => {
      const file = join(STATEMACHINES, `${name}.asl.json`);
      const placeholders = [
        ...new Set([...readFileSync(file, 'utf8').matchAll(/\$\{(\w+)\}/g)].map((m) => m[1])),
      ];
      const missing = placeholders.filter((ph) => !p.functions[ph]);
      if (missing.length) throw new Error(`${name}.asl.json: no function for ${missing.join(', ')}`);
      const machine = new StateMachine(this, name, {
        stateMachineName: `${Stack.of(this).stackName}-${name}`,
        stateMachineType: StateMachineType.STANDARD,
        definitionBody: DefinitionBody.fromFile(file),
        definitionSubstitutions: Object.fromEntries(
          placeholders.map((ph) => [ph, p.functions[ph].functionArn]),
        ),
        tracingEnabled: true,
        logs: {
          destination: new LogGroup(this, `${name}-logs`, {
            retention: p.config.logRetentionDays as RetentionDays,
          }),
          level: LogLevel.ALL,
          includeExecutionData: false,
        },
      });
      for (const ph of placeholders) {
        p.functions[ph].grantInvoke(machine);
        acknowledge(machine.role, `IAM5[Resource::${arnToken(p.functions[ph])}:*]`, REASONS.ownFunction);
      }
      acknowledge(machine.role, 'IAM5[Resource::*]', REASONS.noResourceArn);
      return machine;
    };
    this.machines = {
      'forecast-and-plan': make('forecast-and-plan'),
      scenario: make('scenario'),
      optimize: make('optimize'),
      // its approval task invokes the function through lambda:invoke.waitForTaskToken: the same
      // lambda:InvokeFunction on the function this grant gives for the ASL's direct Lambda tasks
      remediate: make('remediate'),
    };
    this.allowDistributedMap('forecast-and-plan');
    this.allowDistributedMap('optimize');
  }

  /** A Distributed Map starts its children as executions of its own state machine. */
  private allowDistributedMap(workflow: WorkflowName): void {
    const machine = this.machines[workflow];
    const stack = Stack.of(this);
    const name = `${stack.stackName}-${workflow}`;
    machine.addToRolePolicy(
      new PolicyStatement({
        actions: ['states:StartExecution'],
        resources: [
          stack.formatArn({
            service: 'states',
            resource: 'stateMachine',
            resourceName: name,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    machine.addToRolePolicy(
      new PolicyStatement({
        actions: ['states:DescribeExecution', 'states:StopExecution'],
        resources: [
          stack.formatArn({
            service: 'states',
            resource: 'execution',
            resourceName: `${name}/*`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    const children = `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${name}/*`;
    acknowledge(machine.role, `IAM5[Resource::${children}]`, REASONS.ownChildren);
  }
}
