import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  CreateLaunchConfigurationCommand,
} from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { Context } from 'aws-lambda';
import { DynamoTwinStore } from '../../layers/aws/dynamo/dynamo-twin-store.js';
import { type LocalDynamo, startDynalite } from '../support/dynalite.js';
import { type Moto, motoAvailable, startMoto } from '../support/moto.js';

const describeMoto = motoAvailable() ? describe : describe.skip;
const MINUTE = 60_000;
const NOW = Math.floor(Date.now() / MINUTE) * MINUTE;

describeMoto('collector Lambda handler, wired to moto_server and dynalite through the environment', () => {
  let moto: Moto;
  let db: LocalDynamo;
  let table: string;

  beforeAll(async () => {
    [moto, db] = await Promise.all([startMoto(), startDynalite()]);
    table = await db.newTable();
    const asg = new AutoScalingClient(moto.clientConfig);
    await asg.send(
      new CreateLaunchConfigurationCommand({
        LaunchConfigurationName: 'lc',
        ImageId: 'ami-12c6146b',
        InstanceType: 't3.micro',
      }),
    );
    await asg.send(
      new CreateAutoScalingGroupCommand({
        AutoScalingGroupName: 'shop',
        LaunchConfigurationName: 'lc',
        MinSize: 0,
        MaxSize: 1,
        AvailabilityZones: ['us-east-1a'],
        Tags: [{ Key: 'twinscale:managed', Value: 'true', PropagateAtLaunch: false }],
      }),
    );
    const cw = new CloudWatchClient({ ...moto.clientConfig, disableRequestCompression: true });
    await cw.send(
      new PutMetricDataCommand({
        Namespace: 'AWS/EC2',
        MetricData: Array.from({ length: 20 }, (_, i) => ({
          MetricName: 'CPUUtilization',
          Dimensions: [{ Name: 'AutoScalingGroupName', Value: 'shop' }],
          Timestamp: new Date(NOW - (20 - i) * MINUTE),
          Value: 40 + i,
        })),
      }),
    );
    asg.destroy();
    cw.destroy();
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
      TABLE_NAME: table,
      POWERTOOLS_LOG_LEVEL: 'WARN',
    });
  });
  afterAll(async () => Promise.all([moto?.stop(), db?.stop()]));

  test('a scheduled run registers the tagged group, collects its CPU, and emits its metrics', async () => {
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => out.push(String(chunk)) > 0) as typeof process.stdout.write;
    try {
      const { handler } = await import('../../functions/collector/handler.js');
      const report = await handler({ now: new Date(NOW).toISOString() }, {
        functionName: 'collector',
      } as Context);
      expect(report).toMatchObject({ twins: 1, samplesAdded: 20, failed: [] });
    } finally {
      process.stdout.write = write;
    }
    const store = new DynamoTwinStore(db.client, { tableName: table });
    const samples = await store.readSamples('asg-shop', 'cpu', NOW - 60 * MINUTE, NOW);
    expect(samples.map((s) => s.v)).toEqual(Array.from({ length: 20 }, (_, i) => 40 + i));
    const emf = out.map((line) => JSON.parse(line)).find((o) => o._aws?.CloudWatchMetrics);
    expect(emf).toMatchObject({ twinsFailed: 0 });
    expect(emf).not.toHaveProperty('samplesCollected');
  });

  test('an event that is not the schedule’s shape is refused, naming the field', async () => {
    const { handler } = await import('../../functions/collector/handler.js');
    await expect(handler({ now: 'soon' }, { functionName: 'collector' } as Context)).rejects.toThrow(/now/);
  });
});
