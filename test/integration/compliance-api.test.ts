import { DynamoTwinStore } from '../../layers/aws/dynamo/dynamo-twin-store.js';
import type { ApiPorts } from '../../layers/core/api/ports.js';
import { createApi } from '../../layers/core/api/router.js';
import { REQUEST_COUNT, requestCountTwin } from '../../local/fixtures/twins.js';
import { type LocalDynamo, startDynalite } from '../support/dynalite.js';

const NOW = Date.parse('2026-11-23T12:00:00.000Z');
const MIN = 60_000;

const noWorkflows: ApiPorts['workflows'] = {
  start: async () => {},
  status: async () => ({ status: 'unknown' }),
};

const CPU = {
  key: 'cpu',
  role: 'utilization',
  namespace: 'AWS/EC2',
  metricName: 'CPUUtilization',
  stat: 'Average',
} as const;

const POLICY_YAML = `version: 1
rules:
  - id: cpu-p95
    severity: high
    check: { kind: metric, metric: utilization, stat: p95, windowMinutes: 10, below: 80 }
    remediation: { action: scale }
  - id: headroom
    severity: critical
    applies: { twins: [web] }
    check: { kind: forecast, horizonMinutes: 30, utilizationAbove: 0.9 }
    remediation: { action: notify }
  - id: team-tag
    severity: low
    check: { kind: config, requiredTags: [team] }
    remediation: { action: notify }
`;

