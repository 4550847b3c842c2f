import { DynamoTwinStore } from '../../layers/aws/dynamo/dynamo-twin-store.js';
import { createApi } from '../../layers/core/api/router.js';
import { TwinSchema } from '../../layers/core/twin/twin.js';
import { requestCountTwin } from '../../local/fixtures/twins.js';
import { apiClient, noWorkflows } from '../support/api-client.js';
import { type LocalDynamo, startDynalite } from '../support/dynalite.js';
import { follow, loadSeries } from '../unit/graph/synthetic.js';

const NOW = Date.parse('2026-11-23T12:00:00.000Z');
const MIN = 60_000;
const MINUTES = 24 * 60;
const START = NOW - MINUTES * MIN;

const samples = (values: Float64Array) =>
  Array.from(values, (v, m) => ({ t: START + m * MIN, v })).filter((s) => Number.isFinite(s.v));

describe('the dependency graph through the API, on the DynamoDB twin store (dynalite)', () => {
  let db: LocalDynamo;
  let store: DynamoTwinStore;
  let api: ReturnType<typeof createApi>;

  const { call, fields } = apiClient(() => api);

  beforeAll(async () => {
    db = await startDynalite();
  });

  beforeEach(async () => {
    store = new DynamoTwinStore(db.client, { tableName: await db.newTable() });
    api = createApi({ store, workflows: noWorkflows, now: () => NOW });
    // front calls back: back = 0.5 × front 5 minutes later + its own load; other is unrelated
    const front = loadSeries(MINUTES, 1, 21);
    const back = follow(
      front,
      loadSeries(MINUTES, 1, 22, 5).map((v) => 0.2 * v),
      0.5,
      5,
    );
    const other = loadSeries(MINUTES, 1, 23);
    for (const [id, values] of [
      ['front', front],
      ['back', back],
      ['other', other],
    ] as const) {
      await store.createTwin(requestCountTwin(id, 100));
      await store.appendSamples(id, 'requests', samples(values));
    }
  });

  afterAll(async () => {
    await db.stop();
  });

  it('declares an edge with a call ratio and shows it with the lag and confidence the series give', async () => {
    // Act
    const put = await call('PUT', '/twins/front/dependencies', {
      dependsOn: [{ to: 'back', callRatio: 0.5 }],
    });
    const graph = await call('GET', '/graph');

    // Assess
    expect([put.status, put.body.version, put.body.dependsOn]).toEqual([
      200,
      2,
      [{ to: 'back', callRatio: 0.5 }],
    ]);
    expect(graph.body.dependencies).toEqual([
      {
        from: 'front',
        to: 'back',
        source: 'declared',
        callRatio: 0.5,
        lagMinutes: 5,
        confidence: expect.any(Number),
      },
    ]);
    expect(graph.body.dependencies[0].confidence).toBeGreaterThan(0.5);
    expect(graph.body.edges).toEqual([{ from: 'front', to: 'back' }]);
  });

  it('discovers an undeclared edge from the load series, and none with the unrelated twin', async () => {
    const graph = await call('GET', '/graph');

    expect(graph.body.dependencies).toEqual([
      expect.objectContaining({ from: 'front', to: 'back', source: 'discovered', lagMinutes: 5 }),
    ]);
    expect(graph.body.dependencies[0].callRatio).toBeCloseTo(0.5, 1);
    expect(graph.body.discovery).toEqual({ hours: 24, twins: 3 });
  });

  it('gives each node its criticality: what depends on it', async () => {
    await call('PUT', '/twins/other/dependencies', { dependsOn: ['front'] });

    const graph = await call('GET', '/graph', undefined, { hours: '0' });

    // other → front (declared), and with hours=0 nothing is discovered
    const byId = Object.fromEntries(graph.body.nodes.map((n: { id: string }) => [n.id, n]));
    expect([
      byId.front.dependants,
      byId.front.criticality,
      byId.other.dependants,
      byId.back.dependants,
    ]).toEqual([1, 1, 0, 0]);
    expect(graph.body.dependencies[0]).toMatchObject({
      source: 'declared',
      confidence: null,
      callRatio: null,
    });
  });

  it('keeps plain twin ids as they were stored before call ratios', async () => {
    const put = await call('PUT', '/twins/front/dependencies', {
      dependsOn: ['back', { to: 'other', lagMinutes: 3 }],
    });
    const read = await call('GET', '/twins/front');

    expect(read.body.twin.dependsOn).toEqual(['back', { to: 'other', lagMinutes: 3 }]);
    expect(put.status).toBe(200);
    // a twin item written before edges had fields parses unchanged
    expect(TwinSchema.parse({ ...read.body.twin, dependsOn: ['back'] }).dependsOn).toEqual(['back']);
  });

  it("keeps the reverse edges on the called twins' upstreams: declared, estimated, removed with the edge", async () => {
    // Act
    const both = await call('PUT', '/twins/front/dependencies', {
      dependsOn: [{ to: 'back', callRatio: 0.5 }, 'other'],
    });
    const [back, other] = await Promise.all(['back', 'other'].map((id) => store.getTwin(id)));
    const estimated = await call('PUT', '/twins/front/dependencies', { dependsOn: ['back'] });
    const [back2, other2] = await Promise.all(['back', 'other'].map((id) => store.getTwin(id)));

    // Assess: the declared ratio with confidence 1, the lag from the data (a slot: 5 minutes)
    expect([both.status, estimated.status]).toEqual([200, 200]);
    expect(back?.upstreams).toEqual([
      {
        from: 'front',
        ratio: 0.5,
        lagMinutes: 5,
        confidence: 1,
        source: 'declared',
        updatedAt: new Date(NOW).toISOString(),
      },
    ]);
    // unrelated load: an estimate with little confidence, which the planner weighs by its fit
    expect(other?.upstreams).toEqual([expect.objectContaining({ from: 'front', source: 'estimated' })]);
    expect(other?.upstreams[0].confidence).toBeLessThan(0.5);
    // nothing declared: ratio, lag and confidence estimated from the last day of both loads
    expect(back2?.upstreams).toEqual([
      expect.objectContaining({ from: 'front', source: 'estimated', lagMinutes: 5 }),
    ]);
    expect(back2?.upstreams[0].ratio).toBeGreaterThan(0.35);
    expect(back2?.upstreams[0].ratio).toBeLessThan(0.65);
    expect(back2?.upstreams[0].confidence).toBeGreaterThan(0.5);
    expect(other2?.upstreams).toEqual([]);
    expect(fields(estimated)).toEqual([]);
  });

  it('gives a twin created after its caller its upstreams, and takes them back when the caller is deleted', async () => {
    // Prepare: front calls a twin that does not exist yet
    await call('PUT', '/twins/front/dependencies', {
      dependsOn: [{ to: 'late', callRatio: 2, lagMinutes: 0 }],
    });

    // Act
    const created = await call('POST', '/twins', requestCountTwin('late', 100));
    const deleted = await call('DELETE', '/twins/front');
    const after = await store.getTwin('late');

    // Assess
    expect(created.status).toBe(201);
    expect(created.body.upstreams).toEqual([
      expect.objectContaining({ from: 'front', ratio: 2, lagMinutes: 0, confidence: 1, source: 'declared' }),
    ]);
    expect(deleted.status).toBe(200);
    expect(after?.upstreams).toEqual([]);
  });

  it('answers 400 naming the fields at fault', async () => {
    const bad = await call('PUT', '/twins/front/dependencies', {
      dependsOn: [{ to: 'back', callRatio: -1 }],
      extra: 1,
    });
    const self = await call('PUT', '/twins/front/dependencies', { dependsOn: ['back', 'front'] });
    const twice = await call('PUT', '/twins/front/dependencies', { dependsOn: ['back', { to: 'back' }] });

    expect([bad.status, fields(bad)]).toEqual([400, ['body.dependsOn.0.callRatio', 'body.extra']]);
    expect([self.status, fields(self)]).toEqual([400, ['body.dependsOn.1']]);
    expect([twice.status, fields(twice)]).toEqual([400, ['body.dependsOn']]);
  });

  it('names the field inside an edge of the wrong type, or the types an edge may be', async () => {
    const res = await call('PUT', '/twins/front/dependencies', {
      dependsOn: [{ to: 'back', callRatio: 'half' }, 5],
    });

    expect(res.status).toBe(400);
    expect(res.body.problems).toEqual([
      { field: 'body.dependsOn.0.callRatio', message: expect.stringMatching(/expected number/) },
      { field: 'body.dependsOn.1', message: expect.stringMatching(/expected string or object/) },
    ]);
  });

  it('answers 404 for an unknown twin and 409 for a stale version', async () => {
    const missing = await call('PUT', '/twins/nope/dependencies', { dependsOn: [] });
    await call('PUT', '/twins/front/dependencies', { dependsOn: ['back'] });
    const stale = await call('PUT', '/twins/front/dependencies', { dependsOn: [], version: 1 });

    expect([missing.status, stale.status, stale.body.error]).toEqual([404, 409, 'conflict']);
    expect((await call('GET', '/twins/front')).body.twin.dependsOn).toEqual(['back']);
  });
});
