import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoTwinStore } from '../../layers/aws/dynamo/dynamo-twin-store.js';
import { keys } from '../../layers/aws/dynamo/table.js';
import { createApi } from '../../layers/core/api/router.js';
import { planBatch } from '../../layers/core/loop/plan-batch.js';
import type { TwinStore } from '../../layers/core/store/twin-store.js';
import { requestCountTwin } from '../../local/fixtures/twins.js';
import { SimulatedTargets } from '../../local/targets/simulated-targets.js';
import { apiClient, noWorkflows } from '../support/api-client.js';
import { type LocalDynamo, startDynalite } from '../support/dynalite.js';

const NOW = Date.parse('2026-11-23T12:00:00.000Z');
const MIN = 60_000;
const HOURS = 4;
const START = NOW - HOURS * 60 * MIN;

/** Requests per minute over the last four hours: 300/min, then 900/min in the third hour. */
const surge = Array.from({ length: HOURS * 60 }, (_, m) => ({
  t: START + m * MIN,
  v: m >= 120 && m < 180 ? 900 : 300,
}));

describe('shadow candidates through the API, on the DynamoDB twin store (dynalite)', () => {
  let db: LocalDynamo;
  let table: string;
  let store: DynamoTwinStore;
  let api: ReturnType<typeof createApi>;

  const { call, fields } = apiClient(() => api);
  const useStore = (s: TwinStore) => {
    api = createApi({ store: s, workflows: noWorkflows, now: () => NOW });
  };

  beforeAll(async () => {
    db = await startDynalite();
  });

  beforeEach(async () => {
    table = await db.newTable();
    store = new DynamoTwinStore(db.client, { tableName: table });
    useStore(store);
    await store.createTwin(
      requestCountTwin('web', 100, {
        policy: { mode: 'forecast-only', targetUtilization: 0.6, maxStep: 7, maxInstances: 40 },
      }),
    );
  });

  afterAll(async () => {
    await db?.stop();
  });

  test('a candidate is added, listed with the policy it plans with, and removed', async () => {
    const added = await call('POST', '/twins/web/shadows', {
      id: 'eager',
      policy: { targetUtilization: 0.4, quantile: 0.95 },
      note: 'more headroom before the sale',
      addedBy: 'alice',
    });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({
      id: 'eager',
      addedAt: new Date(NOW).toISOString(),
      addedBy: 'alice',
      effectivePolicy: { mode: 'forecast-only', targetUtilization: 0.4, quantile: 0.95, maxStep: 7 },
    });

    const listed = await call('GET', '/twins/web/shadows');
    expect(listed).toMatchObject({ status: 200, body: { twinId: 'web', max: 5, items: [{ id: 'eager' }] } });
    expect((await store.getTwin('web'))?.shadows.map((s) => s.id)).toEqual(['eager']);

    const deleted = await call('DELETE', '/twins/web/shadows/eager');
    expect(deleted).toEqual({ status: 200, body: { twinId: 'web', shadowId: 'eager', deleted: true } });
    expect((await call('GET', '/twins/web/shadows')).body.items).toEqual([]);
  });

  test('a duplicate id, or a sixth candidate, is a conflict', async () => {
    for (const id of ['a', 'b', 'c', 'd', 'e'])
      expect((await call('POST', '/twins/web/shadows', { id, policy: {} })).status).toBe(201);
    const duplicate = await call('POST', '/twins/web/shadows', { id: 'c', policy: { quantile: 0.8 } });
    expect([duplicate.status, duplicate.body.error]).toEqual([409, 'conflict']);
    expect(duplicate.body.message).toMatch(/already has a shadow "c"/);
    const sixth = await call('POST', '/twins/web/shadows', { id: 'f', policy: {} });
    expect(sixth.status).toBe(409);
    expect(sixth.body.message).toMatch(/already has 5 shadows/);
    expect((await store.getTwin('web'))?.shadows).toHaveLength(5);
  });

  test('a bad candidate answers 400 naming each field', async () => {
    const bad = await call('POST', '/twins/web/shadows', {
      id: 'Not Ok',
      policy: { quantile: 2, mode: 'forecast-and-scale' },
      colour: 'red',
    });
    expect(bad.status).toBe(400);
    expect(fields(bad)).toEqual(['body.colour', 'body.id', 'body.policy.mode', 'body.policy.quantile']);
    // on its own it is fine; over the live policy's maxInstances of 40 it is not
    const merged = await call('POST', '/twins/web/shadows', { id: 'big', policy: { minInstances: 50 } });
    expect([merged.status, fields(merged)]).toEqual([400, ['body.policy.minInstances']]);
    expect(merged.body.message).toMatch(/merged over the live policy/);
    const weekly = await call('POST', '/twins/web/shadows', {
      id: 'weekly-search',
      policy: { quantile: 0.8 },
    });
    expect([weekly.status, fields(weekly)]).toEqual([400, ['body.id']]);
    const reserved = await call('DELETE', '/twins/web/shadows/compare');
    expect([reserved.status, fields(reserved)]).toEqual([400, ['path.shadowId']]);
    const range = await call('GET', '/twins/web/shadows/compare', undefined, {
      from: '2026-10-01T00:00:00Z',
      to: '2026-11-01T00:00:00Z',
    });
    expect([range.status, fields(range)]).toEqual([400, ['query.from']]);
  });

  test('an unknown twin or candidate is 404', async () => {
    for (const [method, path, body] of [
      ['GET', '/twins/ghost/shadows'],
      ['POST', '/twins/ghost/shadows', { id: 'x', policy: {} }],
      ['GET', '/twins/ghost/shadows/compare'],
      ['GET', '/twins/ghost/promotions'],
      ['DELETE', '/twins/web/shadows/nope'],
      ['POST', '/twins/web/shadows/nope/promote', { by: 'alice', reason: 'why not' }],
    ] as const) {
      const r = await call(method, path, body);
      expect([method, path, r.status, r.body.error]).toEqual([method, path, 404, 'not-found']);
    }
  });

  test("compare replays the observed load against each side's recorded decisions", async () => {
    const { body: early } = await call('POST', '/twins/web/shadows', {
      id: 'early',
      policy: { quantile: 0.99 },
    });
    await store.appendSamples('web', 'requests', surge);
    for (let m = 0; m < HOURS * 60; m += 5) {
      const at = new Date(START + m * MIN).toISOString();
      // the live decisions react to the surge; the candidate's are there 15 minutes before it
      const live = m >= 120 && m < 185 ? 12 : 5;
      const ahead = m >= 105 && m < 200 ? 12 : 5;
      await store.putRecord('web', 'decision', {
        id: `decision-${at}`,
        at,
        desired: live,
        reason: {},
        action: 'recorded-only',
      });
      await store.putRecord('web', 'shadow-decision', {
        id: `decision-${at}.early`,
        at,
        shadowId: 'early',
        shadowAddedAt: early.addedAt,
        desired: ahead,
        reason: {},
      });
    }

    const r = await call('GET', '/twins/web/shadows/compare');

    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      twinId: 'web',
      from: NOW - 24 * 60 * MIN,
      to: NOW,
      capacityPerInstance: 100,
      warmupMinutes: 5,
    });
    const [c] = r.body.shadows;
    expect(c).toMatchObject({ shadowId: 'early', from: START, to: NOW, decisionsCompared: 48 });
    expect(c.disagreementMinutes).toBe(30);
    expect(c.live.breachMinutes).toBe(5);
    expect(c.shadow.breachMinutes).toBe(0);
    expect(c.shadow.instanceHours).toBeGreaterThan(c.live.instanceHours);
    expect(r.body.live).toEqual(c.live);
  });

  test('the candidates planned by forecast-and-plan are compared with the live decisions of the same slots', async () => {
    const requests = Array.from({ length: 2 * 1440 }, (_, i) => ({
      t: NOW - (2 * 1440 - i) * MIN,
      v: Math.round(300 + 60 * Math.sin((2 * Math.PI * i) / 1440)),
    }));
    await store.appendSamples('web', 'requests', requests);
    await call('POST', '/twins/web/shadows', { id: 'lean', policy: { targetUtilization: 0.8 } });
    const targets = new SimulatedTargets();
    targets.add(
      { kind: 'asg', autoScalingGroupName: 'web' },
      { capacity: 6, running: 6, min: 1, max: 40, managed: true },
    );
    for (const minutes of [30, 25, 20, 15, 10, 5])
      await planBatch(
        { store, target: targets, isTransient: () => false, scheduleMinutes: 5 },
        { now: new Date(NOW - minutes * MIN).toISOString(), twins: { first: 'web', last: 'web', count: 1 } },
      );

    const r = await call('GET', '/twins/web/shadows/compare', undefined, {
      from: String(NOW - 30 * MIN),
      to: String(NOW),
    });

    const [c] = r.body.shadows;
    expect(c).toMatchObject({ shadowId: 'lean', from: NOW - 30 * MIN, decisionsCompared: 6 });
    expect(c.disagreementMinutes).toBe(30);
    expect(c.shadow.instanceHours).toBeLessThan(c.live.instanceHours);
  });

  test('promote makes the candidate the live policy, keeps the mode, and records who, why and the comparison', async () => {
    await call('POST', '/twins/web/shadows', {
      id: 'eager',
      policy: { targetUtilization: 0.4, quantile: 0.95 },
    });
    await call('POST', '/twins/web/shadows', { id: 'other', policy: { maxStep: 2 } });
    await store.appendSamples('web', 'requests', surge);

    const r = await call('POST', '/twins/web/shadows/eager/promote', {
      by: 'alice',
      reason: 'fewer breaches over the week, 8 % more instance-hours',
    });

    expect(r.status).toBe(200);
    expect(r.body.twin).toMatchObject({
      version: 4,
      policy: { mode: 'forecast-only', targetUtilization: 0.4, quantile: 0.95, maxStep: 7, maxInstances: 40 },
      shadows: [{ id: 'other' }],
    });
    const stored = await store.getTwin('web');
    expect(stored?.policy).toEqual(r.body.twin.policy);
    const promotions = await call('GET', '/twins/web/promotions');
    expect(promotions.status).toBe(200);
    expect(promotions.body.items).toHaveLength(1);
    const [p] = promotions.body.items;
    expect(p).toMatchObject({
      at: new Date(NOW).toISOString(),
      shadowId: 'eager',
      by: 'alice',
      reason: 'fewer breaches over the week, 8 % more instance-hours',
      previousPolicy: { targetUtilization: 0.6, quantile: 0.9 },
      policy: { targetUtilization: 0.4, quantile: 0.95 },
      comparison: { window: { from: NOW - 24 * 60 * MIN, to: NOW }, shadowId: 'eager', decisionsCompared: 0 },
    });
    expect(p).toEqual(r.body.promotion);
    // an audit record: kept past the retention period, unlike decisions
    const item = await db.client.send(
      new GetItemCommand({
        TableName: table,
        Key: { pk: { S: keys.twin('web').pk }, sk: { S: keys.record('promotion', p.at, p.id) } },
      }),
    );
    expect(item.Item?.doc).toBeDefined();
    expect(item.Item?.expiresAt).toBeUndefined();
    expect(
      (await call('POST', '/twins/web/shadows/eager/promote', { by: 'bob', reason: 'again' })).status,
    ).toBe(404);
  });

  test('promote needs who and why', async () => {
    await call('POST', '/twins/web/shadows', { id: 'eager', policy: { quantile: 0.95 } });
    const missing = await call('POST', '/twins/web/shadows/eager/promote', {});
    expect([missing.status, fields(missing)]).toEqual([400, ['body.by', 'body.reason']]);
    const blank = await call('POST', '/twins/web/shadows/eager/promote', {
      by: '  ',
      reason: 'x'.repeat(1001),
    });
    expect([blank.status, fields(blank)]).toEqual([400, ['body.by', 'body.reason']]);
    expect((await store.getTwin('web'))?.policy.quantile).toBe(0.9);
    expect((await store.listRecords('web', 'promotion')).items).toEqual([]);
  });

  test('promote retries on a concurrent change of the twin and keeps that change', async () => {
    await call('POST', '/twins/web/shadows', { id: 'eager', policy: { quantile: 0.95 } });
    let raced = false;
    const racing = Object.create(store) as TwinStore;
    racing.updateTwin = async (id, version, patch) => {
      if (!raced) {
        raced = true;
        // the collector refits the capacity model between the read and the write
        await store.updateTwin(id, version, {
          capacityModel: {
            capacityPerInstance: 120,
            low: 110,
            high: 130,
            fittedAt: '2026-11-23T11:59:00.000Z',
          },
        });
      }
      return store.updateTwin(id, version, patch);
    };
    useStore(racing);

    const r = await call('POST', '/twins/web/shadows/eager/promote', { by: 'alice', reason: 'p95 it is' });

    expect(r.status).toBe(200);
    const twin = await store.getTwin('web');
    expect(twin).toMatchObject({
      policy: { quantile: 0.95 },
      capacityModel: { capacityPerInstance: 120 },
      shadows: [],
    });
  });

  test('the OpenAPI document lists the shadow routes with their path parameters', async () => {
    const doc = (await call('GET', '/openapi.json')).body;
    const paths = [
      '/twins/{id}/shadows',
      '/twins/{id}/shadows/{shadowId}',
      '/twins/{id}/shadows/compare',
      '/twins/{id}/shadows/{shadowId}/promote',
      '/twins/{id}/promotions',
    ];
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(paths));
    const ids = new Set<string>();
    for (const [path, methods] of Object.entries(doc.paths) as [
      string,
      Record<string, { operationId: string; parameters: { name: string; in: string }[] }>,
    ][])
      for (const op of Object.values(methods)) {
        ids.add(op.operationId);
        const declared = op.parameters
          .filter((p) => p.in === 'path')
          .map((p) => p.name)
          .sort();
        expect([path, declared]).toEqual([path, [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()]);
      }
    const operations = Object.values(doc.paths).flatMap((m) => Object.keys(m as object));
    expect(ids.size).toBe(operations.length);
    expect(
      doc.paths['/twins/{id}/shadows/{shadowId}/promote'].post.requestBody.content['application/json'].schema
        .required,
    ).toEqual(['by', 'reason']);
  });
});
