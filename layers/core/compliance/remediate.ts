import { z } from 'zod';
import type { ActuationResult } from '../act/actuate.js';
import type { ActuationRequest, ScalingTarget } from '../act/scaling-target.js';
import { newRecordRef } from '../api/record-ref.js';
import { inParallel } from '../in-parallel.js';
import type { RecordOf } from '../store/records.js';
import { allTwins, TwinConflictError, type TwinStore } from '../store/twin-store.js';
import { type Twin, TwinIdSchema } from '../twin/twin.js';
import { orderViolations, type TargetConfig } from './evaluate.js';
import { complianceContext, evaluateTwinCompliance, targetConfigOf } from './evaluate-twin.js';
import { type Remediation, RemediationSchema } from './policy-document.js';
import { latestViolations } from './violation-records.js';

/** How long a remediation waits for a person before it counts as rejected (24 h). */
export const DEFAULT_APPROVAL_TIMEOUT_SECONDS = 86_400;

/** What the remediate workflow is started with (by the API, or hourly by the schedule). */
export const RemediateRequestSchema = z
  .object({
    twinId: TwinIdSchema.optional().describe('one twin; absent: every twin'),
    approval: z
      .enum(['auto', 'required'])
      .default('required')
      .describe('auto: carry each remediation out at once; required: wait for POST /approvals/{token}'),
    /** Seconds an approval may wait (the approval task's TimeoutSecondsPath). */
    timeoutSeconds: z
      .number()
      .int()
      .min(1)
      .max(7 * 86_400)
      .default(DEFAULT_APPROVAL_TIMEOUT_SECONDS)
      .describe('seconds an approval may wait before it counts as rejected (default 24 h)'),
    evaluate: z
      .boolean()
      .default(true)
      .describe('evaluate the policies on each twin first (with its target as described now)'),
    again: z
      .boolean()
      .default(false)
      .describe(
        'also remediate violations already remediated, rejected or timed out since they opened (by default each opening of a violation is remediated once)',
      ),
    /** The schedule's time: a retried delivery evaluates the same moment. */
    now: z.iso.datetime({ offset: true }).optional(),
    requestedAt: z.string().optional(),
  })
  .strict();
export type RemediateRequest = z.infer<typeof RemediateRequestSchema>;

/** One open violation to remediate, as the workflow's Map hands it on (with the run's settings). */
export const RemediationItemSchema = z.object({
  twinId: z.string(),
  violationId: z.string(),
  severity: z.string(),
  message: z.string(),
  remediation: RemediationSchema,
  policy: z.string().optional(),
  rule: z.string(),
  approval: z.enum(['auto', 'required']),
  timeoutSeconds: z.number().int(),
  execution: z.string(),
  /** The run's `again` (present only when true): the step that checks for another run's handling lets it through. */
  again: z.literal(true).optional(),
});
export type RemediationItem = z.infer<typeof RemediationItemSchema>;

const Execution = z.object({ name: z.string(), startTime: z.string() });
const Answer = z.object({ approved: z.boolean(), by: z.string().optional(), comment: z.string().optional() });

/** The remediate function's events, one per task of remediate.asl.json. */
export const RemediateEventSchema = z.discriminatedUnion('step', [
  z.object({ step: z.literal('list'), request: RemediateRequestSchema, execution: Execution }),
  z.object({ step: z.literal('check'), item: RemediationItemSchema }),
  z.object({ step: z.literal('ask'), taskToken: z.string().min(1), item: RemediationItemSchema }),
  z.object({
    step: z.literal('act'),
    item: RemediationItemSchema,
    decision: z.enum(['auto', 'approved']),
    answer: Answer.optional(),
  }),
  z.object({
    step: z.literal('skip'),
    item: RemediationItemSchema,
    decision: z.enum(['rejected', 'timed-out']),
    answer: Answer.optional(),
  }),
]);
export type RemediateEvent = z.infer<typeof RemediateEventSchema>;

/** A remediation's notice: where it goes is the alerts port's business (the alarm topic, the log). */
export interface RemediationNotice {
  twinId: string;
  violationId: string;
  topic?: string;
  message: string;
}

