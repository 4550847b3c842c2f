import { parseEvent, workflowEvent } from '../../functions/shared/parse-input.js';
import { isTransient } from '../../layers/aws/retry.js';
import { ApiError } from '../../layers/core/api/http.js';
import type { WorkflowName, WorkflowRunStatus, WorkflowRuns } from '../../layers/core/api/ports.js';
import {
  RemediateEventSchema,
  type RemediatePorts,
  remediateStep,
} from '../../layers/core/compliance/remediate.js';
import { ListDueEventSchema, scheduledTime } from '../../layers/core/loop/events.js';
import { listDueTwins } from '../../layers/core/loop/list-due.js';
import { OptimizeBatchEventSchema, optimizeBatch } from '../../layers/core/loop/optimize-batch.js';
import { OptimizeRequestSchema } from '../../layers/core/loop/optimize-run.js';
import { optimizeTask } from '../../layers/core/loop/optimize-task.js';
import { scenarioTask } from '../../layers/core/loop/scenario-task.js';
import { ScenarioRequestSchema } from '../../layers/core/loop/twin-replay.js';
import type { TwinStore } from '../../layers/core/store/twin-store.js';
import { answerLocalTask, failAllLocalTasks, LocalStateMachine } from './local-state-machine.js';

/**
 * Runs of one workflow the API may have under way at once here: they share the process with the
 * API, so past this a start is refused (429) rather than queued without end. Ten clients posting
 * scenarios as fast as they are answered keep about 25 under way (`npm run bench -- load`).
 * Step Functions' own quotas bound them in AWS.
 */
export const MAX_RUNS_UNDER_WAY: Partial<Record<WorkflowName, number>> = { scenario: 32, optimize: 8 };

/**
 * Finished runs remembered, newest kept: a runtime left running for weeks under the API would
 * otherwise keep every run it ever started. A scenario or optimization past this is still read
 * from its record; a remediate run's steps stay in the twins' remediation logs.
 */
export const FINISHED_RUNS_KEPT = 1000;

/** The local runtime's planning cadence: the scheduled optimization's time is a decision slot. */
const SCHEDULE_MINUTES = 5;
const ScenarioEvent = workflowEvent(ScenarioRequestSchema);
const OptimizeEvent = workflowEvent(OptimizeRequestSchema);

/** Remediation notices locally: one JSON line on stderr (the alarm topic, SNS, in AWS). */
export const loggedNotices: RemediatePorts['notify'] = async (notice) => {
  process.stderr.write(`${JSON.stringify({ notice: 'remediation', ...notice })}\n`);
};

/**
 * The scenario, optimize and remediate state machine files run by the local engine, in the background, with
 * their tasks bound to the same core functions the Lambdas call. Runs are remembered in memory (the
 * newest FINISHED_RUNS_KEPT finished ones): after a restart a finished run is read from its stored
 * record, a lost one is unknown.
 */
export class LocalWorkflowRuns implements WorkflowRuns {
  private readonly machines: Record<WorkflowName, LocalStateMachine>;
  /** Running first-started first, then finished oldest first (a finished run moves to the end). */
  private readonly runs = new Map<string, WorkflowRunStatus>();
  private finished = 0;
  private readonly pending = new Set<Promise<unknown>>();
  private readonly stoppable = new Set<() => void>();

