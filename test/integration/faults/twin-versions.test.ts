import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoTwinStore } from '../../../layers/aws/dynamo/dynamo-twin-store.js';
import { createApi } from '../../../layers/core/api/router.js';
import { TwinConflictError } from '../../../layers/core/store/twin-store.js';
import type { TwinPatch } from '../../../layers/core/twin/twin.js';
import { fittedCapacity, requestCountTwin } from '../../../local/fixtures/twins.js';
import { apiClient, noWorkflows } from '../../support/api-client.js';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.js';
import { dynamoClientFor, FaultLedger, injectDynamoFaults } from '../../support/faults.js';

const NOW = Date.parse('2026-11-23T12:00:00.000Z');
const ledger = new FaultLedger();
const isTwinItem = (_pk: string, sk: string) => sk === '#TWIN';

describe('twin versions under concurrent writers and lost acknowledgements (dynalite)', () => {
  let db: LocalDynamo;
  let client: DynamoDBClient;
  let store: DynamoTwinStore;

  beforeAll(async () => {
    db = await startDynalite();
  });
  beforeEach(async () => {
    client = dynamoClientFor(db.endpoint);
    store = new DynamoTwinStore(client, { tableName: await db.newTable() });
    await store.createTwin(requestCountTwin('web', 100));
  });
  afterEach(() => client.destroy());
  afterAll(async () => {
    ledger.write('twin-versions');
    await db?.stop();
  });

  const api = () => apiClient(() => createApi({ store, workflows: noWorkflows, now: () => NOW })).call;
  /** A loop writer (the capacity refit, the upstream sync): read, patch, and on a conflict read again. */
  const loopWriter = async (patch: TwinPatch) => {
    for (let attempt = 0; ; attempt++) {
      const twin = await store.getTwin('web');
      try {
        return await store.updateTwin('web', twin?.version ?? 0, patch);
      } catch (e) {
        if (!(e instanceof TwinConflictError) || attempt === 9) throw e;
      }
    }
  };

  test('a PUT of the policy racing two loop writers: each change lands, versions step by one, none is lost', async () => {
    const policy = { mode: 'forecast-and-scale', targetUtilization: 0.55, maxStep: 7 };
    const [put, refit, tagged] = await Promise.all([
      api()('PUT', '/twins/web/policy', policy),
      loopWriter({ capacityModel: fittedCapacity(120) }),
      loopWriter({ tags: { team: 'shop' } }),
    ]);
    expect(put.status).toBe(200);
    // the writes were serialized by the version condition: 2, 3 and 4, in some order
    expect([put.body.version, refit.version, tagged.version].sort()).toEqual([2, 3, 4]);
    const final = await store.getTwin('web');
    expect(final).toMatchObject({
      version: 4,
      policy: { mode: 'forecast-and-scale', targetUtilization: 0.55, maxStep: 7 },
      capacityModel: { capacityPerInstance: 120 },
      tags: { team: 'shop' },
    });
  });

  test("a twin write whose acknowledgement is lost: the SDK's retry meets it as a conflict, the caller is told, its change stands once", async () => {
    const faults = injectDynamoFaults(
      client,
      [{ op: 'PutItem', kind: 'lost-ack', key: isTwinItem, times: 1 }],
      ledger,
      { layer: 'attempt' },
    );
    // visible: a caller without a retry loop gets the conflict, naming the version it found
    await expect(store.updateTwin('web', 1, { tags: { team: 'shop' } })).rejects.toThrow(TwinConflictError);
    expect(faults.fired()).toBe(1);
    const after = await store.getTwin('web');
    expect(after).toMatchObject({ version: 2, tags: { team: 'shop' } });
    // a writer holding the old version is refused: the version only grows, nothing is overwritten
    await expect(store.updateTwin('web', 1, { tags: { team: 'other' } })).rejects.toThrow(TwinConflictError);
    expect((await store.getTwin('web'))?.tags).toEqual({ team: 'shop' });
    ledger.survived();
  });

  test('the PUT route survives a lost acknowledgement and a throttled read by reading again: 200, the policy stored, one version per write', async () => {
    injectDynamoFaults(
      client,
      [
        { op: 'PutItem', kind: 'lost-ack', key: isTwinItem, times: 1 },
        { op: 'GetItem', kind: 'throttle', key: isTwinItem, calls: [2] },
      ],
      ledger,
      { layer: 'attempt' },
    );
    const put = await api()('PUT', '/twins/web/policy', { mode: 'forecast-and-scale', maxStep: 3 });
    expect(put.status).toBe(200);
    const final = await store.getTwin('web');
    expect(final?.policy).toMatchObject({ mode: 'forecast-and-scale', maxStep: 3 });
    // the lost acknowledgement costs one extra version (the route reapplied the same policy), never a lost write
    expect(final?.version).toBe(3);
    ledger.survived();
  });
});
