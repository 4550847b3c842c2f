import { ExecutionLimitExceeded, type SFNClient } from '@aws-sdk/client-sfn';
import { StepFunctionsRuns } from '../../../layers/aws/stepfunctions/step-functions-runs.js';
import { ApiError } from '../../../layers/core/api/http.js';

const arns = {
  scenario: 'arn:aws:states:us-east-1:123456789012:stateMachine:scenario',
  optimize: 'arn:aws:states:us-east-1:123456789012:stateMachine:optimize',
  remediate: 'arn:aws:states:us-east-1:123456789012:stateMachine:remediate',
};
/** An SFN client whose StartExecution fails with `error`. */
const failing = (error: Error) => ({ send: async () => Promise.reject(error) }) as unknown as SFNClient;

describe('Step Functions at its limits: the API answers 429, not a 500', () => {
  test.each([
    ['open executions at the limit', new ExecutionLimitExceeded({ message: 'limit', $metadata: {} })],
    // the SDK's error for a throttled call: a ThrottlingException with status 400
    ['StartExecution throttled', Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' })],
  ])('%s', async (_, error) => {
    const runs = new StepFunctionsRuns(failing(error), arns);

    const refused = await runs.start('scenario', 'run-1', {}).catch((e: unknown) => e);

    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ status: 429, code: 'too-many-runs' });
    expect((refused as Error).message).toMatch(/retry/);
  });

  test('anything else still fails as itself', async () => {
    const runs = new StepFunctionsRuns(failing(new Error('access denied')), arns);

    await expect(runs.start('scenario', 'run-1', {})).rejects.toThrow('access denied');
  });
});
