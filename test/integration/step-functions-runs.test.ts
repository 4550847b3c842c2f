import { CreateStateMachineCommand, DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { StepFunctionsRuns } from '../../layers/aws/stepfunctions/step-functions-runs.js';
import { type Moto, motoAvailable, startMoto } from '../support/moto.js';
import { until } from '../support/until.js';

const describeMoto = motoAvailable() ? describe : describe.skip;
const ROLE = 'arn:aws:iam::123456789012:role/sfn';

describeMoto('the API’s workflow runs on Step Functions (moto_server)', () => {
  let moto: Moto;
  let sfn: SFNClient;
  let runs: StepFunctionsRuns;

  beforeAll(async () => {
    moto = await startMoto();
    sfn = new SFNClient(moto.clientConfig);
    const succeed = { StartAt: 'Done', States: { Done: { Type: 'Succeed' } } };
    runs = new StepFunctionsRuns(sfn, {
      scenario: await createMachine(sfn, 'scenario', succeed),
      optimize: await createMachine(sfn, 'optimize', succeed),
      remediate: await createMachine(sfn, 'remediate', succeed),
    });
  }, 60_000);

  afterAll(async () => {
    sfn?.destroy();
    await moto?.stop();
  });

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

/**
 * moto runs executions, and so hands out and checks task tokens, only with its state machine
 * interpreter on (`execute_state_machine`); without it SendTaskSuccess accepts any token. In
 * moto_server 5.2.1 that interpreter runs one execution per server (the next StartExecution fails
 * deep-copying the first one's lock), hence a server of its own and one run.
 */
describeMoto('answering a run that waits on a task token (moto_server, executions interpreted)', () => {
  let moto: Moto;
  let sfn: SFNClient;
  let sqs: SQSClient;
  let runs: StepFunctionsRuns;
  let remediate: string;
  let queueUrl: string;

  beforeAll(async () => {
    moto = await startMoto();
    await fetch(`${moto.endpoint}/moto-api/config`, {
      method: 'POST',
      body: JSON.stringify({ stepfunctions: { execute_state_machine: true } }),
    });
    sfn = new SFNClient(moto.clientConfig);
    sqs = new SQSClient(moto.clientConfig);
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'approvals' }))).QueueUrl as string;
    // remediate.asl.json waits on lambda:invoke.waitForTaskToken; moto runs Lambda only in Docker,
    // so here the same callback pattern hands its token to a queue (the approval record, in AWS)
    remediate = await createMachine(sfn, 'remediate', {
      StartAt: 'AskApproval',
      States: {
        AskApproval: {
          Type: 'Task',
          Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
          Parameters: { QueueUrl: queueUrl, MessageBody: { 'taskToken.$': '$$.Task.Token' } },
          ResultPath: '$.answer',
          End: true,
        },
      },
    });
    runs = new StepFunctionsRuns(sfn, { scenario: remediate, optimize: remediate, remediate });
  }, 60_000);

  afterAll(async () => {
    sfn?.destroy();
    sqs?.destroy();
    await moto?.stop();
  });

  test('an answer resumes the run waiting on its token, the answer the task’s result; the token then answers false', async () => {
    // Prepare
    await runs.start('remediate', 'approve-1', {});
    const taskToken = await until(
      'the task token on the queue',
      async () => {
        const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }));
        const body = r.Messages?.[0]?.Body;
        return body ? (JSON.parse(body) as { taskToken: string }).taskToken : undefined;
      },
      15_000,
    );

    // Act
    const answered = await runs.answer(taskToken, { approved: true, by: 'oncall' });

    // Assess
    expect(answered).toBe(true);
    await until(
      'the run to finish',
      async () => ((await runs.status('remediate', 'approve-1')).status === 'running' ? undefined : true),
      15_000,
    );
    expect(await runs.status('remediate', 'approve-1')).toEqual({ status: 'succeeded' });
    const executionArn = `${remediate.replace(':stateMachine:', ':execution:')}:approve-1`;
    const { output } = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(JSON.parse(output ?? '{}')).toEqual({ answer: { approved: true, by: 'oncall' } });
    // a second answer (a repeated POST /approvals/{token}) finds nothing waiting
    expect(await runs.answer(taskToken, { approved: true })).toBe(false);
  }, 40_000);

  test('a token Step Functions does not know (InvalidToken) answers false, not an error', async () => {
    expect(await runs.answer('not-a-token-of-any-run', { approved: false })).toBe(false);
  });
});

const createMachine = async (sfn: SFNClient, name: string, definition: unknown) =>
  (
    await sfn.send(
      new CreateStateMachineCommand({ name, roleArn: ROLE, definition: JSON.stringify(definition) }),
    )
  ).stateMachineArn as string;
