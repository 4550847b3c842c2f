import { CreateOrUpdateTagsCommand, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { createTwinTable } from '../../layers/aws/dynamo/table.js';
import { ActuatorInvokeError, actuatorMix } from '../../layers/aws/lambda/actuator-mix.js';
import { isMixRefusal, MixRefusedError, type MixRequest } from '../../layers/core/act/mixed-instances.js';
import { localLambdaContext } from '../../local/workflows/local-state-machine.js';
import { type Moto, motoAvailable, startMoto } from '../support/moto.js';
import { MANAGED, ScalingFixtures } from '../support/scaling-fixtures.js';

const describeMoto = motoAvailable() ? describe : describe.skip;

type Handler = (event: unknown, context: ReturnType<typeof localLambdaContext>) => Promise<unknown>;

/** Lambda's Invoke, run in process: the payload to the actuator handler and its answer back, as bytes. */
const inProcessLambda = (handler: Handler) =>
  ({
    async send(command: InvokeCommand) {
      const event = JSON.parse(new TextDecoder().decode(command.input.Payload as Uint8Array));
      try {
        const out = await handler(event, localLambdaContext('actuator'));
        return { StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify(out)) };
      } catch (e) {
        const error = { errorType: (e as Error).name, errorMessage: (e as Error).message };
        return {
          StatusCode: 200,
          FunctionError: 'Unhandled',
          Payload: new TextEncoder().encode(JSON.stringify(error)),
        };
      }
    },
  }) as unknown as LambdaClient;

describeMoto('capacity plans applied by the actuator Lambda on the API’s behalf (moto_server)', () => {
  let moto: Moto;
  let fx: ScalingFixtures;
  let apply: (request: MixRequest) => ReturnType<ReturnType<typeof actuatorMix>>;

  const request = (name: string, desired: number): MixRequest => ({
    twinId: name,
    target: { kind: 'asg', autoScalingGroupName: name },
    weights: [
      { instanceType: 'c7g.large', weightedCapacity: 1 },
      { instanceType: 'c7g.xlarge', weightedCapacity: 2 },
    ],
    desired,
    maxStep: 3,
  });

  beforeAll(async () => {
    moto = await startMoto();
    fx = new ScalingFixtures(moto);
    await fx.setUp();
    const dynamo = new DynamoDBClient(moto.clientConfig);
    await createTwinTable(dynamo, 'twins-mix');
    dynamo.destroy();
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_ENDPOINT_URL: moto.endpoint,
      // the kill switch is read from the twin table (moto's DynamoDB here)
      TABLE_NAME: 'twins-mix',
      POWERTOOLS_LOG_LEVEL: 'WARN',
    });
    const { handler } = await import('../../functions/actuator/handler.js');
    apply = actuatorMix(inProcessLambda(handler as Handler), 'actuator');
  }, 60_000);

  afterAll(async () => {
    fx?.destroy();
    await moto?.stop();
  });

  test('a managed mixed-instances group gets the weights and a desired capacity within the max step', async () => {
    await fx.mixedGroup('plan-web', { desired: 2, overrides: ['m6g.large'] });
    await fx.clients.autoScaling.send(
      new CreateOrUpdateTagsCommand({
        Tags: [
          {
            ...MANAGED,
            ResourceId: 'plan-web',
            ResourceType: 'auto-scaling-group',
            PropagateAtLaunch: false,
          },
        ],
      }),
    );

    const r = await apply(request('plan-web', 9));

    expect(r).toMatchObject({ action: 'applied', from: 2, to: 5, boundBy: 'max-step' });
    const g = (
      await fx.clients.autoScaling.send(
        new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['plan-web'] }),
      )
    ).AutoScalingGroups?.[0];
    expect(g?.DesiredCapacity).toBe(5);
    expect(
      g?.MixedInstancesPolicy?.LaunchTemplate?.Overrides?.map((o) => [o.InstanceType, o.WeightedCapacity]),
    ).toEqual([
      ['c7g.large', '1'],
      ['c7g.xlarge', '2'],
    ]);
  });

  test('an unmanaged group is refused with the reason, not failed', async () => {
    await fx.mixedGroup('plan-unmanaged', { desired: 2, overrides: ['m6g.large'] });

    const refused = await apply(request('plan-unmanaged', 4)).catch((e: unknown) => e);

    expect(refused).toBeInstanceOf(MixRefusedError);
    expect(isMixRefusal(refused)).toBe(true);
    expect((refused as Error).message).toMatch(/twinscale:managed/);
  });

  test('a bad request fails the invocation: the API sees a fault, not a refusal', async () => {
    const failed = await apply({ ...request('plan-web', 4), weights: [] }).catch((e: unknown) => e);

    expect(failed).toBeInstanceOf(ActuatorInvokeError);
    expect(isMixRefusal(failed)).toBe(false);
  });
});
