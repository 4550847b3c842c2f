import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import { type RunOptions, StateMachine } from 'aws-local-stepfunctions';

// aws-local-stepfunctions 3 targets Node 22; on Node 20 it needs this one ES2024 helper.
if (!('withResolvers' in Promise)) {
  Object.assign(Promise, {
    withResolvers<T>() {
      let resolve!: (v: T) => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}

/** A Lambda task bound locally: the real handler (or a run function with local ports). */
export type TaskFunction = (input: unknown) => Promise<unknown>;

const STATEMACHINES = join(import.meta.dirname, '..', '..', 'statemachines');
const PLACEHOLDER = /\$\{([A-Za-z0-9]+)\}/g;

/** The ARN a placeholder stands for in local runs (the CDK substitutes the real ones). */
export const localArn = (placeholder: string) =>
  `arn:aws:lambda:us-east-1:000000000000:function:${placeholder}`;

/** The ASL file's text, as the CDK reads it. */
export const readDefinition = (name: string): string =>
  readFileSync(join(STATEMACHINES, `${name}.asl.json`), 'utf8');

/** The `${Placeholder}`s a definition needs substituted. */
export const placeholdersOf = (text: string): string[] => [
  ...new Set([...text.matchAll(PLACEHOLDER)].map((m) => m[1])),
];

type State = Record<string, unknown> & { Type: string; Next?: string; Resource?: string };

/** The callback pattern: Step Functions invokes the function with a task token and waits for it. */
export const WAIT_FOR_TASK_TOKEN = 'arn:aws:states:::lambda:invoke.waitForTaskToken';
/** What `$$.Task.Token` reads locally; each waiting task swaps it for a token of its own. */
const TOKEN_PLACEHOLDER = 'local-task-token';

/** The tasks waiting for a token locally (one process: the engine runs in it). */
const waiting = new Map<string, { resolve: (output: unknown) => void; reject: (e: Error) => void }>();

/**
 * SendTaskSuccess locally: resumes the task waiting on `token` with `output`. False when no task
 * waits on it (answered already, timed out, or never issued).
 */
export function answerLocalTask(token: string, output: unknown): boolean {
  const w = waiting.get(token);
  if (!w) return false;
  waiting.delete(token);
  w.resolve(output);
  return true;
}

/** SendTaskFailure locally: the waiting task fails with `error` (a Catch may take it). */
export function failLocalTask(token: string, error: string, cause = ''): boolean {
  const w = waiting.get(token);
  if (!w) return false;
  waiting.delete(token);
  w.reject(Object.assign(new Error(cause), { name: error }));
  return true;
}

/**
 * Ends every wait for a token (when the runs waiting are being stopped): each task fails with
 * `error`, which also clears the engine's timer for its timeout, so nothing holds the process.
 */
export function failAllLocalTasks(error: string): number {
  const tokens = [...waiting.keys()];
  for (const token of tokens) failLocalTask(token, error, 'the run was stopped');
  return tokens.length;
}

/**
 * The `lambda:invoke.waitForTaskToken` emulation (aws-local-stepfunctions has no callback tasks):
 * the bound function gets the `Payload` with a fresh token in place of `$$.Task.Token`, then the
 * task waits until `answerLocalTask`/`failLocalTask` is called with it. The engine's own
 * TimeoutSeconds(Path) race ends the wait with States.Timeout, as in Step Functions.
 */
function waitForTaskToken(fn: TaskFunction, stateName: string): TaskFunction {
  return async (input) => {
    const token = `${stateName}.${crypto.randomUUID()}`;
    const payload = JSON.parse(JSON.stringify((input as { Payload?: unknown }).Payload ?? {}), (_, v) =>
      v === TOKEN_PLACEHOLDER ? token : v,
    );
    const answered = new Promise<unknown>((resolve, reject) => waiting.set(token, { resolve, reject }));
    try {
      await fn(payload);
    } catch (e) {
      waiting.delete(token);
      throw e;
    }
    return answered;
  };
}
type Definition = { StartAt: string; States: Record<string, State> };

/**
 * Runs a state machine file with aws-local-stepfunctions, each Lambda task bound to a local
 * function by its placeholder. A Distributed Map runs as an inline one; ToleratedFailurePercentage
 * is ignored locally: a failed child fails the run.
 */
export class LocalStateMachine {
  private readonly machine: StateMachine;
  private readonly handlers: Record<string, (input: unknown) => Promise<unknown>> = {};

  constructor(name: string, bindings: Record<string, TaskFunction>) {
    const text = readDefinition(name);
    const missing = placeholdersOf(text).filter((p) => !bindings[p]);
    if (missing.length) throw new Error(`${name}: no local function bound for ${missing.join(', ')}`);
    const definition = JSON.parse(text.replace(PLACEHOLDER, (_, p: string) => localArn(p))) as Definition;
    const seen = new Set<string>();
    this.prepare(definition, seen, bindings);
    this.machine = new StateMachine(definition as never, { validationOptions: { checkPaths: false } });
  }

  /** Runs one execution to its end; rejects with the execution's error. */
  async run(input: unknown, options: RunOptions = {}): Promise<unknown> {
    return this.start(input, options).result;
  }

  /** Starts one execution: its result, and a way to stop it (StopExecution), as a run waiting for a person needs. */
  start(input: unknown, options: RunOptions = {}): { result: Promise<unknown>; abort: () => void } {
    const name = crypto.randomUUID();
    // what Step Functions gives every execution; the local engine has only Input and StartTime
    const context = {
      Execution: {
        Id: `arn:aws:states:us-east-1:000000000000:execution:local:${name}`,
        Name: name,
        StartTime: new Date().toISOString(),
        Input: input,
      },
      ...options.context,
      // a callback task's token (waitForTaskToken, emulated below)
      Task: { Token: TOKEN_PLACEHOLDER },
    };
    const execution = this.machine.run(input as never, {
      ...options,
      context: context as never,
      overrides: { ...options.overrides, taskResourceLocalHandlers: this.handlers as never },
    });
    return { result: execution.result, abort: () => execution.abort() };
  }

  private prepare(d: Definition, seen: Set<string>, bindings: Record<string, TaskFunction>): void {
    for (const [name, state] of Object.entries(d.States)) {
      // Local handlers are keyed by state name, in nested workflows too.
      if (seen.has(name))
        throw new Error(`state name "${name}" is used twice: local bindings need unique names`);
      seen.add(name);
      if (state.Type === 'Task' && state.Resource === WAIT_FOR_TASK_TOKEN) {
        const fnArn = (state.Parameters as { FunctionName?: string } | undefined)?.FunctionName ?? '';
        const fn = bindings[fnArn.split(':function:')[1]];
        if (fn) this.handlers[name] = waitForTaskToken(fn, name);
        // The local engine reads TimeoutSecondsPath in the task's effective input (after
        // Parameters), Step Functions in the state's input: point it through the Payload field
        // that carries the whole state input (`"item.$": "$"`).
        const path = state.TimeoutSecondsPath;
        const payload = (state.Parameters as { Payload?: Record<string, unknown> }).Payload ?? {};
        const whole = Object.keys(payload).find((k) => k.endsWith('.$') && payload[k] === '$');
        if (typeof path === 'string' && path.startsWith('$.') && whole)
          state.TimeoutSecondsPath = `$.Payload.${whole.slice(0, -2)}.${path.slice(2)}`;
      } else if (state.Type === 'Task' && typeof state.Resource === 'string') {
        const placeholder = state.Resource.split(':function:')[1];
        const fn = bindings[placeholder];
        if (fn) this.handlers[name] = fn;
      }
      const inner = (state.ItemProcessor ?? state.Iterator) as Definition | undefined;
      if (inner) this.prepare(inner, seen, bindings);
      for (const branch of (state.Branches as Definition[] | undefined) ?? [])
        this.prepare(branch, seen, bindings);
    }
  }
}

/** Binds a middy Lambda handler as a local task, with the context Lambda would give it. */
export function lambdaTask(
  functionName: string,
  handler: (event: unknown, context: Context) => Promise<unknown>,
): TaskFunction {
  return (input) => handler(input, localLambdaContext(functionName));
}

/** What Lambda passes a handler besides the event, for local invocations. */
export function localLambdaContext(functionName: string, timeoutMs = 60_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: localArn(functionName),
    memoryLimitInMB: '512',
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