describe('compliance policies through the API, on the DynamoDB twin store (dynalite)', () => {
  let db: LocalDynamo;
  let store: DynamoTwinStore;
  let now = NOW;
  let api: ReturnType<typeof createApi>;

  const call = async (method: string, path: string, body?: unknown, contentType?: string) => {
    const res = await api({
      method,
      path,
      query: {},
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      contentType,
    });
    return { status: res.status, body: JSON.parse(res.body) };
  };
  const cpuAt = (twinId: string, v: number, from: number, to: number) =>
    store.appendSamples(
      twinId,
      'cpu',
      Array.from({ length: (to - from) / MIN }, (_, i) => ({ t: from + i * MIN, v })),
    );

  beforeAll(async () => {
    db = await startDynalite();
  });

  beforeEach(async () => {
    now = NOW;
    store = new DynamoTwinStore(db.client, { tableName: await db.newTable() });
    api = createApi({ store, workflows: noWorkflows, now: () => now });
    // web calls db: db has one dependant, web none
    await store.createTwin(requestCountTwin('db', 100, { metrics: [REQUEST_COUNT, CPU] }));
    await store.createTwin(
      requestCountTwin('web', 100, { metrics: [REQUEST_COUNT, CPU], dependsOn: ['db'] }),
    );
    await cpuAt('web', 90, NOW - 10 * MIN, NOW);
    await cpuAt('db', 95, NOW - 10 * MIN, NOW);
    for (const id of ['web', 'db'])
      await store.putRecord(id, 'decision', {
        id: 'd1',
        at: new Date(NOW - 5 * MIN).toISOString(),
        desired: 4,
        previous: 4,
        action: 'recorded-only',
        reason: { capacityPerInstance: 100 },
      });
    // 4 instances of 100/min: p90 demand reaches 380/min (95 %) 10 minutes ahead
    await store.putRecord('web', 'forecast', {
      id: 'f1',
      at: new Date(NOW - 5 * MIN).toISOString(),
      metric: 'requests',
      model: 'test',
      points: [300, 320, 380, 300].map((p90, i) => ({ t: NOW + i * 5 * MIN, p10: 100, p50: 200, p90 })),
    });
  });

  afterAll(async () => {
    await db?.stop();
  });

  test('a YAML policy is stored, listed, read and deleted', async () => {
    const put = await call('PUT', '/policies/base', POLICY_YAML, 'application/yaml');
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ id: 'base', updatedAt: new Date(NOW).toISOString() });
    expect((await call('GET', '/policies')).body.items.map((p: { id: string }) => p.id)).toEqual(['base']);
    const got = await call('GET', '/policies/base');
    expect(got.body.document.rules.map((r: { id: string }) => r.id)).toEqual([
      'cpu-p95',
      'headroom',
      'team-tag',
    ]);
    expect((await call('DELETE', '/policies/base')).status).toBe(200);
    expect((await call('GET', '/policies/base')).status).toBe(404);
    expect((await call('DELETE', '/policies/base')).status).toBe(404);
  });

  test('a policy with a bad rule is refused with 400, naming the line, the field and the rule', async () => {
    const bad = POLICY_YAML.replace('windowMinutes: 10', 'windowMinutes: -1');
    const line = bad.split('\n').findIndex((l) => l.includes('windowMinutes: -1')) + 1;
    const r = await call('PUT', '/policies/base', bad, 'application/yaml');
    expect(r.status).toBe(400);
    expect(r.body.problems).toEqual([
      {
        field: 'body.rules[0].check.windowMinutes',
        message: expect.stringMatching(new RegExp(`^line ${line}, rule "cpu-p95": `)),
      },
    ]);
    expect((await call('GET', '/policies')).body.items).toEqual([]);
  });

  test('a bad policy id is refused with 400 naming the path parameter', async () => {
    const r = await call('PUT', '/policies/Bad_Id', POLICY_YAML, 'application/yaml');
    expect(r.status).toBe(400);
    expect(r.body.problems.map((p: { field: string }) => p.field)).toEqual(['path.id']);
  });

  test('the policy JSON Schema is published', async () => {
    const r = await call('GET', '/schemas/policy.json');
    expect(r.status).toBe(200);
    expect(r.body.$id).toBe('https://twinscale.dev/schemas/policy.json');
  });

  test('evaluation finds the violations, orders them, records them once, and resolves those kept again', async () => {
    // Prepare
    await call('PUT', '/policies/base', POLICY_YAML, 'application/yaml');
    // Act
    const web = await call('POST', '/twins/web/compliance/evaluate', { target: { tags: { team: 'web' } } });
    // Assess: the forecast breach first (critical) with its time, then p95 CPU; the tag is there
    expect(web.status).toBe(200);
    expect(web.body.violations.map((v: { rule: string }) => v.rule)).toEqual(['headroom', 'cpu-p95']);
    expect(web.body.violations[0]).toMatchObject({ expectedAt: '2026-11-23T12:10:00.000Z', observed: 0.95 });
    expect(web.body.violations[1]).toMatchObject({ observed: 90, threshold: 80, fixCost: 24, impact: 0 });
    expect(web.body.recorded).toEqual({ opened: 2, resolved: 0 });

    // db: p95 CPU at 95 on a twin web depends on, its tags not known (no forecast: the rule is web's only)
    const dbEval = await call('POST', '/twins/db/compliance/evaluate', {});
    expect(dbEval.body.violations).toEqual([
      expect.objectContaining({ rule: 'cpu-p95', impact: 1, dependants: 1 }),
    ]);
    expect(dbEval.body.skipped).toEqual([{ policy: 'base', rule: 'team-tag', reason: 'not known: tags' }]);

    // the same findings again write nothing
    const again = await call('POST', '/twins/web/compliance/evaluate', { target: { tags: { team: 'web' } } });
    expect(again.body.recorded).toEqual({ opened: 0, resolved: 0 });
    expect((await store.listRecords('web', 'violation')).items).toHaveLength(2);

    // across twins: critical first, then the more depended-on twin's high
    const listed = await call('GET', '/violations');
    expect(listed.body.items.map((v: { twinId: string; rule: string }) => `${v.twinId}/${v.rule}`)).toEqual([
      'web/headroom',
      'db/cpu-p95',
      'web/cpu-p95',
    ]);

    // CPU settles on web, and the next forecast stays under 90 %: both are resolved and no longer listed
    now = NOW + 20 * MIN;
    await cpuAt('web', 40, NOW, now);
    await store.putRecord('web', 'forecast', {
      id: 'f2',
      at: new Date(now).toISOString(),
      metric: 'requests',
      model: 'test',
      points: [300, 320, 340].map((p90, i) => ({ t: now + i * 5 * MIN, p10: 100, p50: 200, p90 })),
    });
    const later = await call('POST', '/twins/web/compliance/evaluate', { target: { tags: { team: 'web' } } });
    expect(later.body).toMatchObject({ violations: [], skipped: [], recorded: { opened: 0, resolved: 2 } });
    expect((await call('GET', '/violations')).body.items.map((v: { twinId: string }) => v.twinId)).toEqual([
      'db',
    ]);
  });

  test('a deleted policy resolves its open violations at the next evaluation', async () => {
    await call('PUT', '/policies/base', POLICY_YAML, 'application/yaml');
    await call('POST', '/twins/db/compliance/evaluate', {});
    await call('DELETE', '/policies/base');
    now = NOW + MIN;
    const r = await call('POST', '/twins/db/compliance/evaluate', {});
    expect(r.body.recorded).toEqual({ opened: 0, resolved: 1 });
    expect((await call('GET', '/violations')).body.items).toEqual([]);
  });

  test('a rule that cannot be judged now leaves its open violation as it was', async () => {
    await call('PUT', '/policies/base', POLICY_YAML, 'application/yaml');
    const tagged = await call('POST', '/twins/db/compliance/evaluate', { target: { tags: { owner: 'x' } } });
    expect(tagged.body.violations.map((v: { rule: string }) => v.rule)).toEqual(['cpu-p95', 'team-tag']);
    // the tags not given this time: the tag rule is skipped, not resolved
    now = NOW + MIN;
    const untagged = await call('POST', '/twins/db/compliance/evaluate', {});
    expect(untagged.body.recorded).toEqual({ opened: 0, resolved: 0 });
    expect((await call('GET', '/violations')).body.items.map((v: { rule: string }) => v.rule)).toEqual([
      'cpu-p95',
      'team-tag',
    ]);
  });

  test('evaluating a twin that does not exist is a 404', async () => {
    expect((await call('POST', '/twins/nope/compliance/evaluate', {})).status).toBe(404);
  });
});