  constructor(
    store: TwinStore,
    private readonly now: () => number,
    /** The remediate workflow's scaling and alerts ports (the runtime's simulated fleets, the log). */
    remediation: Pick<RemediatePorts, 'actuation' | 'notify'> = {},
    private readonly finishedRunsKept = FINISHED_RUNS_KEPT,
  ) {
    const notify = remediation.notify ?? loggedNotices;
    const execution = (e: { execution: { name: string; startTime: string } }) => ({
      name: e.execution.name,
      now: Date.parse(e.execution.startTime),
    });
    this.machines = {
      scenario: new LocalStateMachine('scenario', {
        ScenarioFunctionArn: async (event) => {
          const e = parseEvent(ScenarioEvent, event);
          return scenarioTask(store, e.request, execution(e));
        },
      }),
      optimize: new LocalStateMachine('optimize', {
        ListDueTwinsFunctionArn: async (event) =>
          listDueTwins(
            store,
            scheduledTime(parseEvent(ListDueEventSchema, event ?? {})) ?? this.now(),
            SCHEDULE_MINUTES,
          ),
        OptimizeFunctionArn: async (event) => {
          if (event && typeof event === 'object' && 'batch' in event)
            return optimizeBatch(store, parseEvent(OptimizeBatchEventSchema, event), { isTransient });
          const e = parseEvent(OptimizeEvent, event);
          return optimizeTask(store, e.request, execution(e));
        },
      }),
      remediate: new LocalStateMachine('remediate', {
        RemediateFunctionArn: async (event) =>
          remediateStep(parseEvent(RemediateEventSchema, event), {
            store,
            now: this.now,
            ...remediation,
            notify,
          }),
      }),
    };
  }

  async start(workflow: WorkflowName, name: string, input: unknown): Promise<void> {
    const key = `${workflow}/${name}`;
    if (this.runs.has(key)) return;
    const bound = MAX_RUNS_UNDER_WAY[workflow];
    // the runtime's own schedules (a weekly search, the hourly remediation) are not the API's to refuse
    if (bound !== undefined && !name.startsWith('scheduled-') && this.tally(workflow).running >= bound)
      throw new ApiError(
        429,
        'too-many-runs',
        `${bound} ${workflow} runs are under way on this machine: retry once one has finished`,
      );
    this.runs.set(key, { status: 'running' });
    const execution = this.machines[workflow].start(input, {
      context: { Execution: { Name: name, StartTime: new Date(this.now()).toISOString() } } as never,
    });
    // a remediation may wait a day for a person: a stopping runtime stops it, as StopExecution would
    if (workflow === 'remediate') this.stoppable.add(execution.abort);
    const run = execution.result
      .then(
        () => this.finish(key, { status: 'succeeded' }),
        (e: Error) => this.finish(key, { status: 'failed', error: e.message }),
      )
      .finally(() => {
        this.pending.delete(run);
        this.stoppable.delete(execution.abort);
      });
    this.pending.add(run);
  }

  private finish(key: string, status: WorkflowRunStatus): void {
    this.runs.delete(key);
    this.runs.set(key, status);
    this.finished++;
    for (const [k, run] of this.runs) {
      if (this.finished <= this.finishedRunsKept) break;
      if (run.status === 'running') continue;
      this.runs.delete(k);
      this.finished--;
    }
  }

  /** Runs started and not yet finished (the load benchmark watches that they do not pile up). */
  underWay(): number {
    return this.pending.size;
  }

  /** How many runs of a workflow this engine started are running, succeeded and failed. */
  tally(workflow: WorkflowName): Record<'running' | 'succeeded' | 'failed', number> {
    const n = { running: 0, succeeded: 0, failed: 0 };
    for (const [key, run] of this.runs)
      if (key.startsWith(`${workflow}/`) && run.status !== 'unknown') n[run.status]++;
    return n;
  }

  async status(workflow: WorkflowName, name: string): Promise<WorkflowRunStatus> {
    return this.runs.get(`${workflow}/${name}`) ?? { status: 'unknown' };
  }

  /** SendTaskSuccess for the callback tasks of local runs (local-state-machine.ts). */
  async answer(taskToken: string, output: unknown): Promise<boolean> {
    return answerLocalTask(taskToken, output);
  }

  /**
   * Waits for the runs under way (a clean stop does not cut one off mid-write), after stopping the
   * remediate runs (one waiting for an approval would hold the stop for its whole timeout; its
   * violations are remediated again by the next run, the pending approval answers nothing).
   */
  async drain(): Promise<void> {
    for (const abort of this.stoppable) abort();
    if (this.stoppable.size) failAllLocalTasks('States.Aborted');
    await Promise.allSettled([...this.pending]);
  }
}
