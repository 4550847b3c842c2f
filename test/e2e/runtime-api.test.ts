import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Runtime, startRuntime } from '../../local/runtime/runtime.js';
import { until as waitUntil } from '../support/until.js';

/** As fast as the machine goes: about 0.1 s per 5 trace minutes. */
const SPEED = 100_000;

async function api(rt: Runtime, method: string, path: string, body?: unknown) {
  const res = await fetch(`${rt.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) };
}

const until = <T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000) =>
  waitUntil(what, probe, timeoutMs);

describe('the local runtime end to end: real traces → collector → forecast-and-plan → fleets, through HTTP', () => {
  const home = mkdtempSync(join(tmpdir(), 'twinscale-e2e-'));
  let rt: Runtime;

  beforeAll(async () => {
    rt = await startRuntime(
      { home, host: '127.0.0.1', port: 0, speed: SPEED },
      () => {},
      (e) => {
        throw e;
      },
    );
    await until('decisions', async () => {
      const r = await api(rt, 'GET', '/twins/storefront/decisions?limit=1');
      return r.body.items?.length ? r : undefined;
    });
  });

  afterAll(async () => {
    await rt?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  test('the sample twins are listed, collected and decided, with forecasts and capacity moving', async () => {
    const twins = await api(rt, 'GET', '/twins');
    expect(twins.status).toBe(200);
    expect(twins.body.items.map((t: { id: string }) => t.id).sort()).toEqual([
      'checkout',
      'feed-ingest',
      'storefront',
    ]);
    await until('a scale event', async () => {
      for (const id of ['storefront', 'checkout', 'feed-ingest']) {
        const d = await api(rt, 'GET', `/twins/${id}/decisions?limit=100`);
        if (d.body.items.some((x: { action: string }) => x.action === 'scaled')) return true;
      }
      return undefined;
    });
    const one = await api(rt, 'GET', '/twins/checkout');
    expect(one.body.collection.collectedThrough).toBeGreaterThan(Date.parse('2026-11-02T00:00:00Z'));
    const series = await api(rt, 'GET', '/twins/checkout/series?metric=requests');
    expect(series.body.points.length).toBeGreaterThan(100);
    // the week of history the runtime starts from, loaded by the first collection
    const week = await api(
      rt,
      'GET',
      '/twins/checkout/series?metric=requests&from=2026-10-26T00:00:00Z&to=2026-10-27T00:00:00Z',
    );
    expect(week.status).toBe(200);
    expect(week.body.points.length).toBeGreaterThan(200);
    const forecast = await api(rt, 'GET', '/twins/checkout/forecast');
    expect(forecast.body.latest.points).toHaveLength(12);
    expect(forecast.body.band.length).toBeGreaterThan(0);
    for (const p of forecast.body.band) expect(p.p10).toBeLessThanOrEqual(p.p90);
  });

  test('bad input answers 4xx naming the field and what it expects, never a 500', async () => {
    const bad = await api(rt, 'POST', '/twins', {
      id: 'Bad Id',
      target: { kind: 'vm' },
      metrics: [],
      colour: 1,
    });
    expect(bad.status).toBe(400);
    const fields = bad.body.problems.map((p: { field: string }) => p.field);
    expect(fields).toEqual(
      expect.arrayContaining(['body.id', 'body.target.kind', 'body.metrics', 'body.colour']),
    );
    expect(JSON.stringify(bad.body)).not.toMatch(/at .*\.ts:\d+/);

    const notJson = await api(rt, 'POST', '/twins', '{"id": ');
    expect([notJson.status, notJson.body.error]).toEqual([400, 'invalid-request']);
    expect(notJson.body.message).toMatch(/^body: not valid JSON/);

    const range = await api(
      rt,
      'GET',
      '/twins/checkout/series?from=2026-11-03T00:00:00Z&to=2026-11-02T00:00:00Z',
    );
    expect(range.status).toBe(400);
    expect(range.body.problems[0].field).toBe('query.to');
    const longRange = await api(
      rt,
      'GET',
      '/twins/checkout/series?from=2026-10-01T00:00:00Z&to=2026-11-02T00:00:00Z',
    );
    expect(longRange.body.message).toMatch(/at most 14 days/);
    const badTime = await api(rt, 'GET', '/twins/checkout/series?from=yesterday');
    expect(badTime.body.problems[0]).toMatchObject({ field: 'query.from' });
    const metric = await api(rt, 'GET', '/twins/checkout/series?metric=cpu');
    expect([metric.status, metric.body.problems[0].field]).toEqual([400, 'query.metric']);
    const unknownQuery = await api(rt, 'GET', '/twins?limt=5');
    expect(unknownQuery.body.problems[0].field).toBe('query.limt');

    const policy = await api(rt, 'PUT', '/twins/checkout/policy', { quantile: 2, mode: 'yolo' });
    expect(policy.status).toBe(400);
    expect(policy.body.problems.map((p: { field: string }) => p.field).sort()).toEqual([
      'body.mode',
      'body.quantile',
    ]);

    expect((await api(rt, 'GET', '/twins/ghost')).status).toBe(404);
    expect((await api(rt, 'GET', '/twins/ghost/decisions')).status).toBe(404);
    expect((await api(rt, 'GET', '/scenarios/ghost.abc.000000')).status).toBe(404);
    expect((await api(rt, 'GET', '/nowhere')).status).toBe(404);
    const method = await api(rt, 'PATCH', '/twins');
    expect([method.status, method.body.error]).toEqual([405, 'method-not-allowed']);
    expect((await api(rt, 'POST', '/approvals/ghost.abc.0000', { approved: true })).status).toBe(404);
  });

  test('twins are registered, updated and deleted; a duplicate is a conflict', async () => {
    const input = {
      id: 'api-made',
      target: { kind: 'ecs', cluster: 'main', service: 'api' },
      metrics: [
        {
          key: 'requests',
          role: 'load',
          namespace: 'AWS/ApplicationELB',
          metricName: 'RequestCount',
          stat: 'Sum',
        },
      ],
      dependsOn: ['checkout'],
    };
    const created = await api(rt, 'POST', '/twins', input);
    expect([created.status, created.body.version, created.body.policy.mode]).toEqual([
      201,
      1,
      'forecast-only',
    ]);
    expect((await api(rt, 'POST', '/twins', input)).status).toBe(409);
    const updated = await api(rt, 'PUT', '/twins/api-made/policy', {
      targetUtilization: 0.5,
      maxInstances: 8,
    });
    expect([updated.status, updated.body.version, updated.body.policy.targetUtilization]).toEqual([
      200, 2, 0.5,
    ]);
    const graph = await api(rt, 'GET', '/graph');
    expect(graph.body.edges).toEqual(
      expect.arrayContaining([
        { from: 'api-made', to: 'checkout' },
        { from: 'storefront', to: 'checkout' },
      ]),
    );
    const noModel = await api(rt, 'POST', '/twins/api-made/scenarios', {});
    expect([noModel.status, noModel.body.message]).toEqual([409, expect.stringMatching(/no capacity model/)]);
    expect((await api(rt, 'DELETE', '/twins/api-made')).status).toBe(200);
    expect((await api(rt, 'GET', '/twins/api-made')).status).toBe(404);
    expect((await api(rt, 'DELETE', '/twins/api-made')).status).toBe(404);
  });

  test('a what-if scenario runs the scenario state machine and its result is read back', async () => {
    const started = await api(rt, 'POST', '/twins/checkout/scenarios', {
      days: 1,
      whatIf: {
        failures: [{ atMinute: 600, count: 5 }],
        demand: [{ kind: 'surge', fromMinute: 600, toMinute: 720, factor: 2 }],
      },
    });
    expect(started.status).toBe(202);
    expect(started.body.location).toBe(`/scenarios/${started.body.id}`);
    const done = await until('the scenario', async () => {
      const r = await api(rt, 'GET', started.body.location);
      return r.body.status === 'running' ? undefined : r;
    });
    expect(done.body.status).toBe('succeeded');
    const { asItWas, whatIf, timeline } = done.body.result;
    expect(asItWas.map((p: { policy: string }) => p.policy)).toEqual(['twin', 'target-tracking']);
    // the reactive rule cannot see the surge coming: it leaves more demand unserved than on the day
    // as it was (its breach minutes may not grow: the day's clock can put the surge on a peak it
    // was already short through)
    expect(whatIf[1].scores.unservedPct).toBeGreaterThan(asItWas[1].scores.unservedPct);
    expect(whatIf[1].scores.breachMinutes).toBeGreaterThanOrEqual(asItWas[1].scores.breachMinutes);
    expect(timeline.demandWhatIf).toHaveLength(288);
    // the surge doubles demand from minute 600 (slot 120) to 720
    expect(timeline.demandWhatIf[130]).toBeCloseTo(2 * timeline.demandAsItWas[130], 0);
    expect(timeline.demandWhatIf[100]).toBe(timeline.demandAsItWas[100]);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    expect(sum(timeline.breachWhatIf)).toBe(whatIf[0].scores.breachMinutes);
  });

  test('a scenario written in YAML runs into the forecast with a verdict per policy; a YAML error names its line', async () => {
    const post = (body: string) =>
      fetch(`${rt.url}/twins/checkout/scenarios`, {
        method: 'POST',
        headers: { 'content-type': 'application/yaml' },
        body,
      }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as { location: string; message: string },
      }));
    const started = await post(
      'days: 1\nforecastHours: 1\nwhatIf:\n  demand:\n    - { kind: flash-crowd, atMinute: 1450, peak: 4 }\n',
    );
    expect(started.status).toBe(202);
    const done = await until('the YAML scenario', async () => {
      const r = await api(rt, 'GET', started.body.location);
      return r.body.status === 'running' ? undefined : r;
    });
    expect(done.body.status).toBe('succeeded');
    const { window, timeline, verdicts, slo } = done.body.result;
    expect(window).toMatchObject({ minutes: 1500, forecastFromMinute: 1440 });
    expect(timeline.demandWhatIf).toHaveLength(300);
    expect(timeline.forecastFrom).toBe(timeline.t0 + 1440 * 60_000);
    expect(timeline.demandWhatIf[292]).toBeGreaterThan(timeline.demandAsItWas[292]);
    expect(slo).toEqual({ budgetMinutes: 15 });
    expect(verdicts.map((v: { policy: string }) => v.policy)).toEqual(['twin', 'target-tracking']);

    const broken = await post('whatIf:\n  demand:\n    - kind: surge\n     factor: 2\n');
    expect(broken.status).toBe(400);
    expect(broken.body.message).toMatch(/^body: not valid YAML at line 4, column 1: /);
  });

  test('the kill switch stops actuation at once: decisions are recorded only', async () => {
    const paused = await api(rt, 'PUT', '/killswitch', { actuationPaused: true, reason: 'e2e' });
    expect([paused.status, paused.body.actuationPaused]).toEqual([200, true]);
    const from = rt.now();
    const recorded = await until('a decision under the kill switch', async () => {
      const d = await api(rt, 'GET', '/twins/storefront/decisions?limit=5');
      const after = d.body.items.filter((x: { at: string }) => Date.parse(x.at) > from + 5 * 60_000);
      return after.length ? after : undefined;
    });
    expect(recorded[0].action).toBe('recorded-only');
    expect((await api(rt, 'PUT', '/killswitch', { actuationPaused: false })).body.actuationPaused).toBe(
      false,
    );
  });

  test('the OpenAPI document lists every route with its schemas', async () => {
    const doc = await api(rt, 'GET', '/openapi.json');
    expect(Object.keys(doc.body.paths).sort()).toEqual(
      [
        '/approvals/{token}',
        '/drift',
        '/graph',
        '/killswitch',
        '/optimizations/{id}',
        '/scenarios/{id}',
        '/twins',
        '/twins/{id}',
        '/twins/{id}/capacity-fits',
        '/twins/{id}/capacity-model',
        '/twins/{id}/decisions',
        '/twins/{id}/dependencies',
        '/twins/{id}/forecast',
        '/twins/{id}/optimizations',
        '/twins/{id}/policy',
        '/twins/{id}/remediations',
        '/twins/{id}/remediations/compare',
        '/remediation-comparisons/{id}',
        '/remediations',
        '/remediations/{runId}',
        '/twins/{id}/scenarios',
        '/twins/{id}/series',
        '/twins/{id}/promotions',
        '/twins/{id}/shadows',
        '/twins/{id}/shadows/compare',
        '/twins/{id}/shadows/{shadowId}',
        '/twins/{id}/shadows/{shadowId}/promote',
        '/twins/{id}/compliance/evaluate',
        '/policies',
        '/policies/{id}',
        '/schemas/policy.json',
        '/violations',
        '/catalog',
        '/groups',
        '/groups/{tenant}',
        '/groups/{tenant}/capacity-plan',
        '/groups/{tenant}/capacity-plan/apply',
        '/groups/{tenant}/capacity-plans',
        '/twins/{id}/tags',
        '/units',
      ].sort(),
    );
    expect(doc.body.paths['/twins'].post.requestBody.content['application/json'].schema.required).toEqual(
      expect.arrayContaining(['id', 'target', 'metrics']),
    );
  });

  test('a restart resumes the clock and the fleets where they stopped', async () => {
    await rt.stop();
    const stoppedAt = rt.now();
    rt = await startRuntime(
      { home, host: '127.0.0.1', port: 0, speed: SPEED },
      () => {},
      (e) => {
        throw e;
      },
    );
    expect(rt.now()).toBeGreaterThanOrEqual(stoppedAt);
    expect(rt.now()).toBeLessThan(stoppedAt + 60 * 60_000);
    const twins = await api(rt, 'GET', '/twins');
    expect(twins.body.items).toHaveLength(3);
  });
});
