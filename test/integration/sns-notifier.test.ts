import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { snsNotifier } from '../../layers/aws/sns/sns-notifier.js';
import { type Moto, motoAvailable, startMoto } from '../support/moto.js';
import { until } from '../support/until.js';

const describeMoto = motoAvailable() ? describe : describe.skip;

/** What SNS delivers to a subscribed queue (not raw): the envelope around the message. */
interface Delivery {
  Subject: string;
  Message: string;
  MessageAttributes?: Record<string, { Type: string; Value: string }>;
}

describeMoto('Function: snsNotifier, remediation notices on the alarm topic (moto_server)', () => {
  let moto: Moto;
  let sns: SNSClient;
  let sqs: SQSClient;
  let topicArn: string;
  let queueUrl: string;

  beforeAll(async () => {
    moto = await startMoto();
    sns = new SNSClient(moto.clientConfig);
    sqs = new SQSClient(moto.clientConfig);
    topicArn = (await sns.send(new CreateTopicCommand({ Name: 'alarms' }))).TopicArn as string;
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'inbox' }))).QueueUrl as string;
    const queue = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    await sns.send(
      new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queue.Attributes?.QueueArn }),
    );
  }, 60_000);

  afterAll(async () => {
    sns?.destroy();
    sqs?.destroy();
    await moto?.stop();
  });

  const received = () =>
    until(
      'the notice on the subscribed queue',
      async () => {
        const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }));
        const body = r.Messages?.[0]?.Body;
        return body ? (JSON.parse(body) as Delivery) : undefined;
      },
      10_000,
    );

  test('publishes the notice as JSON under a short subject, its topic a message attribute', async () => {
    // Prepare
    const notice = {
      twinId: 'web',
      violationId: 'ops.min-capacity',
      topic: 'team-checkout',
      message: 'high: minimum capacity below 2',
    };

    // Act
    await snsNotifier(sns, topicArn)(notice);

    // Assess
    const delivery = await received();
    expect(JSON.parse(delivery.Message)).toEqual(notice);
    expect(delivery.Subject).toBe('Twinscale web: ops.min-capacity');
    expect(delivery.MessageAttributes?.topic).toEqual({ Type: 'String', Value: 'team-checkout' });
    expect(delivery.MessageAttributes?.twinId).toEqual({ Type: 'String', Value: 'web' });
  });

  test('a notice without a topic still reaches the alarm topic; the subject stays within SNS’s 100 characters', async () => {
    const notice = { twinId: 'w'.repeat(80), violationId: 'ops.approval', message: 'approval needed' };

    await snsNotifier(sns, topicArn)(notice);

    const delivery = await received();
    expect(JSON.parse(delivery.Message)).toEqual(notice);
    expect(delivery.Subject).toHaveLength(100);
    expect(delivery.MessageAttributes).not.toHaveProperty('topic');
  });
});
