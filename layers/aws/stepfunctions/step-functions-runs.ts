import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  ExecutionLimitExceeded,
  InvalidToken,
  SendTaskSuccessCommand,
  type SFNClient,
  StartExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { ApiError } from '../../core/api/http.js';
import type { WorkflowName, WorkflowRunStatus, WorkflowRuns } from '../../core/api/ports.js';
import { isTransient } from '../retry.js';

/** The workflows the API starts on Step Functions (Standard): started by name, so a retried start is one run. */
export class StepFunctionsRuns implements WorkflowRuns {
  constructor(
    private readonly sfn: SFNClient,
    private readonly stateMachineArns: Record<WorkflowName, string>,
  ) {}

  async start(workflow: WorkflowName, name: string, input: unknown): Promise<void> {
    try {
      await this.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArns[workflow],
          name,
          input: JSON.stringify(input),
        }),
      );
    } catch (e) {
      // the same name and input started before: Step Functions answers so only if the input differs
      if (e instanceof ExecutionAlreadyExists) return;
      // the account's open executions, or its start rate, at their limit: the caller may retry later
      if (e instanceof ExecutionLimitExceeded || isTransient(e))
        throw new ApiError(
          429,
          'too-many-runs',
          `Step Functions cannot start another ${workflow} run now (${(e as Error).name}): retry in a minute`,
        );
      throw e;
    }
  }

  async status(workflow: WorkflowName, name: string): Promise<WorkflowRunStatus> {
    const executionArn = `${this.stateMachineArns[workflow].replace(':stateMachine:', ':execution:')}:${name}`;
    try {
      const r = await this.sfn.send(new DescribeExecutionCommand({ executionArn }));
      if (r.status === 'RUNNING' || r.status === 'PENDING_REDRIVE') return { status: 'running' };
      if (r.status === 'SUCCEEDED') return { status: 'succeeded' };
      return { status: 'failed', error: [r.error, r.cause].filter(Boolean).join(': ') || r.status };
    } catch (e) {
      if (e instanceof ExecutionDoesNotExist) return { status: 'unknown' };
      throw e;
    }
  }

  async answer(taskToken: string, output: unknown): Promise<boolean> {
    try {
      await this.sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
      return true;
    } catch (e) {
      // answered before, or the task timed out: the execution has moved on. A token Step Functions
      // does not know (its execution gone, or never one of ours) has nothing waiting on it either.
      if (e instanceof TaskDoesNotExist || e instanceof TaskTimedOut || e instanceof InvalidToken)
        return false;
      throw e;
    }
  }
}