export interface RemediatePorts {
  store: TwinStore;
  now: () => number;
  /**
   * The scaling targets: a scale remediation goes through the actuator's `act` (actuate under the
   * safety rules, once per decision id: in AWS the same idempotent actuation the actuator Lambda
   * uses, so a retried step never scales twice), and compliance reads the target's configuration
   * (bounds, instance types, tags) through `target.describe`.
   */
  actuation?: {
    target: Pick<ScalingTarget, 'describe'>;
    act: (request: ActuationRequest) => Promise<ActuationResult>;
  };
  notify?: (notice: RemediationNotice) => Promise<void>;
}

/** Runs one step of the remediate workflow. */
export async function remediateStep(event: RemediateEvent, p: RemediatePorts): Promise<unknown> {
  switch (event.step) {
    case 'list':
      return listRemediations(p, event.request, event.execution.name);
    case 'check':
      return handledByAnotherRun(p, event.item);
    case 'ask':
      return askApproval(p, event.item, event.taskToken);
    case 'act':
      return carryOut(p, event.item, event.decision, event.answer);
    case 'skip':
      return audit(p, event.item, {
        decision: event.decision,
        outcome: 'skipped',
        ...answeredBy(event.answer),
        message:
          event.decision === 'timed-out'
            ? `no answer within ${event.item.timeoutSeconds} s: counted as rejected, nothing changed`
            : 'rejected: nothing changed',
      });
  }
}

/**
 * The open violations of one twin or of all, in priority order (orderViolations), with their
 * remediation: evaluated first (unless the request says not to), then each violation not yet
 * handled since it opened (handledSince).
 */
export async function listRemediations(
  p: RemediatePorts,
  request: RemediateRequest,
  execution: string,
): Promise<{ approval: string; timeoutSeconds: number; evaluated: number; items: RemediationItem[] }> {
  const { store } = p;
  const twins = request.twinId
    ? [await store.getTwin(request.twinId)].filter((t) => !!t)
    : await allTwins(store);
  const at = request.now ? Date.parse(request.now) : p.now();
  if (request.evaluate) {
    const context = await complianceContext(store, request.twinId ? await allTwins(store) : twins);
    // 16 twins at a time, each a few reads: 9 ms a twin on dynalite, so 10,000 twins fit the list step's 15 minutes
    await inParallel(twins, 16, async (twin) => {
      await evaluateTwinCompliance(store, twin, context, at, await describedConfig(p, twin));
    });
  }
  const open: (RecordOf<'violation'> & { twinId: string; remediation: Remediation })[] = [];
  await inParallel(twins, 16, async (twin) => {
    const pending = [...(await latestViolations(store, twin.id)).values()].filter(
      (r) => r.status !== 'resolved' && RemediationSchema.safeParse(r.remediation).success,
    );
    if (!pending.length) return;
    const steps = request.again
      ? []
      : (await store.listRecords(twin.id, 'remediation', { limit: 100 })).items;
    for (const r of pending)
      if (!handledSince(r, steps, at))
        open.push({ twinId: twin.id, ...r, remediation: RemediationSchema.parse(r.remediation) });
  });
  const ordered = orderViolations(
    open.map((v) => ({ ...v, impact: v.impact ?? 0, fixCost: v.fixCost ?? 0 })),
  );
  return {
    approval: request.approval,
    timeoutSeconds: request.timeoutSeconds,
    evaluated: request.evaluate ? twins.length : 0,
    items: ordered.map((v) => ({
      twinId: v.twinId,
      violationId: v.id,
      severity: v.severity,
      message: v.message,
      remediation: v.remediation,
      ...(v.policy ? { policy: v.policy } : {}),
      rule: v.rule,
      approval: request.approval,
      timeoutSeconds: request.timeoutSeconds,
      execution,
      ...(request.again ? { again: true as const } : {}),
    })),
  };
}

/**
 * Whether this opening of a violation (its record's time) was handled already: its newest
 * remediation step since then is anything but a failure. So an hourly run asks once a person
 * per opening (a rejection or no answer stands until the violation opens again, or changes
 * severity), does not repeat what was done, and retries what failed.
 */
export function handledSince(
  violation: Pick<RecordOf<'violation'>, 'id' | 'at'>,
  stepsNewestFirst: readonly Pick<RecordOf<'remediation'>, 'violationId' | 'at' | 'outcome' | 'expiresAt'>[],
  now: number,
): boolean {
  const newest = stepsNewestFirst.find((s) => s.violationId === violation.id && s.at >= violation.at);
  if (!newest || newest.outcome === 'failed') return false;
  // still waiting for a person, unless the wait is over with nothing recorded (its run was stopped)
  return newest.outcome !== 'pending' || !newest.expiresAt || Date.parse(newest.expiresAt) > now;
}

