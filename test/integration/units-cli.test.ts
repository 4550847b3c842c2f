import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoTwinStore } from '../../layers/aws/dynamo/dynamo-twin-store.js';
import { createApi } from '../../layers/core/api/router.js';
import { runCli } from '../../local/cli/main.js';
import { startHttpServer } from '../../local/runtime/http-server.js';
import { noWorkflows } from '../support/api-client.js';
import { type LocalDynamo, startDynalite } from '../support/dynalite.js';
import { captureIo } from '../unit/cli/capture-io.js';

const dir = mkdtempSync(join(tmpdir(), 'cli-units-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

/** A group behind nothing (CPU is its load) and one behind an ALB, as YAML with the short forms. */
const TEMPLATE_YAML = `Resources:
  Lb: { Type: AWS::ElasticLoadBalancingV2::LoadBalancer }
  Tg: { Type: AWS::ElasticLoadBalancingV2::TargetGroup }
  Listener:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties:
      LoadBalancerArn: !Ref Lb
      DefaultActions: [{ Type: forward, TargetGroupArn: !Ref Tg }]
  Web:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties: { MinSize: "1", MaxSize: "4", TargetGroupARNs: [!Ref Tg] }
  Batch:
    Type: AWS::AutoScaling::AutoScalingGroup
    Properties: { AutoScalingGroupName: batch, MinSize: "1", MaxSize: "4" }
`;
const ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012';
const NAMES = JSON.stringify({
  Web: 'web-asg',
  Tg: `${ARN}:targetgroup/web/1`,
  Lb: `${ARN}:loadbalancer/app/web-lb/2`,
});

describe('Command: twinscale units', () => {
  let db: LocalDynamo;
  let http: Awaited<ReturnType<typeof startHttpServer>>;

  beforeAll(async () => {
    db = await startDynalite();
    const store = new DynamoTwinStore(db.client, { tableName: await db.newTable() });
    http = await startHttpServer({
      api: createApi({ store, workflows: noWorkflows, now: () => Date.parse('2026-11-23T12:00:00Z') }),
      files: () => undefined,
      host: '127.0.0.1',
      port: 0,
    });
  });
  afterAll(async () => {
    await http?.close();
    await db?.stop();
  });

  it('plans a YAML template offline, creating nothing, and says which twins need names', async () => {
    // Prepare
    const io = captureIo();

    // Act
    const code = await runCli(['units', file('t.yaml', TEMPLATE_YAML), '--stack', 'shop'], io);

    // Assess
    expect(code).toBe(0);
    expect(io.stdout).toMatch(/^template shop: 2 scalable resources \(dry run: nothing created\)/);
    expect(io.stdout).toMatch(
      /would-create +asg-batch +load AWS\/EC2 CPUUtilization AutoScalingGroupName=batch/,
    );
    expect(io.stdout).toMatch(/skipped +shop-web-[0-9a-f]{8} +load AWS\/ApplicationELB RequestCount/);
    expect(io.stdout).toContain(
      '! group name of Web: not named in the template, the logical id stands in for it',
    );
  });

  it('creates the twins through the running API, then finds them there the second time', async () => {
    // Prepare
    const args = ['units', file('t2.yaml', TEMPLATE_YAML), '--names', NAMES, '--api', http.url, '--json'];
    const first = captureIo();
    const second = captureIo();

    // Act
    const code = await runCli(args, first);
    await runCli(args, second);

    // Assess
    expect(code).toBe(0);
    expect(JSON.parse(first.stdout).created.sort()).toEqual(['asg-batch', 'asg-web-asg']);
    expect(JSON.parse(second.stdout)).toMatchObject({ created: [], existing: ['asg-web-asg', 'asg-batch'] });
  });

  it('ends with exit 2 naming what to fix (no unit, two units, a stack without an API, a bad name), 1 when the API cannot read AWS', async () => {
    // Act
    const runs = await Promise.all(
      [
        ['units'],
        ['units', file('t3.yaml', TEMPLATE_YAML), '--task-family', 'f', '--cluster', 'c'],
        ['units', '--stack', 'shop'],
        ['units', '--stack', 'shop', '--api', http.url],
        ['units', file('t4.yaml', TEMPLATE_YAML), '--names', '{"Nope":"x"}'],
      ].map(async (argv) => {
        const io = captureIo();
        return { code: await runCli(argv, io), err: io.stderr };
      }),
    );

    // Assess
    // a 501 is not the flags' fault: the API cannot reach AWS, so it failed (1)
    expect(runs.map((r) => r.code)).toEqual([2, 2, 2, 1, 2]);
    expect(runs[0].err).toMatch(
      /^twinscale units: give one unit: a template file, --stack NAME, or --task-family/,
    );
    expect(runs[1].err).toMatch(/give one unit/);
    expect(runs[2].err).toMatch(/--stack: reading AWS goes through a running API: give --api URL/);
    expect(runs[3].err).toMatch(/answered 501: Reading stack "shop" needs the AWS APIs/);
    expect(runs[4].err).toMatch(/--names: .* has no resource "Nope"/);
  });
});
