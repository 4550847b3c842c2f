import { z } from 'zod';
import { fnv } from '../twin/metric-queries.js';
import { type TwinInput, TwinInputSchema } from '../twin/twin.js';

/**
 * A plan of the twins a deployable unit (a CloudFormation stack, a synthesized template, an ECS
 * task definition family) holds: what analysis of the unit found, before anything is created.
 */

export const UnitKindSchema = z.enum(['stack', 'template', 'task-family']);
export type UnitKind = z.infer<typeof UnitKindSchema>;

/** One resource the analysis looked at: what it is, what was chosen for it and why, what is wrong with it. */
export const UnitFindingSchema = z.object({
  resource: z
    .string()
    .describe('logical id in the template (task family: the service name); `*` for the unit'),
  type: z.string().describe('its CloudFormation type, e.g. AWS::ECS::Service'),
  twinId: z.string().optional().describe('the twin it becomes, when it is scalable'),
  summary: z.string(),
  notes: z.array(z.string()).describe('each choice with its reason: "load: …", "depends on: …", "calls: …"'),
  warnings: z.array(z.string()),
});
export type UnitFinding = z.infer<typeof UnitFindingSchema>;

/** A twin the unit holds, with where it came from. */
export interface PlannedTwin {
  twin: TwinInput & { id: string };
  /** The resource it was found as (logical id; for a task family, the service name). */
  resource: string;
  type: string;
  /**
   * False when a name the twin needs (its group or service, a target group, a queue) was not in
   * the unit (a synthesized template without `names`): the plan shows it with the logical id in
   * its place, and POST /units does not create it.
   */
  resolved: boolean;
  /** The names that could not be read, each with the logical id standing in for it. */
  unresolved: string[];
}

/** A call from one twin to another, with how it was found. */
export const PlannedEdgeSchema = z.object({
  from: z.string().describe('the caller twin'),
  to: z.string().describe('the twin it calls'),
  reason: z.string(),
});
export type PlannedEdge = z.infer<typeof PlannedEdgeSchema>;

export interface UnitPlan {
  unit: { kind: UnitKind; name: string };
  twins: PlannedTwin[];
  edges: PlannedEdge[];
  findings: UnitFinding[];
}

/**
 * A twin's id when its physical name is not known (a template without names): the unit's name and
 * the logical id, lowercased and hashed when that changes them (so that `Api` and `API` stay
 * apart), at most 128 characters. Such a twin is only shown, never created.
 */
export function unitTwinId(unit: string, logicalId: string): string {
  const raw = `${unit}-${logicalId}`;
  const slug = raw
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
  return slug === raw ? slug.slice(0, 128) : `${(slug || 'unit').slice(0, 119)}-${fnv(raw)}`;
}

/** The twin input as the store takes it, forecast-only, with its edges; throws if the builder made an invalid one. */
export function twinInputOf(
  id: string,
  target: TwinInput['target'],
  metrics: TwinInput['metrics'],
  family?: string,
): TwinInput & { id: string } {
  const twin = {
    id,
    target,
    metrics,
    source: 'discovered' as const,
    policy: { mode: 'forecast-only' as const },
    ...(family ? { family } : {}),
  };
  TwinInputSchema.parse(twin);
  return twin;
}

/** The last part of an ARN or URL (`…/service/cluster/name` → `name`), or the value itself. */
export const lastSegment = (value: string): string => value.split(/[/:]/).filter(Boolean).pop() ?? value;

/**
 * The cold-start family of a twin found in a template (twin.ts `family`): its place in the unit,
 * the same in every environment the unit is deployed to, so `shop-staging`'s fleet gives
 * `shop-prod`'s new one its prior: its CDK construct path without the stack's name when the
 * template has path metadata, else its logical id (CDK derives that from the path too). Not the
 * task definition's family: CDK names those after the stack, so they differ between environments.
 */
export function unitFamilyOf(o: { cdkPath?: string; logicalId: string }): string {
  const inUnit = o.cdkPath?.split('/').slice(1).join('/');
  return `unit:${inUnit || o.logicalId}`.replace(/[^A-Za-z0-9_.:/-]+/g, '-').slice(0, 255);
}
