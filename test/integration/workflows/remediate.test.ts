import { DynamoTwinStore } from '../../../layers/aws/dynamo/dynamo-twin-store.js';
import type { ActuationResult } from '../../../layers/core/act/actuate.js';
import type { ActuationRequest, TargetState } from '../../../layers/core/act/scaling-target.js';
import { createApi } from '../../../layers/core/api/router.js';
import {
  type RemediateEvent,
  RemediateEventSchema,
  type RemediatePorts,
  RemediateRequestSchema,
  type RemediationItem,
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
  let inFlight: number;
  let target: TargetState;
  let actRequests: ActuationRequest[];
  let mostInFlight: number;
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
  /** The approval tokens, once the run has asked for `n` of them. */
  const approvalTokens = (n: number) =>
    until(
      `${n} approval requests`,
      async () => {
        const tokens = (await steps())
          .filter((s) => s.decision === 'requested' && s.outcome === 'pending')
          .map((s) => s.approvalToken as string);
        return tokens.length >= n ? tokens : undefined;
      },
      10_000,
    );
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
    target = {
      capacity: 2,
      running: 2,
      min: 1,
      max: 10,
      managed: true,
      instanceTypes: ['m5.large'],
      tags: {},
    };
    actRequests = [];
    const ports = {
      store,
      now: () => Date.now(),
      notify: async (n: RemediationNotice) => {
        notices.push(n);
      },
      actuation: {
        target: { describe: async () => target },
        act: async (request: ActuationRequest): Promise<ActuationResult> => {
          actRequests.push(request);
          return { action: 'scaled', from: target.capacity, to: request.desired, message: 'scaled' };
        },
      },
    };
    inFlight = 0;
    mostInFlight = 0;
    machine = new LocalStateMachine('remediate', {
      RemediateFunctionArn: async (event) => {
        const e = RemediateEventSchema.parse(event);
        if (e.step !== 'act') return remediateStep(e, ports);
        acted.push(e.item.violationId);
        // a step that takes a while: items run side by side would overlap here
        mostInFlight = Math.max(mostInFlight, ++inFlight);
        await new Promise((r) => setTimeout(r, 25));
        try {
          return await remediateStep(e, ports);
        } finally {
          inFlight--;
        }
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
    await machine.run({ twinId: 'web', approval: 'auto', evaluate: false });
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
    const run = machine.run({ twinId: 'web', evaluate: false });
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
    const run = machine.run({ twinId: 'web', approval: 'required', evaluate: false });
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
    await machine.run({ twinId: 'web', approval: 'required', timeoutSeconds: 1, evaluate: false });
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
    await machine.run({ approval: 'auto', evaluate: false });
    expect(acted).toEqual(['ops.crit-headroom', 'ops.db-floor', 'ops.min-floor', 'ops.low-tag']);
    expect(mostInFlight).toBe(1);
    expect(notices.map((n) => n.violationId)).toEqual(['ops.crit-headroom', 'ops.db-floor', 'ops.low-tag']);
    expect(await minInstances()).toBe(3);
  });
  test('a run that reaches an item another run asked about since it listed it does not ask again', async () => {
    await store.putRecord('web', 'violation', violation('low-tag', 'low', { action: 'notify' }));
    const requests = async (violationId: string) =>
      (await steps()).filter((s) => s.violationId === violationId && s.decision === 'requested');
    // run A lists both; the first (high) waits for a person and holds the second back
    // waits end on their own within 10 s: without the check, A's second request would hold the test
    const a = machine.run({ twinId: 'web', evaluate: false, timeoutSeconds: 10 });
    const [floorToken] = await approvalTokens(1);
    const aRun = (await requests('ops.min-floor'))[0].execution;
    // run B (the hourly one) skips the waiting floor and asks about the second
    const b = machine.run({ twinId: 'web', evaluate: false, timeoutSeconds: 10 });
    const [tagRequest] = await until(
      'run B to ask about the tag',
      async () => {
        const r = await requests('ops.low-tag');
        return r.length ? r : undefined;
      },
      10_000,
    );
    expect(tagRequest.execution).not.toBe(aRun);
    // A's approval is answered: A carries the floor out and reaches its own item for the tag
    expect((await call('POST', `/approvals/${floorToken}`, { approved: true, by: 'ana' })).status).toBe(200);
    await a;
    expect(await minInstances()).toBe(3);
    const tagRequests = await requests('ops.low-tag');
    expect(tagRequests).toHaveLength(1);
    expect(tagRequests[0].execution).toBe(tagRequest.execution);
    // nothing recorded for A on the tag: B's wait stays the newest step
    expect((await steps()).filter((s) => s.violationId === 'ops.low-tag')).toHaveLength(1);
    expect(
      (await call('POST', `/approvals/${tagRequest.approvalToken}`, { approved: false, by: 'bo' })).status,
    ).toBe(200);
    await b;
    expect(notices.filter((n) => /approval needed/.test(n.message))).toHaveLength(2);
  });

  test('the check counts only other runs’ steps (a retried step does its own work); `again` lets every item through', async () => {
    let t = Date.parse('2026-11-23T13:00:00.000Z');
    // a clock a step ahead each read: each step is newer than the one before
    const p: RemediatePorts = { store, now: () => (t += 1000) };
    const step = (e: RemediateEvent) => remediateStep(e, p);
    const { items } = (await step({
      step: 'list',
      request: RemediateRequestSchema.parse({ twinId: 'web', evaluate: false }),
      execution: { name: 'run-1', startTime: '2026-11-23T13:00:00.000Z' },
    })) as { items: RemediationItem[] };
    const item = { ...items[0], remediation: { action: 'notify' as const } };
    expect(await step({ step: 'check', item })).toEqual({ handled: false });
    await step({ step: 'ask', taskToken: 'token-1', item });
    // a retried check of run-1, after its own request, still lets its work through
    expect(await step({ step: 'check', item })).toEqual({ handled: false });
    // run-2, which listed it before run-1 asked, reaches the same violation
    const other = { ...item, execution: 'run-2' };
    expect(await step({ step: 'check', item: other })).toMatchObject({
      handled: true,
      by: 'run-1',
      decision: 'requested',
      outcome: 'pending',
    });
    expect(await step({ step: 'check', item: { ...other, again: true } })).toEqual({ handled: false });
    // run-1's notice fails (no alerts port): a failure is tried again
    expect(await step({ step: 'act', decision: 'approved', item })).toMatchObject({ outcome: 'failed' });
    expect(await step({ step: 'check', item: other })).toEqual({ handled: false });
  });

  describe('evaluating first (the default): violations come from the policies and the target as described', () => {
    const floorPolicy = {
      version: 1,
      rules: [
        {
          id: 'floor',
          severity: 'high',
          check: { kind: 'config', minCapacityAtLeast: 3 },
          remediation: { action: 'change-bounds' },
        },
        {
          id: 'types',
          severity: 'medium',
          check: { kind: 'config', allowedInstanceTypes: ['m6g.large'] },
          remediation: { action: 'notify' },
        },
      ],
    };

    beforeEach(async () => {
      // the hand-built violation of the outer suite belongs to no stored policy: evaluation resolves it
      expect((await call('PUT', '/policies/ops', floorPolicy)).status).toBe(200);
    });

    test('a run evaluates, fixes the floor, and the next run finds it kept and the other rule already handled', async () => {
      await machine.run({ approval: 'auto' });
      expect(await minInstances()).toBe(3);
      // instance types come from the described target, not from the caller
      expect(notices.map((n) => n.violationId)).toEqual(['ops.types']);
      const violations = (await call('GET', '/violations')).body.items as RecordOf<'violation'>[];
      expect(violations.find((v) => v.id === 'ops.floor')?.status).toBe('open');

      acted = [];
      await machine.run({ approval: 'auto' });
      // the floor is now kept (resolved); the type notice was sent for this opening already
      expect(acted).toEqual([]);
      // GET /violations lists the open ones
      const latest = (await call('GET', '/violations')).body.items as RecordOf<'violation'>[];
      expect(latest.map((v) => v.id)).toEqual(['ops.types']);
      expect(notices).toHaveLength(1);
    });

    test('a rejection stands for this opening of the violation; `again` asks once more', async () => {
      const first = machine.run({ twinId: 'web', approval: 'required' });
      // the notice tells a person where to answer
      await until(
        'the approval notice',
        async () => notices.find((n) => /approval needed/.test(n.message)),
        10_000,
      );
      // one at a time: the second is asked only once the first is answered
      const answered = new Set<string>();
      for (let i = 0; i < 2; i++) {
        const [token] = (await approvalTokens(answered.size + 1)).filter((t) => !answered.has(t));
        expect((await call('POST', `/approvals/${token}`, { approved: false, by: 'bo' })).status).toBe(200);
        answered.add(token);
      }
      await first;
      const asked = (await steps()).filter((s) => s.decision === 'requested').length;
      expect(asked).toBe(2);

      await machine.run({ twinId: 'web', approval: 'required', timeoutSeconds: 1 });
      expect((await steps()).filter((s) => s.decision === 'requested').length).toBe(asked);

      await machine.run({ twinId: 'web', approval: 'required', timeoutSeconds: 1, again: true });
      expect((await steps()).filter((s) => s.decision === 'requested').length).toBe(asked + 2);
      expect(await minInstances()).toBeUndefined();
    });

    test('a scale remediation goes through the actuator with a decision id of its own, within the max step', async () => {
      const twin = await store.getTwin('web');
      if (!twin) throw new Error('the twin');
      await store.updateTwin('web', twin.version, {
        policy: { ...twin.policy, mode: 'forecast-and-scale', maxStep: 2 },
      });
      expect(
        (
          await call('PUT', '/policies/ops', {
            version: 1,
            rules: [
              {
                id: 'floor',
                severity: 'high',
                check: { kind: 'config', minCapacityAtLeast: 3 },
                remediation: { action: 'scale', maxStep: 5 },
              },
            ],
          })
        ).status,
      ).toBe(200);
      await machine.run({ twinId: 'web', approval: 'auto' });
      expect(actRequests).toHaveLength(1);
      expect(actRequests[0]).toMatchObject({ twinId: 'web', desired: 7, maxStep: 2 });
      expect(actRequests[0].decisionId).toMatch(/^remediation\.ops\.floor\./);
    });
  });

  describe('through the API', () => {
    let runs: LocalWorkflowRuns;

    beforeEach(() => {
      runs = new LocalWorkflowRuns(store, Date.now, {
        notify: async (n) => {
          notices.push(n);
        },
      });
      api = createApi({ store, workflows: runs, now: Date.now });
    });

    afterEach(() => runs.drain());

    test('POST /remediations starts a run; GET /remediations/{id} follows it to the end', async () => {
      const started = await call('POST', '/remediations', { approval: 'auto', evaluate: false });
      expect(started.status).toBe(202);
      expect(started.body.location).toBe(`/remediations/${started.body.id}`);
      const done = await until(
        'the run to end',
        async () => {
          const r = await call('GET', started.body.location);
          return r.body.status === 'running' ? undefined : r;
        },
        10_000,
      );
      expect(done).toMatchObject({ status: 200, body: { status: 'succeeded' } });
      expect(await minInstances()).toBe(3);
    });

    test('bad requests name the field; an unknown twin or run is a 404', async () => {
      const bad = await call('POST', '/remediations', { approval: 'sometimes' });
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body)).toMatch(/body\.approval/);
      expect((await call('POST', '/remediations', { twinId: 'nope' })).status).toBe(404);
      expect((await call('GET', '/remediations/remediate-abc-000000')).status).toBe(404);
      expect((await call('GET', '/remediations/not-a-run')).status).toBe(400);
    });

    test('a run waiting for approval is stopped when the runtime stops', async () => {
      await call('POST', '/remediations', { twinId: 'web', evaluate: false });
      await approvalToken();
      await runs.drain();
      expect(await minInstances()).toBeUndefined();
    });
  });
});
