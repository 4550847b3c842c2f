import { z } from 'zod';
import { CapacityModelRecordSchema } from '../twin/twin.js';

/**
 * What the twin writes besides its samples. Every record has an id (idempotency: writing the
 * same id twice stores it once) and a time `at` (ISO 8601), by which records are listed.
 */
const RecordBase = z.object({
  id: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, 'record id: 1–128 of A–Z a–z 0–9 . _ : -'),
  at: z.iso.datetime(),
});

export const ForecastRecordSchema = RecordBase.extend({
  metric: z.string(),
  model: z.string(),
  points: z.array(z.object({ t: z.number(), p10: z.number(), p50: z.number(), p90: z.number() })),
  /**
   * Present when the twin's own forecast was combined with its upstreams' (graph/propagate.ts):
   * the mean weight over the horizon of the own model and of each upstream read (they sum to 1;
   * an upstream skipped or given nothing has weight 0). Absent: the own model alone.
   */
  propagated: z
    .object({
      own: z.number(),
      upstreams: z.array(z.object({ id: z.string(), weight: z.number() })),
    })
    .optional(),
});

export const DecisionActionSchema = z.enum([
  /** Forecast-only mode, or the kill switch: the decision was recorded, nothing was called. */
  'recorded-only',
  /** The target already had the decided capacity. */
  'none',
  'scaled',
  /** Planning or actuation failed; `result` says why. */
  'failed',
]);

export const DecisionRecordSchema = RecordBase.extend({
  /** Absent when the decision failed before a number was reached. */
  desired: z.number().int().min(0).optional(),
  previous: z.number().int().min(0).optional(),
  /** Why: inputs, quantile, the guardrail that bound it (policy/types.ts DecisionReason). */
  reason: z.record(z.string(), z.unknown()),
  action: DecisionActionSchema,
  result: z.string().optional(),
});

export const ScenarioRecordSchema = RecordBase.extend({
  input: z.record(z.string(), z.unknown()),
  result: z.record(z.string(), z.unknown()),
});

export const OptimizationRecordSchema = ScenarioRecordSchema;

/**
 * A compliance rule broken (or, `resolved`, kept again) by a twin. The fields after `message` came
 * with compliance policies (layers/core/compliance/): a record written before them has none.
 */
export const ViolationRecordSchema = RecordBase.extend({
  rule: z.string(),
  severity: z.enum(['low', 'medium', 'high', 'critical']),
  message: z.string(),
  /** The policy the rule belongs to. */
  policy: z.string().optional(),
  /** `open` when found; `resolved` when a later evaluation found the rule kept. Absent: open. */
  status: z.enum(['open', 'resolved']).optional(),
  observed: z.union([z.number(), z.string()]).optional(),
  threshold: z.union([z.number(), z.string()]).optional(),
  /** Forecast rules: when the breach is expected (ISO 8601). */
  expectedAt: z.iso.datetime().optional(),
  /** The twin's criticality in the dependency graph (its dependants weighted by path). */
  impact: z.number().min(0).optional(),
  dependants: z.number().int().min(0).optional(),
  /** Instance-hours a day the remediation would add. */
  fixCost: z.number().min(0).optional(),
  /** The rule's remediation: `action` (scale, change-bounds, notify) and its settings. */
  remediation: z.record(z.string(), z.unknown()).optional(),
});

/** The live service stopped behaving like its twin: what was compared, how far apart, and since when. */
export const DriftRecordSchema = RecordBase.extend({
  metric: z.string(),
  /** How far the live behaviour is from the twin's, in the detector's own scale (above 1: drifted). */
  score: z.number(),
  message: z.string(),
  status: z.enum(['drifting', 'recalibrated', 'cleared']),
  /** `up`: the live values ran above the twin's prediction; `down`: below. */
  direction: z.enum(['up', 'down']).optional(),
  /** The residuals compared: how many, and the time of the first and last (ISO 8601). */
  residuals: z.number().int().min(0).optional(),
  from: z.string().optional(),
  to: z.string().optional(),
  /** Utilization drift: the capacity per instance before the refit, after it, or why it was kept. */
  capacityBefore: z.number().optional(),
  capacityAfter: z.number().optional(),
  refitProblem: z.string().optional(),
});

/**
 * The loop fitted (or tried to fit) the twin's capacity model from its own load, CPU and fleet
 * (twin/capacity-upkeep.ts): at most one a day per twin, so the newest one also says when the next
 * attempt may come.
 */