/**
 * Whether another run handled the item's violation since this run listed it (the run works
 * through its items one at a time, and one waiting for a person holds the rest back for up to the
 * approval timeout): the list step's rule (handledSince) again, now, over the steps of other runs
 * since the violation's newest opening. A step of this run is never counted, so a retried or
 * redriven step does its own work; `again` lets every item through. Read only: a skipped item
 * records nothing, so the other run's steps stay the newest (a wait of a stopped run still
 * counts as over when it expires).
 */
export async function handledByAnotherRun(
  p: RemediatePorts,
  item: RemediationItem,
): Promise<
  | { handled: false }
  | { handled: true; by?: string; decision: string; outcome: string; at: string; message: string }
> {
  if (item.again) return { handled: false };
  const opening = [...(await latestViolations(p.store, item.twinId)).values()].find(
    (v) => v.id === item.violationId,
  );
  if (!opening) return { handled: false };
  const others = (await p.store.listRecords(item.twinId, 'remediation', { limit: 100 })).items.filter(
    (s) => s.execution !== item.execution,
  );
  if (!handledSince(opening, others, p.now())) return { handled: false };
  // the step handledSince judged by
  const newest = others.find((s) => s.violationId === item.violationId && s.at >= opening.at);
  if (!newest) return { handled: false };
  return {
    handled: true,
    ...(newest.execution ? { by: newest.execution } : {}),
    decision: newest.decision,
    outcome: newest.outcome,
    at: newest.at,
    message: `skipped: handled by run ${newest.execution ?? '(unknown)'} since this run listed it (${newest.decision}, ${newest.outcome})`,
  };
}

/** The target's configuration as AWS (or the simulated fleet) describes it now, when there is a port to ask. */
async function describedConfig(p: RemediatePorts, twin: Twin): Promise<TargetConfig | undefined> {
  if (!p.actuation) return undefined;
  return targetConfigOf(twin, await p.actuation.target.describe(twin.target));
}

/**
 * Asks a person: an approval record (its id the token `POST /approvals/{token}` takes, its expiry
 * the task's timeout), the Step Functions task token beside it, and the `requested` audit step.
 */
export async function askApproval(p: RemediatePorts, item: RemediationItem, taskToken: string) {
  const now = p.now();
  const token = newRecordRef(item.twinId, now);
  const at = new Date(now).toISOString();
  await p.store.putRecord(item.twinId, 'approval-task', { id: token, at, taskToken });
  await p.store.putRecord(item.twinId, 'approval', {
    id: token,
    at,
    action: item.remediation.action,
    message: `${item.violationId}: ${item.message}`,
    expiresAt: new Date(now + item.timeoutSeconds * 1000).toISOString(),
  });
  await audit(p, item, {
    decision: 'requested',
    outcome: 'pending',
    approvalToken: token,
    expiresAt: new Date(now + item.timeoutSeconds * 1000).toISOString(),
    message: `waiting for approval (POST /approvals/${token})`,
  });
  // a person has to hear of it: the same alerts port a notify remediation uses
  await p.notify?.({
    twinId: item.twinId,
    violationId: item.violationId,
    message: `approval needed within ${item.timeoutSeconds} s: ${item.remediation.action} for ${item.severity} violation "${item.message}"; answer with POST /approvals/${token} {"approved": true|false}`,
  });
  return { approvalToken: token };
}

/** Carries the remediation out and records what came of it (a refusal by the actuation rules is an outcome, not an error). */
export async function carryOut(
  p: RemediatePorts,
  item: RemediationItem,
  decision: 'auto' | 'approved',
  answer?: z.infer<typeof Answer>,
) {
  let outcome: { outcome: 'done' | 'failed' | 'skipped'; message: string };
  try {
    outcome = await act(p, item);
  } catch (e) {
    if (e instanceof Error && e.name === 'TransientError') throw e;
    outcome = { outcome: 'failed', message: e instanceof Error ? e.message : String(e) };
  }
  return audit(p, item, { decision, ...answeredBy(answer), ...outcome });
}

