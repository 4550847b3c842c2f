import { isMap, isSeq, type Node, parseDocument } from 'yaml';
import { z } from 'zod';
import { type BodyFormat, bodyFormatOf, DocumentSyntaxError, parseDocumentText } from '../api/route.js';

/** A rule's or a policy's id: it is part of each violation record's id, so short and plain. */
const PlainIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,47}$/, '1–48 characters, lowercase letters, digits and dashes');

export const PolicyIdSchema = PlainIdSchema.describe('policy id');

export const SeveritySchema = z.enum(['low', 'medium', 'high', 'critical']);
export type Severity = z.infer<typeof SeveritySchema>;

/** A twin id, or a glob over twin ids where `*` stands for any run of characters (`web-*`). */
const TwinPatternSchema = z
  .string()
  .regex(/^[a-z0-9*][a-z0-9*-]{0,127}$/, 'a twin id, or a pattern with * (web-*)');

const AppliesSchema = z
  .object({
    twins: z
      .array(TwinPatternSchema)
      .min(1)
      .max(100)
      .optional()
      .describe('twin ids or globs; absent: every twin'),
    tags: z
      .record(z.string().min(1).max(128), z.string().max(256))
      // AWS: 50 tags on a resource, so more could never all be present
      .refine((t) => Object.keys(t).length <= 50, { message: 'tags: at most 50' })
      .optional()
      .describe("the target's tags that must all be present with these values"),
  })
  .strict();

/** An observed metric's statistic over the last minutes, against a bound: `p95 of cpu over 10 minutes below 80`. */
const MetricCheckSchema = z
  .object({
    kind: z.literal('metric'),
    metric: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,63}$/)
      .describe('a metric key of the twin, or a role: `load`, `utilization`'),
    stat: z.enum(['p95', 'p99', 'max', 'mean']),
    windowMinutes: z.number().int().min(1).max(1440),
    below: z.number().optional().describe('compliant while the statistic is below this'),
    above: z.number().optional().describe('compliant while the statistic is above this'),
  })
  .strict()
  .refine((c) => (c.below === undefined) !== (c.above === undefined), {
    message: 'give exactly one of below and above',
    path: ['below'],
  });

/** The target's configuration: its bounds, instance types and tags. */
const ConfigCheckSchema = z
  .object({
    kind: z.literal('config'),
    minCapacityAtLeast: z.number().int().min(0).optional(),
    maxCapacityAtMost: z.number().int().min(1).optional(),
    allowedInstanceTypes: z.array(z.string().min(1)).min(1).max(100).optional(),
    requiredTags: z.array(z.string().min(1).max(128)).min(1).max(50).optional(),
  })
  .strict()
  .refine(
    (c) =>
      c.minCapacityAtLeast !== undefined ||
      c.maxCapacityAtMost !== undefined ||
      c.allowedInstanceTypes !== undefined ||
      c.requiredTags !== undefined,
    {
      message:
        'give at least one of minCapacityAtLeast, maxCapacityAtMost, allowedInstanceTypes, requiredTags',
      path: ['kind'],
    },
  );

/**
 * Predictive compliance: the forecast band's quantile of demand, over the capacity the target has
 * now, breaks the bound within the horizon. The breach is a violation now, with its expected time.
 */
const ForecastCheckSchema = z
  .object({
    kind: z.literal('forecast'),
    /** The forecast is stored as a p10/p50/p90 band (records.ts): these are the quantiles there are. */
    quantile: z.enum(['p50', 'p90']).default('p90'),
    /** The live forecast reaches an hour ahead (live-plan.ts HORIZON_SLOTS × SLOT_MS). */
    horizonMinutes: z.number().int().min(5).max(60),
    utilizationAbove: z
      .number()
      .gt(0)
      .max(2)
      .describe('a share of capacity (0.9: 90 %): a violation when the forecast demand needs more'),
  })
  .strict();

export const RuleCheckSchema = z.discriminatedUnion('kind', [
  MetricCheckSchema,
  ConfigCheckSchema,
  ForecastCheckSchema,
]);
export type RuleCheck = z.infer<typeof RuleCheckSchema>;

/** What fixes a violation; its cost is counted in the instance-hours a day it would add. */
export const RemediationSchema = z.discriminatedUnion('action', [
  z
    .object({
      action: z.literal('scale'),
      maxStep: z.number().int().min(1).max(1000).optional().describe('instances added at most'),
    })
    .strict(),
  z
    .object({
      action: z.literal('change-bounds'),
      min: z.number().int().min(0).optional().describe("default: the rule's minCapacityAtLeast"),
      max: z.number().int().min(1).optional().describe("default: the rule's maxCapacityAtMost"),
    })
    .strict(),
  z
    .object({
      action: z.literal('notify'),
      topic: z
        .string()
        .min(1)
        .max(256)
        .optional()
        .describe(
          'who it is for (a team, a channel): carried in the notice on the alarm topic, for subscriptions to filter on',
        ),
    })
    .strict(),
]);
export type Remediation = z.infer<typeof RemediationSchema>;

export const PolicyRuleSchema = z
  .object({
    id: PlainIdSchema.describe('rule id, unique within the policy'),
    description: z.string().max(500).optional(),
    severity: SeveritySchema,
    applies: AppliesSchema.optional(),
    check: RuleCheckSchema,
    remediation: RemediationSchema,
  })
  .strict();
export type PolicyRule = z.infer<typeof PolicyRuleSchema>;