export const CapacityFitRecordSchema = RecordBase.extend({
  /** The utilization metric the line was fitted on. */
  metric: z.string(),
  /** Why it was due: the model had no line (none at all, or set by hand), or its line was old. */
  trigger: z.enum(['no-line', 'stale']),
  /**
   * `fitted`: stored on the twin; `kept`: fitted, but the twin's model was kept (`message` says
   * why); `failed`: nothing could be fitted (`problem` says why).
   */
  outcome: z.enum(['fitted', 'kept', 'failed']),
  message: z.string(),
  /** The 5-minute slots read with CPU, load and a known fleet, and the span read (ISO 8601). */
  slots: z.number().int().min(0),
  from: z.string(),
  to: z.string(),
  /** The twin's capacity per instance before; absent when it had no model. */
  capacityBefore: z.number().optional(),
  /** The fit itself (`fitted` and `kept`). */
  model: CapacityModelRecordSchema.optional(),
  problem: z.string().optional(),
});

/** A remediation waiting for a person: the token is its id, the answer is a record of its own. */
export const ApprovalRecordSchema = RecordBase.extend({
  action: z.string(),
  message: z.string(),
  expiresAt: z.iso.datetime(),
});

/** The answer to an approval (its id is the approval's): written once, so a second answer is refused. */
export const ApprovalAnswerRecordSchema = RecordBase.extend({
  approved: z.boolean(),
  by: z.string().max(200).optional(),
  comment: z.string().max(1000).optional(),
});

/**
 * The Step Functions task token a remediation waits on, under its approval's id: kept apart from
 * the approval so no listing shows it (whoever holds it can resume the execution).
 */
export const ApprovalTaskRecordSchema = RecordBase.extend({
  taskToken: z.string().min(1).max(2048),
});

/**
 * One step of a remediation (the audit log): which violation, what was to be done, who decided
 * how, and what came of it. Ids `<violation id>.<execution>.<step>`: a retried step writes once.
 */
export const RemediationRecordSchema = RecordBase.extend({
  violationId: z.string(),
  action: z.enum(['scale', 'change-bounds', 'notify']),
  /** `requested`: waiting for a person (then `approvalToken` says which approval answers it). */
  decision: z.enum(['auto', 'requested', 'approved', 'rejected', 'timed-out']),
  by: z.string().max(200).optional(),
  comment: z.string().max(1000).optional(),
  /** What was done: `done`, `failed` (and why), `skipped` (rejected, timed out or nothing to do). */
  outcome: z.enum(['pending', 'done', 'failed', 'skipped']),
  message: z.string(),
  approvalToken: z.string().optional(),
  /** `requested`: when the wait ends; a run stopped before then leaves it pending, and it counts as over. */
  expiresAt: z.string().optional(),
  execution: z.string().optional(),
});

/**
 * What a candidate policy would have decided in a slot, planned on the live decision's data and
 * never actuated. Its id is `<decision record id>.<shadow id>`: one per candidate and slot.
 */
export const ShadowDecisionRecordSchema = RecordBase.extend({
  shadowId: z.string(),
  /** The candidate's `addedAt`: tells its records from those of an earlier candidate of the same id. */
  shadowAddedAt: z.string().optional(),
  /** Absent when the candidate could not be planned; `result` says why. */
  desired: z.number().int().min(0).optional(),
  /** The capacity its guardrails stepped from: its own previous decision (see plan-batch.ts). */
  previous: z.number().int().min(0).optional(),
  reason: z.record(z.string(), z.unknown()),
  result: z.string().optional(),
});

/** A candidate made the live policy: who, why, the policy before and after, and how the two compared then. */
export const PromotionRecordSchema = RecordBase.extend({
  shadowId: z.string(),
  by: z.string(),
  reason: z.string(),
  previousPolicy: z.record(z.string(), z.unknown()),
  policy: z.record(z.string(), z.unknown()),
  /** The candidate's would-be outcome beside the live one's over the day before (shadow-outcome.ts). */
  comparison: z.record(z.string(), z.unknown()),
});

export const RECORD_SCHEMAS = {
  forecast: ForecastRecordSchema,
  decision: DecisionRecordSchema,
  scenario: ScenarioRecordSchema,
  optimization: OptimizationRecordSchema,
  violation: ViolationRecordSchema,
  drift: DriftRecordSchema,
  'capacity-fit': CapacityFitRecordSchema,
  approval: ApprovalRecordSchema,
  'approval-answer': ApprovalAnswerRecordSchema,
  'approval-task': ApprovalTaskRecordSchema,
  remediation: RemediationRecordSchema,
  'shadow-decision': ShadowDecisionRecordSchema,
  promotion: PromotionRecordSchema,
} as const;
export type RecordKind = keyof typeof RECORD_SCHEMAS;
export type RecordOf<K extends RecordKind> = z.infer<(typeof RECORD_SCHEMAS)[K]>;

/**
 * Kinds kept past the retention period: the audit trails. A promotion records a policy change; a
 * remediation step, an approval and its answer record who changed production and why. (An
 * approval's task token is not kept: it is only good while its run waits.)
 */
export const KEPT_RECORD_KINDS: ReadonlySet<RecordKind> = new Set<RecordKind>([
  'promotion',
  'remediation',
  'approval',
  'approval-answer',
]);
