import { z } from 'zod';
import { applyUnitPlan, UnitResultSchema } from '../../units/apply-plan.js';
import { planTaskFamilyUnit } from '../../units/task-family-units.js';
import { planTemplateUnit } from '../../units/template-units.js';
import type { CfnTemplate } from '../../units/template-values.js';
import type { UnitPlan } from '../../units/unit-plan.js';
import { UnitNotFoundError, type UnitReader } from '../../units/unit-reader.js';
import { ApiError, invalid, notFound } from '../http.js';
import type { ApiPorts } from '../ports.js';
import { route } from '../route.js';

const dryRun = z.boolean().default(false).describe('report what would be created, and create nothing');

/** CloudFormation: a stack name starts with a letter, then letters, digits and dashes, at most 128; or the stack's id (ARN). */
const StackNameSchema = z
  .string()
  .regex(
    /^([A-Za-z][A-Za-z0-9-]{0,127}|arn:aws[a-z-]*:cloudformation:[a-z0-9-]+:\d{12}:stack\/[A-Za-z][A-Za-z0-9-]{0,127}\/[A-Za-z0-9-]+)$/,
    'stack name: a letter, then letters, digits and dashes (at most 128), or the stack id (ARN)',
  );

/** CloudFormation quota: 500 resources in a template (so at most 500 twins from one unit). */
const MAX_TEMPLATE_RESOURCES = 500;
const atMostResources = (what: string) =>
  [
    (r: Record<string, unknown>) => Object.keys(r).length <= MAX_TEMPLATE_RESOURCES,
    {
      message: `${what}: at most ${MAX_TEMPLATE_RESOURCES}, CloudFormation's limit on a template's resources`,
    },
  ] as const;

export const TemplateSchema = z
  .object({
    Resources: z
      .record(
        z.string().regex(/^[A-Za-z0-9]{1,255}$/, 'logical id: letters and digits'),
        z.looseObject({ Type: z.string().min(1), Properties: z.record(z.string(), z.unknown()).optional() }),
      )
      .refine(...atMostResources('resources'))
      .describe('the template’s resources, as CloudFormation reads them'),
  })
  .loose();

export const UnitRequestSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('stack'),
      stackName: StackNameSchema.describe('a deployed stack, read with GetTemplate and ListStackResources'),
      dryRun,
    })
    .strict(),
  z
    .object({
      kind: z.literal('template'),
      template: TemplateSchema.describe('a synthesized template (JSON; `cdk synth` writes it to cdk.out)'),
      names: z
        .record(z.string(), z.string().min(1).max(2048))
        .refine(...atMostResources('names'))
        .optional()
        .describe(
          'logical id → physical name, what Ref of it returns once deployed (a group’s name, a target group’s or load balancer’s ARN, a queue’s URL, a service’s ARN or name, a cluster’s name). Twins whose names are not all known are reported, not created',
        ),
      stackName: StackNameSchema.optional().describe(
        'the stack it is deployed as: names the unit (default "template")',
      ),
      dryRun,
    })
    .strict(),
  z
    .object({
      kind: z.literal('task-family'),
      family: z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,255}$/, 'task definition family: letters, digits, - and _ (at most 255)'),
      cluster: z
        .string()
        .min(1)
        .max(2048)
        .describe('the cluster (name or ARN) whose services run the family'),
      dryRun,
    })
    .strict(),
]);
export type UnitRequest = z.output<typeof UnitRequestSchema>;

/** The reader of deployed units, or a 501 saying this deployment has none and what to do instead. */
function readerOr501(ports: ApiPorts, what: string): UnitReader {
  if (ports.units) return ports.units;
  throw new ApiError(
    501,
    'not-available',
    `${what} needs the AWS APIs, which this runtime does not reach (locally: set AWS_ENDPOINT_URL before starting it). A synthesized template works anywhere: POST {"kind":"template","template":…,"names":…}`,
  );
}

/** The plan of the unit a request names: a template analysed as it is, a stack or family read first. */
export async function planUnit(body: UnitRequest, ports: ApiPorts): Promise<UnitPlan> {
  if (body.kind === 'template') {
    const resources = body.template.Resources;
    const unknown = Object.keys(body.names ?? {}).find((id) => !(id in resources));
    if (unknown !== undefined)
      throw invalid(`body.names.${unknown}`, `the template has no resource "${unknown}"`);
    return planTemplateUnit({
      unit: body.stackName ?? 'template',
      kind: 'template',
      template: body.template as CfnTemplate,
      physicalIds: body.names,
      pseudo: body.stackName ? { StackName: body.stackName } : undefined,
    });
  }
  try {
    if (body.kind === 'stack') {
      const stack = await readerOr501(ports, `Reading stack "${body.stackName}"`).readStack(body.stackName);
      return planTemplateUnit({
        unit: stack.stackName,
        kind: 'stack',
        template: stack.template,
        physicalIds: stack.physicalIds,
        pseudo: { Region: stack.region, AccountId: stack.accountId, StackName: stack.stackName },
      });
    }
    const family = await readerOr501(ports, `Reading task family "${body.family}"`).readTaskFamily(
      body.family,
      body.cluster,
    );
    return planTaskFamilyUnit(family);
  } catch (e) {
    if (e instanceof UnitNotFoundError) throw notFound(e.message);
    throw e;
  }
}

export const unitRoutes = [
  route({
    method: 'POST',
    path: '/units',
    summary:
      'Twins from a deployable unit (a deployed stack, a synthesized template, an ECS task family): its Auto Scaling groups and ECS services, each with its load metric and calls, in forecast-only mode',
    body: UnitRequestSchema,
    response: {
      status: 201,
      schema: UnitResultSchema,
      description:
        '201 when a twin or an edge was created, else 200 (a dry run, or everything there already); `findings` says what was found and why each choice was made',
    },
    async handle({ body }, ports) {
      const plan = await planUnit(body, ports);
      const result = await applyUnitPlan(ports.store, plan, ports.now(), body.dryRun);
      const wrote =
        !body.dryRun && (result.created.length > 0 || result.edges.some((e) => e.status === 'added'));
      return { status: wrote ? 201 : 200, body: result };
    },
  }),
];
