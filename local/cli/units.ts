import { existsSync, readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import type { TwinStore } from '../../layers/core/store/twin-store.js';
import { applyUnitPlan, type UnitResult } from '../../layers/core/units/apply-plan.js';
import { planTemplateUnit } from '../../layers/core/units/template-units.js';
import { type CfnTemplate, parseTemplateText } from '../../layers/core/units/template-values.js';
import { CliUsageError, EXIT } from './errors.js';
import { type CliIo, printResult } from './io.js';

export interface UnitsOptions {
  stack?: string;
  taskFamily?: string;
  cluster?: string;
  names?: string;
  api?: string;
  dryRun?: boolean;
  json?: boolean;
}

/** A template file, JSON or YAML (short forms too), as a template with resources; else exit 2 naming the file. */
export function readTemplateFile(file: string): CfnTemplate {
  if (!existsSync(file))
    throw new CliUsageError(`${file}: no such file (give a template, e.g. cdk.out/<Stack>.template.json)`);
  let t: CfnTemplate;
  try {
    t = parseTemplateText(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new CliUsageError(`${file}: not a JSON or YAML template (${(e as Error).message.split('\n')[0]})`);
  }
  if (!t || typeof t !== 'object' || !t.Resources || typeof t.Resources !== 'object')
    throw new CliUsageError(`${file}: a CloudFormation template has a Resources section; this one has none`);
  return t;
}

/** `--names`: a JSON object of logical id → physical name, inline or in a file. */
function readNames(value: string): Record<string, string> {
  const text = value.trimStart().startsWith('{')
    ? value
    : existsSync(value)
      ? readFileSync(value, 'utf8')
      : undefined;
  if (text === undefined) throw new CliUsageError(`--names ${value}: neither a JSON object nor a file`);
  let names: unknown;
  try {
    names = JSON.parse(text);
  } catch (e) {
    throw new CliUsageError(`--names: not JSON (${(e as Error).message})`);
  }
  if (
    !names ||
    typeof names !== 'object' ||
    Array.isArray(names) ||
    Object.values(names).some((v) => typeof v !== 'string')
  )
    throw new CliUsageError(
      '--names: a JSON object of logical id → physical name, e.g. {"FleetASG3971DFE5":"shop-fleet"}',
    );
  return names as Record<string, string>;
}

/** The request body for POST /units the flags describe; a usage error when they name no unit or two. */
export function unitRequest(template: string | undefined, o: UnitsOptions): Record<string, unknown> {
  const dryRun = o.dryRun === true;
  if (o.taskFamily !== undefined || o.cluster !== undefined) {
    if (template !== undefined || o.stack !== undefined)
      throw new CliUsageError('give one unit: a template file, --stack NAME, or --task-family F --cluster C');
    if (!o.taskFamily || !o.cluster) throw new CliUsageError('--task-family and --cluster go together');
    return { kind: 'task-family', family: o.taskFamily, cluster: o.cluster, dryRun };
  }
  if (template !== undefined) {
    const t = readTemplateFile(template);
    const names = o.names ? readNames(o.names) : undefined;
    const unknown = Object.keys(names ?? {}).find((id) => !(id in (t.Resources ?? {})));
    if (unknown !== undefined) throw new CliUsageError(`--names: ${template} has no resource "${unknown}"`);
    return {
      kind: 'template',
      template: t,
      ...(names ? { names } : {}),
      ...(o.stack ? { stackName: o.stack } : {}),
      dryRun,
    };
  }
  if (o.names)
    throw new CliUsageError('--names goes with a template file: a deployed stack names its resources itself');
  if (o.stack) return { kind: 'stack', stackName: o.stack, dryRun };
  throw new CliUsageError('give one unit: a template file, --stack NAME, or --task-family F --cluster C');
}

/** Posts the request to a running API; a 4xx ends with exit 2 and its message, anything else failed with exit 1. */
async function postUnits(
  api: string,
  body: Record<string, unknown>,
): Promise<{ status: number; result: UnitResult }> {
  const url = `${api.replace(/\/+$/, '')}/units`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch (e) {
    throw new Error(
      `no Twinscale API answers at ${api} (${(e as Error & { cause?: Error }).cause?.message ?? (e as Error).message}): start one with \`twinscale start\` or give --api`,
    );
  }
  const answer = (await res.json().catch(() => ({}))) as { message?: string } & UnitResult;
  if (res.status >= 400 && res.status < 500)
    throw new CliUsageError(`${res.status}: ${answer.message ?? res.statusText}`);
  if (res.status >= 400)
    throw new Error(`${url} answered ${res.status}: ${answer.message ?? res.statusText}`);
  return { status: res.status, result: answer };
}

/** The result as lines a person reads: the twins with their status and load, the edges, then each finding. */
export function unitsText(r: UnitResult): string {
  const lines: string[] = [];
  const s = r.findings[0]?.summary ?? `${r.unit.kind} ${r.unit.name}`;
  lines.push(`${s}${r.dryRun ? ' (dry run: nothing created)' : ''}`);
  if (r.twins.length) {
    lines.push('', 'twins');
    const w = Math.max(...r.twins.map((t) => t.id.length));
    for (const t of r.twins) lines.push(`  ${t.status.padEnd(12)} ${t.id.padEnd(w)}  load ${t.load}`);
  }
  if (r.edges.length) {
    lines.push('', 'edges (caller → called)');
    for (const e of r.edges) lines.push(`  ${e.status.padEnd(12)} ${e.from} → ${e.to}: ${e.reason}`);
  }
  lines.push('', 'findings');
  for (const f of r.findings) {
    lines.push(`  ${f.resource} (${f.type})${f.twinId ? ` → ${f.twinId}` : ''}: ${f.summary}`);
    for (const n of f.notes) lines.push(`    ${n}`);
    for (const w of f.warnings) lines.push(`    ! ${w}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A store with no twins: an offline plan is a dry run, which reads whether each twin exists and writes nothing. */
const nothingStored = { getTwin: async () => undefined } as unknown as TwinStore;

export function unitsCommand(io: CliIo, done: (code: number) => void): Command {
  return new Command('units')
    .summary('twins from a deployable unit: a template file, a deployed stack, an ECS task family')
    .description(
      'Finds the Auto Scaling groups and ECS services of a unit, what each depends on, its load metric ' +
        '(target group request count, else the queue it consumes, else CPU) and the calls between them, ' +
        'and creates the twins (forecast-only) and edges through a running API (POST /units). Without ' +
        '--api, a template file is planned here and nothing is created. A synthesized template names no ' +
        'physical resources: give --names (or read the deployed stack) for twins to be created.',
    )
    .argument(
      '[template]',
      'a CloudFormation template, JSON or YAML (cdk synth writes cdk.out/<Stack>.template.json)',
    )
    .option('--stack <name>', 'a deployed stack to read (with a template file: the stack it is deployed as)')
    .option('--task-family <family>', 'an ECS task definition family (with --cluster)')
    .option('--cluster <cluster>', 'the cluster whose services run the family')
    .option(
      '--names <json|file>',
      'logical id → physical name for a template, e.g. {"FleetASG3971DFE5":"shop-fleet"}',
    )
    .addOption(
      new Option('--api <url>', 'a running Twinscale API, e.g. http://127.0.0.1:8787 (twinscale start)').env(
        'TWINSCALE_API',
      ),
    )
    .option('--dry-run', 'report what would be created, and create nothing')
    .option('--json', 'print only the result as JSON (what POST /units answers)')
    .action(async (template: string | undefined, o: UnitsOptions) => {
      const body = unitRequest(template, o);
      let result: UnitResult;
      if (o.api) {
        result = (await postUnits(o.api, body)).result;
      } else {
        if (body.kind !== 'template')
          throw new CliUsageError(
            `--${body.kind === 'stack' ? 'stack' : 'task-family'}: reading AWS goes through a running API: give --api URL (or TWINSCALE_API)`,
          );
        const plan = planTemplateUnit({
          unit: (body.stackName as string | undefined) ?? 'template',
          kind: 'template',
          template: body.template as CfnTemplate,
          physicalIds: body.names as Record<string, string> | undefined,
        });
        result = await applyUnitPlan(nothingStored, plan, 0, true);
      }
      printResult(io, o.json === true, result, () => unitsText(result));
      done(EXIT.ok);
    });
}
