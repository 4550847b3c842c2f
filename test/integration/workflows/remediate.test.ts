import { DynamoTwinStore } from '../../../layers/aws/dynamo/dynamo-twin-store.js';
import { createApi } from '../../../layers/core/api/router.js';
import {
  RemediateEventSchema,
  type RemediationNotice,
  remediateStep,
} from '../../../layers/core/compliance/remediate.js';
import type { RecordOf } from '../../../layers/core/store/records.js';
import { requestCountTwin } from '../../../local/fixtures/twins.js';
import { LocalStateMachine } from '../../../local/workflows/local-state-machine.js';
import { LocalWorkflowRuns } from '../../../local/workflows/local-workflow-runs.js';
import { type LocalDynamo, startDynalite } from '../../support/dynalite.js';
import { until } from '../../support/until.js';

type Violation = RecordOf<'violation'>;
const violation = (
  rule: string,
  severity: Violation['severity'],
  remediation: Violation['remediation'],
  impact = 0,
) =>
  ({
    id: `ops.${rule}`,
    at: '2026-11-23T12:00:00.000Z',
    policy: 'ops',
    rule,
    severity,
    status: 'open',
    message: `${rule} broken`,
    impact,
    fixCost: 0,
    remediation,
  }) satisfies Violation;

describe('remediate state machine, run locally with the core functions on dynalite', () => {
  let db: LocalDynamo;
  let store: DynamoTwinStore;
  let notices: RemediationNotice[];
  let acted: string[];
  let machine: LocalStateMachine;
  let api: ReturnType<typeof createApi>;

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await api({
      method,
      path,
      query: {},
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: JSON.parse(res.body) };
  };
  const steps = async (twinId = 'web') =>
    (await call('GET', `/twins/${twinId}/remediations`)).body.items as RecordOf<'remediation'>[];
  const minInstances = async () => (await store.getTwin('web'))?.policy.minInstances;
  /** The approval token, once the run has asked for it. */
  const approvalToken = () =>
    until(
      'the approval request',
      async () => (await steps()).find((s) => s.decision === 'requested')?.approvalToken,
      10_000,
    );

  beforeAll(async () => {
    db = await startDynalite();
  });

  afterAll(async () => {
    await db.stop();
  });

  beforeEach(async () => {
    store = new DynamoTwinStore(db.client, { tableName: await db.newTable() });
    notices = [];
    acted = [];
    const ports = {
      store,
      now: () => Date.now(),
      notify: async (n: RemediationNotice) => {
        notices.push(n);
      },
    };
    machine = new LocalStateMachine('remediate', {
      RemediateFunctionArn: async (event) => {
        const e = RemediateEventSchema.parse(event);
        if (e.step === 'act') acted.push(e.item.violationId);
        return remediateStep(e, ports);
      },
    });
    api = createApi({ store, workflows: new LocalWorkflowRuns(store, Date.now), now: Date.now });
    await store.createTwin(requestCountTwin('web', 100));
    await store.putRecord(
      'web',
      'violation',
      violation('min-floor', 'high', { action: 'change-bounds', min: 3 }),
    );
  });

  test('auto: the change of bounds is carried out at once and recorded', async () => {
    expect(await minInstances()).toBeUndefined();
    await machine.run({ twinId: 'web', approval: 'auto' });
    expect(await minInstances()).toBe(3);
    const [step] = await steps();
    expect(step).toMatchObject({
      violationId: 'ops.min-floor',
      action: 'change-bounds',
      decision: 'auto',
      by: 'twinscale',
      outcome: 'done',
    });
  });

  test('required: the run waits; an approval through the API resumes it and it is carried out', async () => {
    const run = machine.run({ twinId: 'web' });
    const token = await approvalToken();
    expect(await minInstances()).toBeUndefined();
    const answer = await call('POST', `/approvals/${token}`, { approved: true, by: 'ana', comment: 'go' });
    expect(answer.status).toBe(200);
    await run;
    expect(await minInstances()).toBe(3);
    expect((await steps()).map((s) => [s.decision, s.outcome, s.by])).toEqual(
      expect.arrayContaining([
        ['requested', 'pending', undefined],
        ['approved', 'done', 'ana'],
      ]),
    );
  });

  test('required: a rejection is recorded and changes nothing', async () => {
    const run = machine.run({ twinId: 'web', approval: 'required' });
    const token = await approvalToken();
    expect((await call('POST', `/approvals/${token}`, { approved: false, by: 'bo' })).status).toBe(200);
    await run;
    expect(await minInstances()).toBeUndefined();
    expect(acted).toEqual([]);
    expect((await steps()).find((s) => s.decision !== 'requested')).toMatchObject({
      decision: 'rejected',
      outcome: 'skipped',
      by: 'bo',
    });
  });

  test('required: no answer within the timeout counts as rejected and changes nothing', async () => {
    await machine.run({ twinId: 'web', approval: 'required', timeoutSeconds: 1 });
    expect(await minInstances()).toBeUndefined();
    expect(acted).toEqual([]);
    expect((await steps()).find((s) => s.decision !== 'requested')).toMatchObject({
      decision: 'timed-out',
      outcome: 'skipped',
    });
  });

  test('remediations run one at a time in priority order: severity, then impact', async () => {
    await store.putRecord('web', 'violation', violation('low-tag', 'low', { action: 'notify' }));
    await store.putRecord('web', 'violation', violation('crit-headroom', 'critical', { action: 'notify' }));
    await store.createTwin(requestCountTwin('db', 100));
    await store.putRecord('db', 'violation', violation('db-floor', 'high', { action: 'notify' }, 5));
    await machine.run({ approval: 'auto' });
    expect(acted).toEqual(['ops.crit-headroom', 'ops.db-floor', 'ops.min-floor', 'ops.low-tag']);
    expect(notices.map((n) => n.violationId)).toEqual(['ops.crit-headroom', 'ops.db-floor', 'ops.low-tag']);
    expect(await minInstances()).toBe(3);
  });
});
