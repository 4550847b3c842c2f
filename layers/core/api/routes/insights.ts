import { z } from 'zod';
import { orderViolations } from '../../compliance/evaluate.js';
import { latestViolations } from '../../compliance/violation-records.js';
import { inParallel } from '../../in-parallel.js';
import {
  ApprovalAnswerRecordSchema,
  DriftRecordSchema,
  type RecordKind,
  type RecordOf,
  ViolationRecordSchema,
} from '../../store/records.js';
import { allTwins, type TwinStore } from '../../store/twin-store.js';
import { conflict, notFound } from '../http.js';
import { parseRecordRef, recordRefPattern } from '../record-ref.js';
import { route } from '../route.js';

/** The newest `limit` records of a kind across all twins, newest first, each with its twin. */
async function latestAcrossTwins<K extends RecordKind>(store: TwinStore, kind: K, limit: number) {
  const twins = await allTwins(store);
  const lists: (RecordOf<K> & { twinId: string })[][] = [];
  await inParallel(twins, 8, async (t) => {
    lists.push((await store.listRecords(t.id, kind, { limit })).items.map((r) => ({ twinId: t.id, ...r })));
  });
  return (lists.flat() as (RecordOf<K> & { twinId: string })[])
    .sort((a, b) => b.at.localeCompare(a.at))
    .slice(0, limit);
}

const LimitQuerySchema = z
  .object({ limit: z.coerce.number().int().min(1).max(100).default(50).describe('newest items (1–100)') })
  .strict();

const withTwin = <T extends z.ZodObject>(s: T) => s.extend({ twinId: z.string() });

/** An approval token, as the remediation that asked for it wrote it. */
const TOKEN = recordRefPattern('{4,32}');

export const insightRoutes = [
  route({
    method: 'GET',
    path: '/drift',
    summary: 'Twins whose live service stopped behaving like the twin, newest first',
    query: LimitQuerySchema,
    response: {
      status: 200,
      schema: z.object({ items: z.array(withTwin(DriftRecordSchema)) }),
      description: 'drift findings',
    },
    async handle({ query }, { store }) {
      return { status: 200, body: { items: await latestAcrossTwins(store, 'drift', query.limit) } };
    },
  }),
  route({
    method: 'GET',
    path: '/violations',
    summary:
      'Open policy rule violations across twins: the most severe first, then the most depended-on twin, then the cheapest fix',
    query: LimitQuerySchema,
    response: {
      status: 200,
      schema: z.object({ items: z.array(withTwin(ViolationRecordSchema)) }),
      description: 'violations',
    },
    async handle({ query }, { store }) {
      const twins = await allTwins(store);
      const open: (RecordOf<'violation'> & { twinId: string })[] = [];
      await inParallel(twins, 8, async (t) => {
        for (const r of (await latestViolations(store, t.id)).values())
          if (r.status !== 'resolved') open.push({ twinId: t.id, ...r });
      });
      const ordered = orderViolations(
        open.map((v) => ({ ...v, impact: v.impact ?? 0, fixCost: v.fixCost ?? 0, record: v })),
      );
      return { status: 200, body: { items: ordered.slice(0, query.limit).map((v) => v.record) } };
    },
  }),
  route({
    method: 'POST',
    path: '/approvals/{token}',
    summary: 'Approve or reject a remediation that waits for a person',
    params: z.object({ token: z.string().regex(TOKEN, 'the token from the approval request') }),
    body: ApprovalAnswerRecordSchema.pick({ approved: true, by: true, comment: true }).strict(),
    response: {
      status: 200,
      schema: withTwin(ApprovalAnswerRecordSchema),
      description: 'the answer, recorded',
    },
    async handle({ params, body }, { store, now, workflows }) {
      const { twinId, at } = parseRecordRef(TOKEN, params.token);
      const approval = await store.getRecord(twinId, 'approval', at, params.token);
      if (!approval) throw notFound(`approval "${params.token}"`);
      if (Date.parse(approval.expiresAt) < now())
        throw conflict(`approval "${params.token}" expired at ${approval.expiresAt}`);
      // the answer is written once: whoever answered first decided, a repeat of it is harmless
      await store.putRecord(twinId, 'approval-answer', { id: params.token, at, ...body });
      const stored = await store.getRecord(twinId, 'approval-answer', at, params.token);
      if (stored && stored.approved !== body.approved)
        throw conflict(`approval "${params.token}" was already ${stored.approved ? 'approved' : 'rejected'}`);
      // the remediate workflow waiting on it resumes (a repeat finds nothing waiting: harmless)
      const task = await store.getRecord(twinId, 'approval-task', at, params.token);
      const answer = stored ?? body;
      if (task && workflows.answer)
        await workflows.answer(task.taskToken, {
          approved: answer.approved,
          ...(answer.by ? { by: answer.by } : {}),
          ...(answer.comment ? { comment: answer.comment } : {}),
        });
      return { status: 200, body: { twinId, ...(stored ?? body) } };
    },
  }),
];
