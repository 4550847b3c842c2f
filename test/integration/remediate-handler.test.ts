import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoTwinStore } from '../../layers/aws/dynamo/dynamo-twin-store.js';
import type { RecordOf } from '../../layers/core/store/records.js';
import { requestCountTwin } from '../../local/fixtures/twins.js';
import { localLambdaContext } from '../../local/workflows/local-state-machine.js';
import { type LocalDynamo, startDynalite } from '../support/dynalite.js';
import { type Moto, motoAvailable, startMoto } from '../support/moto.js';
import { until } from '../support/until.js';

const describeMoto = motoAvailable() ? describe : describe.skip;

const violation = {
  id: 'ops.notify-oncall',
  at: '2026-11-23T12:00:00.000Z',
  policy: 'ops',
  rule: 'notify-oncall',
  severity: 'high',
  status: 'open',
  message: 'p95 utilization above 80',
  impact: 0,
  fixCost: 0,
  remediation: { action: 'notify', topic: 'team-web' },
} satisfies RecordOf<'violation'>;

/** The violation as the workflow's Map hands it to each step. */
const item = {
  twinId: 'web',
  violationId: violation.id,
  severity: violation.severity,
  message: violation.message,
  remediation: violation.remediation,
  policy: violation.policy,
  rule: violation.rule,
  approval: 'required',
  timeoutSeconds: 86_400,
  execution: 'run-1',
};

describeMoto(
  'remediate Lambda handler, wired to moto_server (SNS) and dynalite through the environment',
  () => {
    let moto: Moto;
    let db: LocalDynamo;
    let sqs: SQSClient;
    let queueUrl: string;
    let handler: (event: unknown, context: ReturnType<typeof localLambdaContext>) => Promise<unknown>;

    /** The next notice the alarm topic delivered to its subscribed queue: subject, message, attributes. */
    const nextNotice = () =>
      until(
        'a notice on the alarm topic',
        async () => {
          const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }));
          const m = r.Messages?.[0];
          if (!m?.Body) return undefined;
          await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
          return JSON.parse(m.Body) as {
            Subject: string;
            Message: string;
            MessageAttributes?: Record<string, { Value: string }>;
          };
        },
        10_000,
      );

    beforeAll(async () => {
      [moto, db] = await Promise.all([startMoto(), startDynalite()]);
      const table = await db.newTable();
      const sns = new SNSClient(moto.clientConfig);
      sqs = new SQSClient(moto.clientConfig);
      const topicArn = (await sns.send(new CreateTopicCommand({ Name: 'alarms' }))).TopicArn;
      queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'oncall' }))).QueueUrl as string;
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
      );
      await sns.send(
        new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: Attributes?.QueueArn }),
      );
      sns.destroy();
      const store = new DynamoTwinStore(db.client, { tableName: table });
      await store.createTwin(requestCountTwin('web', 100));
      await store.putRecord('web', 'violation', violation);
      Object.assign(process.env, {
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
        AWS_ENDPOINT_URL: moto.endpoint,
        AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
        TABLE_NAME: table,
        ALERT_TOPIC_ARN: topicArn,
        POWERTOOLS_LOG_LEVEL: 'WARN',
      });
      ({ handler } = await import('../../functions/remediate/handler.js'));
    }, 60_000);

    afterAll(async () => {
      sqs?.destroy();
      await Promise.all([moto?.stop(), db?.stop()]);
    });

    const context = () => localLambdaContext('remediate');

    test('list: the open violation with its remediation, as the Map hands it on', async () => {
      const listed = (await handler(
        {
          step: 'list',
          request: { twinId: 'web', approval: 'required', evaluate: false },
          execution: { name: 'run-1', startTime: '2026-11-23T13:00:00.000Z' },
        },
        context(),
      )) as { items: unknown[] };
      expect(listed.items).toEqual([item]);
    });

    test('ask: the approval request reaches a person on the alarm topic, with the token to answer', async () => {
      const { approvalToken } = (await handler(
        { step: 'ask', taskToken: 'task-token-1', item },
        context(),
      )) as {
        approvalToken: string;
      };
      const notice = await nextNotice();
      expect(notice.Subject).toBe('Twinscale web: ops.notify-oncall');
      expect(JSON.parse(notice.Message).message).toContain(`POST /approvals/${approvalToken}`);
    });

    test('act: a notify remediation publishes the notice, its topic a message attribute', async () => {
      const step = (await handler(
        { step: 'act', decision: 'approved', item },
        context(),
      )) as RecordOf<'remediation'>;
      expect(step).toMatchObject({ outcome: 'done', decision: 'approved' });
      const notice = await nextNotice();
      expect(JSON.parse(notice.Message)).toMatchObject({ twinId: 'web', topic: 'team-web' });
      expect(notice.MessageAttributes?.topic?.Value).toBe('team-web');
    });

    test('an event that is no step of the workflow is refused, naming the field', async () => {
      await expect(handler({ step: 'list' }, context())).rejects.toThrow(/request/);
    });
  },
);
