import { DynamoTwinStore } from '../../../layers/aws/dynamo/dynamo-twin-store.js';
import { createApi } from '../../../layers/core/api/router.js';
import { LocalWorkflowRuns } from '../../../local/workflows/local-workflow-runs.js';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.js';
import { until } from '../../support/until.js';

describe('LocalWorkflowRuns: what the local engine remembers of its runs', () => {
  let db: LocalDynamo;

  beforeAll(async () => {
    db = await startDynalite();
  });

  afterAll(async () => {
    await db.stop();
  });

  it('keeps the newest finished runs only, so a long-lived runtime does not grow without end', async () => {
    const store = new DynamoTwinStore(db.client, { tableName: await db.newTable() });
    const runs = new LocalWorkflowRuns(store, Date.now, { notify: async () => {} }, 3);
    const api = createApi({ store, workflows: runs, now: Date.now });
    const status = async (id: string) => {
      const res = await api({ method: 'GET', path: `/remediations/${id}`, query: {} });
      return res.status === 404 ? 'forgotten' : (JSON.parse(res.body).status as string);
    };
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await api({ method: 'POST', path: '/remediations', query: {}, body: '{}' });
      expect(res.status).toBe(202);
      const { id } = JSON.parse(res.body) as { id: string };
      ids.push(id);
      // one at a time, so that they finish in the order they started
      await until(
        `run ${id} finished`,
        async () => ((await status(id)) === 'running' ? undefined : true),
        10_000,
      );
    }
    expect(await Promise.all(ids.map(status))).toEqual([
      'forgotten',
      'forgotten',
      'succeeded',
      'succeeded',
      'succeeded',
    ]);
    expect(runs.tally('remediate')).toEqual({ running: 0, succeeded: 3, failed: 0 });
  });
});
