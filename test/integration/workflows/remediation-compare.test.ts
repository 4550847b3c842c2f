import { DynamoTwinStore } from '../../../layers/aws/dynamo/dynamo-twin-store.js';
import { createApi } from '../../../layers/core/api/router.js';
import type { ComparisonResult } from '../../../layers/core/compliance/strategy-comparison.js';
import { requestCountTwin } from '../../../local/fixtures/twins.js';
import { LocalWorkflowRuns } from '../../../local/workflows/local-workflow-runs.js';
import { apiClient } from '../../support/api-client.js';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.js';

const MIN = 60_000;
const START = Date.parse('2026-11-15T00:00:00.000Z');
const NOW = START + 8 * 1440 * MIN;
/** Eight days of requests per minute: 300 a minute, 1,500 from 09:30 to 17:00. */
const requests = Array.from({ length: 8 * 1440 }, (_, i) => ({
  t: START + i * MIN,
  v: i % 1440 >= 570 && i % 1440 < 1020 ? 1500 : 300,
}));

const cpuRule = {
  id: 'cpu-p95',
  severity: 'high',
  check: { kind: 'metric', metric: 'utilization', stat: 'p95', windowMinutes: 10, below: 80 },
  remediation: { action: 'scale' },
};
const strategies = [
  { kind: 'scale-step', step: 2 },
  { kind: 'raise-floor-to-forecast', quantile: 'p90' },
];

describe('POST /twins/{id}/remediations/compare, run by the local scenario workflow (dynalite)', () => {
  let db: LocalDynamo;
  let store: DynamoTwinStore;
  let runs: LocalWorkflowRuns;
  let api: ReturnType<typeof createApi>;
  const { call, fields } = apiClient(() => api);

  beforeAll(async () => {
    db = await startDynalite();
    store = new DynamoTwinStore(db.client, { tableName: await db.newTable() });
    runs = new LocalWorkflowRuns(store, () => NOW);
    api = createApi({ store, workflows: runs, now: () => NOW });
    await store.createTwin(
      requestCountTwin('web', 100, { policy: { mode: 'forecast-and-scale', maxInstances: 40, maxStep: 4 } }),
    );
    await store.appendSamples('web', 'requests', requests);
    await store.putPolicy({
      id: 'base',
      document: { version: 1, rules: [cpuRule] } as never,
      updatedAt: new Date(NOW).toISOString(),
    });
  });

  afterAll(async () => {
    await runs?.drain();
    await db?.stop();
  });

  test('answers 202 with a location; the stored result sets A beside B for the day and each scenario', async () => {
    // Prepare
    const body = {
      rule: cpuRule,
      strategies,
      scenarios: [
        {
          name: 'flash-crowd',
          whatIf: {
            demand: [{ kind: 'flash-crowd', atMinute: 660, peak: 2, riseMinutes: 2, decayMinutes: 90 }],
          },
        },
      ],
      // judged every 5 minutes: hourly, the live planner has fixed the crowd before a run sees it
      evaluationMinutes: 5,
      pricePerInstanceHour: 0.0832,
    };

    // Act
    const started = await call('POST', '/twins/web/remediations/compare', body);
    await runs.drain();
    const read = await call('GET', started.body.location);

    // Assess
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ twinId: 'web', status: 'running' });
    expect(started.body.location).toBe(`/remediation-comparisons/${started.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({
      id: started.body.id,
      status: 'succeeded',
      input: { kind: 'remediation-comparison', twinId: 'web', days: 1, evaluationMinutes: 5, strategies },
    });
    const result = read.body.result as ComparisonResult;
    expect(result.window).toEqual({
      from: new Date(NOW - 1440 * MIN).toISOString(),
      minutes: 1440,
      evaluationMinutes: 5,
    });
    expect(result.scenarios.map((s) => s.scenario)).toEqual(['as-it-was', 'flash-crowd']);
    for (const s of result.scenarios)
      for (const o of [s.baseline, s.A, s.B]) {
        expect(o.evaluations).toBe(287);
        expect(o.instanceHours).toBeGreaterThan(0);
        expect(o.cost).toBeCloseTo(o.instanceHours * 0.0832, 1);
        expect(o.actionsTaken).toBe(o.actions.length);
      }
    // the crowd breaks the rule under the live planner alone, and both strategies act on it
    const crowd = result.scenarios[1];
    expect(crowd.baseline.violationMinutes).toBeGreaterThan(0);
    expect(crowd.A.actionsTaken + crowd.B.actionsTaken).toBeGreaterThan(0);
    expect(typeof result.total.verdict.reason).toBe('string');
    // stored as the twin's scenario record, under the id the location names
    const [stored] = (await store.listRecords('web', 'scenario')).items;
    expect(stored.id).toBe(started.body.id);
  });

  test("a stored policy's rule is compared by its ids; a rule it does not have is a 400 naming the field", async () => {
    const ok = await call('POST', '/twins/web/remediations/compare', {
      policyRule: { policy: 'base', rule: 'cpu-p95' },
      strategies,
    });
    await runs.drain();
    expect(ok.status).toBe(202);
    const read = await call('GET', ok.body.location);
    expect(read.body).toMatchObject({
      status: 'succeeded',
      input: { policyRule: { policy: 'base', rule: 'cpu-p95' }, rule: { id: 'cpu-p95' } },
    });

    const missing = await call('POST', '/twins/web/remediations/compare', {
      policyRule: { policy: 'base', rule: 'latency' },
      strategies,
    });
    expect(missing.status).toBe(400);
    expect(fields(missing)).toEqual(['body.policyRule.rule']);
    expect(missing.body.message).toContain('has no rule "latency" (its rules: cpu-p95)');
  });

  test.each([
    [
      'three strategies',
      { rule: cpuRule, strategies: [...strategies, { kind: 'none' }] },
      ['body.strategies'],
    ],
    [
      'a step of none',
      { rule: cpuRule, strategies: [{ kind: 'scale-step' }, { kind: 'none' }] },
      ['body.strategies.0.step'],
    ],
    [
      'a config rule',
      { rule: { check: { kind: 'config', minCapacityAtLeast: 2 } }, strategies },
      ['body.rule.check.kind'],
    ],
    [
      'a metric the simulator does not measure',
      {
        rule: { check: { kind: 'metric', metric: 'latency', stat: 'p99', windowMinutes: 5, below: 200 } },
        strategies,
      },
      ['body.rule.check.metric'],
    ],
    [
      'both a rule and a policy rule',
      { rule: cpuRule, policyRule: { policy: 'base', rule: 'cpu-p95' }, strategies },
      ['body.rule'],
    ],
    [
      'a scenario after the replayed day',
      {
        rule: cpuRule,
        strategies,
        scenarios: [{ name: 'late', whatIf: { failures: [{ atMinute: 2000, count: 1 }] } }],
      },
      ['body.scenarios.0.whatIf.failures.0.atMinute'],
    ],
  ])('%s is a 400 naming the field', async (_, body, expected) => {
    const r = await call('POST', '/twins/web/remediations/compare', body);
    expect(r.status).toBe(400);
    expect(fields(r)).toEqual(expected);
  });

  test('an unknown twin is a 404; the route is in the OpenAPI document', async () => {
    const r = await call('POST', '/twins/ghost/remediations/compare', { rule: cpuRule, strategies });
    expect(r.status).toBe(404);
    const spec = await call('GET', '/openapi.json');
    expect(Object.keys(spec.body.paths['/twins/{id}/remediations/compare'])).toEqual(['post']);
    expect(Object.keys(spec.body.paths['/remediation-comparisons/{id}'])).toEqual(['get']);
  });
});
