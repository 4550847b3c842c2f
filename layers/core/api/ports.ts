import type { MixRequest, MixResult } from '../act/mixed-instances.js';
import type { TwinStore } from '../store/twin-store.js';
import type { UnitReader } from '../units/unit-reader.js';

/** The workflows the API starts: Step Functions in AWS, the local engine on one machine. */
export type WorkflowName = 'scenario' | 'optimize' | 'remediate';

export interface WorkflowRunStatus {
  status: 'running' | 'succeeded' | 'failed' | 'unknown';
  /** Why it failed, as the workflow reported it. */
  error?: string;
}

export interface WorkflowRuns {
  /** Starts a run under a unique name; starting the same name again is a no-op. */
  start(workflow: WorkflowName, name: string, input: unknown): Promise<void>;
  status(workflow: WorkflowName, name: string): Promise<WorkflowRunStatus>;
  /**
   * Resumes a run waiting on a task token (SendTaskSuccess) with `output`. False when nothing
   * waits on it any more (answered, timed out). Absent: this deployment runs no callback tasks.
   */
  answer?(taskToken: string, output: unknown): Promise<boolean>;
}

/** What the API's handlers need: the twin store, the workflows, and the clock. */
export interface ApiPorts {
  store: TwinStore;
  workflows: WorkflowRuns;
  now: () => number;
  /** The tag whose value names a twin's tenant group. @default 'twinscale:tenant' */
  groupTagKey?: string;
  /**
   * Sets a capacity plan's weights and desired capacity on a mixed-instances group
   * (act/mixed-instances.ts `applyMix`), where something holds scaling rights. Absent: this API
   * cannot scale (the API function in AWS holds no scaling rights), and the apply route says so.
   */
  applyMix?: (req: MixRequest) => Promise<MixResult>;
  /**
   * Reads deployed stacks and ECS task families for POST /units (CloudFormation and ECS in AWS).
   * Absent: only synthesized templates can be read, and the other kinds answer 501.
   */
  units?: UnitReader;
}