async function act(
  p: RemediatePorts,
  item: RemediationItem,
): Promise<{ outcome: 'done' | 'failed' | 'skipped'; message: string }> {
  const r = item.remediation;
  if (r.action === 'notify') {
    if (!p.notify) return { outcome: 'failed', message: 'no alerts port to notify through' };
    await p.notify({
      twinId: item.twinId,
      violationId: item.violationId,
      ...(r.topic ? { topic: r.topic } : {}),
      message: `${item.severity}: ${item.message}`,
    });
    return { outcome: 'done', message: `notified${r.topic ? ` ${r.topic}` : ''}` };
  }
  if (r.action === 'change-bounds') return changeBounds(p, item, r);
  const twin = await p.store.getTwin(item.twinId);
  if (!twin) return { outcome: 'failed', message: `twin "${item.twinId}" no longer exists` };
  if (twin.policy.mode !== 'forecast-and-scale')
    return { outcome: 'skipped', message: `the twin is ${twin.policy.mode}: Twinscale does not scale it` };
  if (!p.actuation) return { outcome: 'failed', message: 'no actuator to scale with' };
  const state = await p.actuation.target.describe(twin.target);
  const result = await p.actuation.act({
    twinId: twin.id,
    decisionId: `remediation.${item.violationId}.${item.execution}`,
    target: twin.target,
    desired: state.capacity + (r.maxStep ?? twin.policy.maxStep),
    maxStep: Math.min(r.maxStep ?? twin.policy.maxStep, twin.policy.maxStep),
    ...(twin.policy.minInstances !== undefined ? { minInstances: twin.policy.minInstances } : {}),
    ...(twin.policy.maxInstances !== undefined ? { maxInstances: twin.policy.maxInstances } : {}),
  });
  return { outcome: result.action === 'scaled' ? 'done' : 'skipped', message: result.message };
}

/** The twin's policy bounds set to the remediation's (or the rule's) under optimistic locking, retried on a conflict. */
async function changeBounds(
  p: RemediatePorts,
  item: RemediationItem,
  r: Extract<Remediation, { action: 'change-bounds' }>,
): Promise<{ outcome: 'done' | 'failed' | 'skipped'; message: string }> {
  let { min, max } = r;
  if ((min === undefined || max === undefined) && item.policy) {
    const rule = (await p.store.getPolicy(item.policy))?.document.rules.find((x) => x.id === item.rule);
    if (rule?.check.kind === 'config') {
      min ??= rule.check.minCapacityAtLeast;
      max ??= rule.check.maxCapacityAtMost;
    }
  }
  if (min === undefined && max === undefined)
    return { outcome: 'failed', message: 'neither the remediation nor its rule names a bound' };
  for (let attempt = 0; ; attempt++) {
    const twin = await p.store.getTwin(item.twinId);
    if (!twin) return { outcome: 'failed', message: `twin "${item.twinId}" no longer exists` };
    const policy = {
      ...twin.policy,
      ...(min !== undefined ? { minInstances: min } : {}),
      ...(max !== undefined ? { maxInstances: max } : {}),
    };
    if (policy.minInstances === twin.policy.minInstances && policy.maxInstances === twin.policy.maxInstances)
      return { outcome: 'skipped', message: 'the bounds are already so' };
    try {
      await p.store.updateTwin(twin.id, twin.version, { policy });
      return {
        outcome: 'done',
        message: `policy bounds ${twin.policy.minInstances ?? '-'}..${twin.policy.maxInstances ?? '-'} → ${policy.minInstances ?? '-'}..${policy.maxInstances ?? '-'}`,
      };
    } catch (e) {
      if (!(e instanceof TwinConflictError) || attempt >= 2) throw e;
    }
  }
}

const answeredBy = (a?: z.infer<typeof Answer>) => ({
  ...(a?.by ? { by: a.by } : {}),
  ...(a?.comment ? { comment: a.comment } : {}),
});

/** Writes one audit step; the id makes a retried step write once. */
async function audit(
  p: RemediatePorts,
  item: RemediationItem,
  step: Pick<
    RecordOf<'remediation'>,
    'decision' | 'outcome' | 'message' | 'by' | 'comment' | 'approvalToken' | 'expiresAt'
  >,
): Promise<RecordOf<'remediation'>> {
  const record: RecordOf<'remediation'> = {
    id: `${item.violationId}.${item.execution}.${step.decision}`.slice(0, 128),
    at: new Date(p.now()).toISOString(),
    violationId: item.violationId,
    action: item.remediation.action,
    execution: item.execution,
    ...(step.decision === 'auto' ? { by: 'twinscale' } : {}),
    ...step,
  };
  await p.store.putRecord(item.twinId, 'remediation', record);
  return record;
}
