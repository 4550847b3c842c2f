import { CreateStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { StepFunctionsRuns } from '../../layers/aws/stepfunctions/step-functions-runs.js';
import { type Moto, startMoto } from '../support/moto.js';

describe('the API’s workflow runs on Step Functions (moto_server)', () => {
  let moto: Moto;
  let runs: StepFunctionsRuns;

  beforeAll(async () => {
    moto = await startMoto();
    const sfn = new SFNClient(moto.clientConfig);
    const arns: Record<'scenario' | 'optimize', string> = { scenario: '', optimize: '' };
    for (const name of ['scenario', 'optimize'] as const) {
      const r = await sfn.send(
        new CreateStateMachineCommand({
          name,
          roleArn: 'arn:aws:iam::123456789012:role/sfn',
          definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } }),
        }),
      );
      arns[name] = r.stateMachineArn as string;
    }
    runs = new StepFunctionsRuns(sfn, arns);
  }, 60_000);

  afterAll(() => moto?.stop());

  test('a run started by name is found by that name; starting it again is one run', async () => {
    await runs.start('scenario', 'web.abc.000001', { twinId: 'web' });
    await runs.start('scenario', 'web.abc.000001', { twinId: 'web' });
    expect((await runs.status('scenario', 'web.abc.000001')).status).toMatch(/^(running|succeeded)$/);
  });

  test('a name never started is unknown, and each workflow has its own names', async () => {
    expect(await runs.status('scenario', 'never-started')).toEqual({ status: 'unknown' });
    await runs.start('optimize', 'only-optimize', {});
    expect(await runs.status('scenario', 'only-optimize')).toEqual({ status: 'unknown' });
  });
});
