import { existsSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { type Command, Option } from 'commander';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { type BodyFormat, DocumentSyntaxError, parseDocumentText } from '../../layers/core/api/route.js';
import { MINUTE_MS } from '../../layers/core/series/grid.js';
import { parseTimestamp } from '../../layers/core/series/read-trace.js';
import { type Slo, SloSchema } from '../../layers/core/simulate/resilience.js';
import {
  DemandTransformSchema,
  InstanceFailureSchema,
  MetricOutageSchema,
  WarmupChangeSchema,
  type WhatIf,
  WhatIfSchema,
  whatIfMinutes,
} from '../../layers/core/simulate/what-if.js';
import { isoTime } from '../bench/trace-set.js';
import { CliUsageError } from './errors.js';
import { collect } from './option-values.js';

/** A what-if as the command line gives it: a JSON WhatIf and/or shorthand flags, each repeatable. */
export interface ScenarioSpec {
  scenario?: string;
  surge?: string[];
  ramp?: string[];
  lose?: string[];
  warmup?: string[];
  flashCrowd?: string[];
  outage?: string[];
}

/** The replayed window the what-if applies to: minute 0 is `startMs`. */
export interface ScenarioWindow {
  startMs: number;
  minutes: number;
}

export const SCENARIO_HELP = `
Scenario (what-if): --scenario and the shorthand flags combine. TIME is ISO-8601 (UTC unless zoned)
or +OFFSET from the start of the replayed window; DURATION and OFFSET are a number then m, h or d.
  --surge 1.5@2014-04-20T12:00Z/2h   demand × 1.5 for two hours from that time
  --ramp 2@+3d/6h                    demand × 1 growing to × 2 over 6 h from day 3, then held at × 2
  --flash-crowd 4@+2d/5m/1h          demand climbs to × 4 over 5 minutes, then decays back over an
                                     hour (RISE and DECAY optional: 5m and 1h; the decay exponential)
  --lose 3@+1d   --lose 33%@+1d      3 instances (or a third of those in service) fail a day in
  --warmup 10@+2d                    instances launched from day 2 on take 10 minutes to warm up
  --outage +2d/30m                   the policy sees no new load data for 30 minutes from day 2
  --scenario '{"demand":[{"kind":"surge","fromMinute":600,"toMinute":720,"factor":1.5}],
    "failures":[{"atMinute":900,"count":3}],"warmupChanges":[{"atMinute":0,"warmupMinutes":10}]}'
  --scenario scenario.yaml           a file: YAML (.yaml, .yml) or JSON (any other name)
The document is a WhatIf (failures, demand, warmupChanges, metricOutages), or a scenario as
POST /twins/{id}/scenarios takes it ({whatIf, slo}: days, forecastHours and policies are a
twin's, not a trace's). Minutes count from the start of the replayed window (printed by replay
and simulate); a failure takes count or fraction, a surge factor, a ramp toFactor, a flash-crowd
atMinute, peak, riseMinutes, decayMinutes, decay; an outage fromMinute and toMinute.
Each policy is checked against the SLO (slo: maxBreachMinutes, maxBreachPct; default 1 %).`;

/** The --scenario option and the shorthand flags, as simulate and replay take them. */
export function scenarioOptions(command: Command): Command {
  const repeatable = (flags: string, what: string) =>
    new Option(flags, `${what} (repeatable)`).argParser(collect);
  return command
    .option('--scenario <spec>', 'a scenario as inline JSON, or a YAML or JSON file (below)')
    .addOption(repeatable('--surge <factor@time/duration>', 'multiply demand for a while'))
    .addOption(repeatable('--ramp <factor@time/duration>', 'ramp demand up to a factor'))
    .addOption(repeatable('--flash-crowd <peak@time[/rise[/decay]]>', 'a spike of demand that decays'))
    .addOption(repeatable('--lose <count@time>', 'instances fail: COUNT or PERCENT%'))
    .addOption(repeatable('--warmup <minutes@time>', 'a new warm-up from a time on'))
    .addOption(repeatable('--outage <time/duration>', 'no new load data reaches the policy for a while'));
}

/** Whether a spec asks for any what-if at all (replay runs as it was without one). */
export const hasScenario = (spec: ScenarioSpec): boolean =>
  spec.scenario !== undefined ||
  [spec.surge, spec.ramp, spec.flashCrowd, spec.lose, spec.warmup, spec.outage].some(
    (v) => (v?.length ?? 0) > 0,
  );

/** A scenario for a trace: what changes, and the SLO each policy is held to. */
export interface TraceScenario {
  whatIf: WhatIf;
  slo: Slo;
}

/** The what-if a spec describes, validated against WhatIfSchema; minutes from the window's start. */
export function buildWhatIf(spec: ScenarioSpec, window: ScenarioWindow): WhatIf {
  return buildScenario(spec, window).whatIf;
}

/** The scenario a spec describes: its what-if (minutes from the window's start) and its SLO. */
export function buildScenario(spec: ScenarioSpec, window: ScenarioWindow): TraceScenario {
  const read = spec.scenario ? scenarioDocument(spec.scenario) : undefined;
  const what: WhatIf = read?.whatIf ?? WhatIfSchema.parse({});
  const prefix = `--scenario${read?.nested ? ' whatIf' : ''}`;
  // Where each entry came from, to name it when it falls outside the window.
  const from = {
    demand: what.demand.map((_, i) => `${prefix} demand.${i}`),
    failures: what.failures.map((_, i) => `${prefix} failures.${i}`),
    warmupChanges: what.warmupChanges.map((_, i) => `${prefix} warmupChanges.${i}`),
    metricOutages: what.metricOutages.map((_, i) => `${prefix} metricOutages.${i}`),
  };
  const at = (flag: string, text: string) => minuteOf(flag, text, window);
  for (const [kind, values] of [
    ['surge', spec.surge ?? []],
    ['ramp', spec.ramp ?? []],
  ] as const) {
    for (const value of values) {
      const flag = `--${kind} ${value}`;
      const m = /^([^@]+)@([^/]+)\/(.+)$/.exec(value);
      if (!m)
        throw new CliUsageError(
          `${flag}: write FACTOR@TIME/DURATION, e.g. --${kind} 1.5@2014-04-20T12:00Z/2h`,
        );
      const factor = numberIn(flag, 'FACTOR', m[1]);
      const fromMinute = at(flag, m[2]);
      const toMinute = fromMinute + durationMinutes(flag, m[3]);
      const shape = { kind, fromMinute, toMinute, ...(kind === 'surge' ? { factor } : { toFactor: factor }) };
      what.demand.push(validated(flag, DemandTransformSchema, shape));
      from.demand.push(flag);
    }
  }
  for (const value of spec.flashCrowd ?? []) {
    const flag = `--flash-crowd ${value}`;
    const m = /^([^@]+)@([^/]+)(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(value);
    if (!m)
      throw new CliUsageError(`${flag}: write PEAK@TIME[/RISE[/DECAY]], e.g. --flash-crowd 4@+2d/5m/1h`);
    const shape = {
      kind: 'flash-crowd',
      atMinute: at(flag, m[2]),
      peak: numberIn(flag, 'PEAK', m[1]),
      ...(m[3] === undefined ? {} : { riseMinutes: durationMinutes(flag, m[3], true) }),
      ...(m[4] === undefined ? {} : { decayMinutes: durationMinutes(flag, m[4]) }),
    };
    what.demand.push(validated(flag, DemandTransformSchema, shape));
    from.demand.push(flag);
  }
  for (const value of spec.lose ?? []) {
    const flag = `--lose ${value}`;
    const m = /^([^@]+?)(%?)@(.+)$/.exec(value);
    if (!m) throw new CliUsageError(`${flag}: write COUNT@TIME or PERCENT%@TIME, e.g. --lose 3@+1d`);
    const n = numberIn(flag, m[2] ? 'PERCENT' : 'COUNT', m[1]);
    const shape = { atMinute: at(flag, m[3]), ...(m[2] ? { fraction: n / 100 } : { count: n }) };
    what.failures.push(validated(flag, InstanceFailureSchema, shape));
    from.failures.push(flag);
  }
  for (const value of spec.warmup ?? []) {
    const flag = `--warmup ${value}`;
    const m = /^([^@]+)@(.+)$/.exec(value);
    if (!m) throw new CliUsageError(`${flag}: write MINUTES@TIME, e.g. --warmup 10@+2d`);
    const shape = { atMinute: at(flag, m[2]), warmupMinutes: numberIn(flag, 'MINUTES', m[1]) };
    what.warmupChanges.push(validated(flag, WarmupChangeSchema, shape));
    from.warmupChanges.push(flag);
  }
  for (const value of spec.outage ?? []) {
    const flag = `--outage ${value}`;
    const m = /^([^/]+)\/(.+)$/.exec(value);
    if (!m) throw new CliUsageError(`${flag}: write TIME/DURATION, e.g. --outage +2d/30m`);
    const fromMinute = at(flag, m[1]);
    const shape = { fromMinute, toMinute: fromMinute + durationMinutes(flag, m[2]) };
    what.metricOutages.push(validated(flag, MetricOutageSchema, shape));
    from.metricOutages.push(flag);
  }
  if (whatIfMinutes(what).length === 0)
    throw new CliUsageError(
      'no what-if given: add --scenario SPEC, --surge, --ramp, --flash-crowd, --lose, --warmup or --outage (see simulate --help)',
    );
  const late = (m: number, label: string) => {
    if (m >= window.minutes)
      throw new CliUsageError(
        `${label}: minute ${m} is after the replayed window (minutes 0 … ${window.minutes - 1}, ${isoTime(window.startMs)} on)`,
      );
  };
  for (const { path, minute } of whatIfMinutes(what))
    late(minute, from[path[0] as keyof typeof from][path[1] as number]);
  return { whatIf: what, slo: read?.slo ?? {} };
}

/** The part of a twin's scenario document (ScenarioDocumentSchema) that applies to a trace. */
const TraceScenarioSchema = z
  .object({ whatIf: WhatIfSchema.default(WhatIfSchema.parse({})), slo: SloSchema.default({}) })
  .strict();

/** Fields of a twin's scenario that a trace has no use for: refused, rather than silently ignored. */
const TWIN_ONLY = ['days', 'forecastHours', 'policies'] as const;

/**
 * A --scenario: inline JSON, or a YAML (.yaml, .yml) or JSON file; a WhatIf, or a twin's scenario
 * document ({whatIf, slo}). Errors name the line (syntax, and where a YAML file's bad field is).
 */
function scenarioDocument(spec: string): { whatIf: WhatIf; slo: Slo; nested: boolean } {
  const inline = spec.trim().startsWith('{');
  if (!inline && !existsSync(spec))
    throw new CliUsageError(
      `--scenario: ${spec} is neither a file (YAML or JSON) nor inline JSON starting with {`,
    );
  const label = inline ? '--scenario' : `--scenario ${spec}`;
  const format: BodyFormat =
    !inline && ['.yaml', '.yml'].includes(extname(spec).toLowerCase()) ? 'yaml' : 'json';
  const text = inline ? spec : readFileSync(spec, 'utf8');
  let value: unknown;
  try {
    value = parseDocumentText(text, format);
  } catch (e) {
    if (e instanceof DocumentSyntaxError) throw new CliUsageError(`${label}: ${e.message}`);
    throw e;
  }
  const lineOf = format === 'yaml' ? yamlLines(text) : () => undefined;
  const isDocument =
    typeof value === 'object' &&
    value !== null &&
    ['whatIf', 'slo', ...TWIN_ONLY].some((k) => Object.hasOwn(value, k));
  if (!isDocument) return { whatIf: validated(label, WhatIfSchema, value, lineOf), slo: {}, nested: false };
  const doc = value as Record<string, unknown>;
  for (const key of TWIN_ONLY)
    if (key in doc)
      throw new CliUsageError(
        `${label}: ${key} is a twin's (POST /twins/{id}/scenarios): on a trace, simulate replays its scored window with --policy; remove ${key}`,
      );
  return { ...validated(label, TraceScenarioSchema, doc, lineOf), nested: true };
}

/** The line of each path of a YAML text, to point at a bad field. */
function yamlLines(text: string): (path: PropertyKey[]) => number | undefined {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  return (path) => {
    for (let n = path.length; n > 0; n--) {
      const node = doc.getIn(path.slice(0, n) as unknown[], true) as
        | { range?: [number, number, number] }
        | undefined;
      const at = node?.range?.[0];
      if (typeof at === 'number') return lines.linePos(at).line;
    }
    return undefined;
  };
}

function validated<S extends z.ZodType>(
  label: string,
  schema: S,
  value: unknown,
  lineOf: (path: PropertyKey[]) => number | undefined = () => undefined,
): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  // an unknown field is named itself, as the API names it
  const issues = parsed.error.issues.flatMap((i) =>
    i.code === 'unrecognized_keys'
      ? i.keys.map((k) => ({
          path: [...i.path, k],
          message: 'unknown field: remove it or check its spelling',
        }))
      : [i],
  );
  const lines = issues.map((i) => {
    const line = lineOf(i.path);
    return `${line ? `line ${line}: ` : ''}${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`;
  });
  throw new CliUsageError(`${label}: ${lines.join('; ')}`);
}

function numberIn(flag: string, name: string, text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n))
    throw new CliUsageError(`${flag}: ${name} must be a number, got "${text}"`);
  return n;
}