export const PolicyDocumentSchema = z
  .object({
    version: z.literal(1),
    description: z.string().max(1000).optional(),
    rules: z.array(PolicyRuleSchema).min(1).max(100),
  })
  .strict()
  .superRefine((doc, ctx) => {
    const seen = new Set<string>();
    doc.rules.forEach((r, i) => {
      if (seen.has(r.id))
        ctx.addIssue({
          code: 'custom',
          message: `rule id "${r.id}" appears twice`,
          path: ['rules', i, 'id'],
        });
      seen.add(r.id);
    });
  });
export type PolicyDocument = z.infer<typeof PolicyDocumentSchema>;

/** A policy as stored: its id, its document, and when it was last written. */
export const StoredPolicySchema = z.object({
  id: PolicyIdSchema,
  document: PolicyDocumentSchema,
  updatedAt: z.iso.datetime(),
});
export type StoredPolicy = z.infer<typeof StoredPolicySchema>;

/** The published JSON Schema of a policy document (GET /schemas/policy.json). */
export const policyJsonSchema = (): Record<string, unknown> => ({
  ...(z.toJSONSchema(PolicyDocumentSchema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >),
  $id: 'https://twinscale.dev/schemas/policy.json',
  title: 'Twinscale compliance policy',
});

/** One thing wrong with a policy document: where (path, and line when the text is known), which rule, and what. */
export interface PolicyProblem {
  /** `rules[1].check.windowMinutes`. */
  path: string;
  message: string;
  /** The id of the rule at fault (or `rules[i]` when it has none). */
  rule?: string;
  /** 1-based, when the document's text was given. */
  line?: number;
  column?: number;
}

export type PolicyLoadResult =
  | { ok: true; document: PolicyDocument }
  | { ok: false; problems: PolicyProblem[] };

const pathText = (path: readonly PropertyKey[]): string =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');

function ruleOf(value: unknown, path: readonly PropertyKey[]): string | undefined {
  if (path[0] !== 'rules' || typeof path[1] !== 'number') return undefined;
  const rules = (value as { rules?: unknown })?.rules;
  const id = Array.isArray(rules) ? (rules[path[1]] as { id?: unknown } | undefined)?.id : undefined;
  return typeof id === 'string' && id ? id : `rules[${path[1]}]`;
}

type Located = { problem: PolicyProblem; at: PropertyKey[] };

function check(value: unknown): { ok: true; document: PolicyDocument } | { ok: false; issues: Located[] } {
  const r = PolicyDocumentSchema.safeParse(value);
  if (r.success) return { ok: true, document: r.data };
  return {
    ok: false,
    issues: r.error.issues.flatMap((issue) => {
      const unknownKeys = issue.code === 'unrecognized_keys';
      const paths = unknownKeys ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
      return paths.map((at) => ({
        at,
        problem: {
          path: pathText(at),
          message: unknownKeys ? 'unknown field: remove it or check its spelling' : issue.message,
          ...(ruleOf(value, at) ? { rule: ruleOf(value, at) } : {}),
        },
      }));
    }),
  };
}

/** A document already parsed, checked: each problem with its path and rule (no lines: the text is gone). */
export function validatePolicyValue(value: unknown): PolicyLoadResult {
  const r = check(value);
  return r.ok ? r : { ok: false, problems: r.issues.map((i) => i.problem) };
}

/** Line and column (1-based) of a character offset. */
function positionOf(text: string, offset: number): { line: number; column: number } {
  const lines = text.slice(0, offset).split('\n');
  return { line: lines.length, column: lines[lines.length - 1].length + 1 };
}

/**
 * The node at a path, or the deepest one that exists on the way (a missing field is reported
 * where its object begins). An unknown key points at the key itself.
 */
function offsetOf(root: Node | null | undefined, path: readonly PropertyKey[]): number | undefined {
  let node: unknown = root;
  let at = (root as Node | undefined)?.range?.[0];
  for (const step of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === step);
      if (!pair) break;
      at = (pair.key as Node).range?.[0] ?? at;
      node = pair.value;
      // a value on the key's own line is reported at the key, so the line names the field
    } else if (isSeq(node) && typeof step === 'number' && node.items[step]) {
      node = node.items[step];
      at = (node as Node).range?.[0] ?? at;
    } else break;
  }
  return at;
}

/**
 * A policy document from its text (YAML, or JSON: YAML 1.2 reads JSON the same, so one parser
 * finds positions in both), checked against the schema. Each problem names the line and the
 * rule; `source` is a Content-Type or a file name (`.yaml`, `.yml`: YAML; anything else JSON).
 */
export function loadPolicyDocument(text: string, source: string | undefined): PolicyLoadResult {
  const format = formatOf(source);
  let value: unknown;
  try {
    value = parseDocumentText(text, format);
  } catch (e) {
    if (!(e instanceof DocumentSyntaxError)) throw e;
    return { ok: false, problems: [{ path: '', message: e.message, line: e.line, column: e.column }] };
  }
  const checked = check(value);
  if (checked.ok) return checked;
  const doc = parseDocument(text);
  return {
    ok: false,
    problems: checked.issues.map(({ problem, at }) => {
      const offset = offsetOf(doc.contents, at);
      return offset === undefined ? problem : { ...problem, ...positionOf(text, offset) };
    }),
  };
}

function formatOf(source: string | undefined): BodyFormat {
  if (source && /\.ya?ml$/i.test(source.trim())) return 'yaml';
  if (source && /\.json$/i.test(source.trim())) return 'json';
  return bodyFormatOf(source);
}

/** The problems as one sentence each: `line 7, rule "cpu-p95": check.windowMinutes: …`. */
export const describeProblem = (p: PolicyProblem): string =>
  [
    p.line ? `line ${p.line}` : undefined,
    p.rule ? `rule "${p.rule}"` : undefined,
    p.path ? `${p.path}: ${p.message}` : p.message,
  ]
    .filter(Boolean)
    .join(', ');
