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
  test('there are the four workflows', () => {
    expect(files.sort()).toEqual([
      'forecast-and-plan.asl.json',
      'optimize.asl.json',
      'remediate.asl.json',
      'scenario.asl.json',
    ]);
  });

  test.each(files)('%s is valid ASL (asl-validator, with ARN and path checks)', (file) => {
    const result = aslValidator(substituted(file.replace('.asl.json', '')), {
      checkArn: true,
      checkPaths: true,
    });
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  test('forecast-and-plan fans out as a Distributed Map of Express children, one range of twins each', () => {
    const map = substituted('forecast-and-plan').States.PlanTwins;
    expect(map.ItemProcessor.ProcessorConfig).toEqual({ Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' });
    expect(map.ItemsPath).toBe('$.batches');
    expect(map.ItemSelector).toEqual({ 'now.$': '$.now', 'twins.$': '$$.Map.Item.Value' });
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
    expect(placeholdersOf(readDefinition('optimize')).sort()).toEqual([
      'ListDueTwinsFunctionArn',
      'OptimizeFunctionArn',
    ]);
  });
});

describe('the local runner', () => {
  const batches = [
    { first: 't000', last: 't049', count: 50 },
    { first: 't050', last: 't099', count: 50 },
    { first: 't100', last: 't119', count: 20 },
  ];
  const children: unknown[] = [];
  const bindings: Record<string, TaskFunction> = {
    ListDueTwinsFunctionArn: async () => ({ now: '2026-11-23T12:00:00.000Z', batches }),
    PlanBatchFunctionArn: async (input) => {
      children.push(input);
      const { twins } = input as { twins: { count: number } };
      return { twins: twins.count, planned: twins.count, failed: 0, actuations: [] };
    },
    ActuatorFunctionArn: async () => ({}),
    RecordFailureFunctionArn: async () => ({}),
  };

  test('hands each child its range of twins and the slot, and adds up what they did', async () => {
    const out = await new LocalStateMachine('forecast-and-plan', bindings).run({});
    expect(children).toEqual(batches.map((twins) => ({ now: '2026-11-23T12:00:00.000Z', twins })));
    expect(out).toEqual({
      now: '2026-11-23T12:00:00.000Z',
      batches: [
        { twins: 50, failed: 0 },
        { twins: 50, failed: 0 },
        { twins: 20, failed: 0 },
      ],
    });
  });

  test('refuses to run with a task left unbound, naming it', () => {
    const { ActuatorFunctionArn: _, ...partial } = bindings;
    expect(() => new LocalStateMachine('forecast-and-plan', partial)).toThrow(
      'forecast-and-plan: no local function bound for ActuatorFunctionArn',
    );
  });
});