const DURATION = /^(\d+(?:\.\d+)?)(m|h|d)$/;
const UNIT_MINUTES = { m: 1, h: 60, d: 1440 } as const;

function durationMinutes(flag: string, text: string, zeroAllowed = false): number {
  const m = DURATION.exec(text.trim());
  const minutes = m ? Math.round(Number(m[1]) * UNIT_MINUTES[m[2] as keyof typeof UNIT_MINUTES]) : -1;
  if (!(minutes > 0 || (zeroAllowed && minutes === 0)))
    throw new CliUsageError(`${flag}: "${text}" is not a duration such as 90m, 2h or 1.5d`);
  return minutes;
}

/** A TIME (ISO-8601 or +OFFSET) as a minute of the window; refuses one before it. */
function minuteOf(flag: string, text: string, window: ScenarioWindow): number {
  const s = text.trim();
  let minute: number;
  if (s.startsWith('+')) {
    const m = DURATION.exec(s.slice(1));
    if (!m && s !== '+0')
      throw new CliUsageError(`${flag}: "${s}" is not an offset such as +0, +90m, +2h or +1.5d`);
    minute = m ? Math.round(Number(m[1]) * UNIT_MINUTES[m[2] as keyof typeof UNIT_MINUTES]) : 0;
  } else {
    const t = parseTimestamp(s);
    if (t === undefined)
      throw new CliUsageError(
        `${flag}: "${s}" is neither an ISO-8601 time (2014-04-20T12:00Z) nor an offset (+2h)`,
      );
    minute = Math.round((t - window.startMs) / MINUTE_MS);
  }
  if (minute < 0)
    throw new CliUsageError(
      `${flag}: ${s} is before the replayed window, which starts ${isoTime(window.startMs)}`,
    );
  return minute;
}
