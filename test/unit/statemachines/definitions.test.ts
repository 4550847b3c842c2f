import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import aslValidator from 'asl-validator';
import {
  LocalStateMachine,
  localArn,
  placeholdersOf,
  readDefinition,
  type TaskFunction,
} from '../../../local/workflows/local-state-machine.js';

const files = readdirSync(join(import.meta.dirname, '../../../statemachines')).filter((f) =>
  f.endsWith('.asl.json'),
);
const substituted = (name: string) =>
  JSON.parse(readDefinition(name).replace(/\$\{([A-Za-z0-9]+)\}/g, (_, p: string) => localArn(p)));

describe('state machine definitions', () => {
  test('there are the three workflows', () => {
    expect(files.sort()).toEqual(['forecast-and-plan.asl.json', 'optimize.asl.json', 'scenario.asl.json']);
  });

  test.each(files)('%s is valid ASL (asl-validator, with ARN and path checks)', (file) => {
    const result = aslValidator(substituted(file.replace('.asl.json', '')), {
      checkArn: true,
      checkPaths: true,
    });
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  test('forecast-and-plan fans out as a Distributed Map of batched Express children', () => {
    const map = substituted('forecast-and-plan').States.PlanTwins;
    expect(map.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' });
    expect(map.ItemBatcher.MaxItemsPerBatch).toBeGreaterThan(1);
    expect(map.MaxConcurrency).toBeGreaterThan(0);
    expect(map.ToleratedFailurePercentage).toBeGreaterThan(0);
    for (const name of ['PlanBatch', 'Actuate']) {
      const task = map.ItemProcessor.States[name];
      expect(task.Retry).toContainEqual(
        expect.objectContaining({ ErrorEquals: expect.arrayContaining(['TransientError']), BackoffRate: 2 }),
      );
      expect(task.Catch[0]).toMatchObject({
        ErrorEquals: ['States.ALL'],
        Next: name === 'PlanBatch' ? 'RecordFailure' : 'RecordActuationFailure',
      });
    }
  });

  test('a child’s worst case (every attempt timing out, every wait at its longest) fits Express’s 5 minutes', () => {
    type Retrier = {
      MaxAttempts?: number;
      IntervalSeconds?: number;
      BackoffRate?: number;
      MaxDelaySeconds?: number;
    };
    const states = substituted('forecast-and-plan').States.PlanTwins.ItemProcessor.States;
    const worst = (name: string) => {
      const t = states[name] as { TimeoutSeconds: number; Retry: Retrier[] };
      // one retrier's attempts at a time; the longest of them bounds the state
      return Math.max(
        ...t.Retry.map((r) => {
          const retries = r.MaxAttempts ?? 3;
          let waits = 0;
          for (let i = 0; i < retries; i++)
            waits += Math.min(
              r.MaxDelaySeconds ?? Infinity,
              (r.IntervalSeconds ?? 1) * (r.BackoffRate ?? 2) ** i,
            );
          return t.TimeoutSeconds * (retries + 1) + waits;
        }),
      );
    };
    const planThenFailedActuation = worst('PlanBatch') + worst('Actuate') + worst('RecordActuationFailure');
    const failedPlan = worst('PlanBatch') + worst('RecordFailure');
    expect(Math.max(planThenFailedActuation, failedPlan)).toBeLessThan(300);
  });

  test('every Lambda task names its function by a placeholder the CDK substitutes', () => {
    expect(placeholdersOf(readDefinition('forecast-and-plan')).sort()).toEqual([
      'ActuatorFunctionArn',
      'ListDueTwinsFunctionArn',
      'PlanBatchFunctionArn',
      'RecordFailureFunctionArn',
    ]);
    expect(placeholdersOf(readDefinition('scenario'))).toEqual(['ScenarioFunctionArn']);
    expect(placeholdersOf(readDefinition('optimize'))).toEqual(['OptimizeFunctionArn']);
  });
});

describe('the local runner', () => {
  const twins = Array.from({ length: 120 }, (_, i) => ({ twinId: `t${i}` }));
  const batches: { Items: { twinId: string }[]; BatchInput: unknown }[] = [];
  const bindings: Record<string, TaskFunction> = {
    ListDueTwinsFunctionArn: async () => ({ now: '2026-11-23T12:00:00.000Z', twins }),
    PlanBatchFunctionArn: async (input) => {
      batches.push(input as (typeof batches)[number]);
      return { planned: batches.at(-1)?.Items.length, failed: 0, actuations: [] };
    },
    ActuatorFunctionArn: async () => ({}),
    RecordFailureFunctionArn: async () => ({}),
  };

  test('hands each child the batch shape ItemBatcher gives in AWS: { Items, BatchInput }', async () => {
    await new LocalStateMachine('forecast-and-plan', bindings).run({});
    expect(batches.map((b) => b.Items.length)).toEqual([50, 50, 20]);
    expect(batches.flatMap((b) => b.Items)).toEqual(expect.arrayContaining(twins));
    expect(batches[0].BatchInput).toEqual({ now: '2026-11-23T12:00:00.000Z' });
  });

  test('refuses to run with a task left unbound, naming it', () => {
    const { ActuatorFunctionArn: _, ...partial } = bindings;
    expect(() => new LocalStateMachine('forecast-and-plan', partial)).toThrow(
      'forecast-and-plan: no local function bound for ActuatorFunctionArn',
    );
  });
});
