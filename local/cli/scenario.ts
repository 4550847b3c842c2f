import { existsSync, readFileSync } from 'node:fs';
import type { z } from 'zod';
import { MINUTE_MS } from '../../layers/core/series/grid.js';
import { parseTimestamp } from '../../layers/core/series/read-trace.js';
import {
  DemandTransformSchema,
  InstanceFailureSchema,
  WarmupChangeSchema,
  type WhatIf,
  WhatIfSchema,
} from '../../layers/core/simulate/what-if.js';
import { isoTime } from '../bench/trace-set.js';
import { CliUsageError } from './errors.js';

/** A what-if as the command line gives it: a JSON WhatIf and/or shorthand flags, each repeatable. */
export interface ScenarioSpec {
  scenario?: string;
  surge?: string[];
  ramp?: string[];
  lose?: string[];
  warmup?: string[];
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
  --lose 3@+1d   --lose 33%@+1d      3 instances (or a third of those in service) fail a day in
  --warmup 10@+2d                    instances launched from day 2 on take 10 minutes to warm up
  --scenario '{"demand":[{"kind":"surge","fromMinute":600,"toMinute":720,"factor":1.5}],
    "failures":[{"atMinute":900,"count":3}],"warmupChanges":[{"atMinute":0,"warmupMinutes":10}]}'
  --scenario what-if.json            the same JSON in a file
In the JSON, minutes count from the start of the replayed window (printed by replay and simulate);
a failure takes count or fraction, a surge factor, a ramp toFactor (WhatIfSchema).`;

/** The what-if a spec describes, validated against WhatIfSchema; minutes from the window's start. */
export function buildWhatIf(spec: ScenarioSpec, window: ScenarioWindow): WhatIf {
  const what: WhatIf = spec.scenario ? scenarioJson(spec.scenario) : WhatIfSchema.parse({});
  // Where each entry came from, to name it when it falls outside the window.
  const from = {
    demand: what.demand.map((_, i) => `--scenario demand.${i}`),
    failures: what.failures.map((_, i) => `--scenario failures.${i}`),
    warmupChanges: what.warmupChanges.map((_, i) => `--scenario warmupChanges.${i}`),
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
  if (what.demand.length + what.failures.length + what.warmupChanges.length === 0)
    throw new CliUsageError(
      'no what-if given: add --scenario SPEC, --surge, --ramp, --lose or --warmup (see simulate --help)',
    );
  const late = (m: number, label: string) => {
    if (m >= window.minutes)
      throw new CliUsageError(
        `${label}: minute ${m} is after the replayed window (minutes 0 … ${window.minutes - 1}, ${isoTime(window.startMs)} on)`,
      );
  };
  for (const [i, d] of what.demand.entries()) late(d.fromMinute, from.demand[i]);
  for (const [i, f] of what.failures.entries()) late(f.atMinute, from.failures[i]);
  for (const [i, w] of what.warmupChanges.entries()) late(w.atMinute, from.warmupChanges[i]);
  return what;
}

function scenarioJson(spec: string): WhatIf {
  const inline = spec.trim().startsWith('{');
  if (!inline && !existsSync(spec))
    throw new CliUsageError(`--scenario: ${spec} is neither a JSON file nor inline JSON starting with {`);
  const label = inline ? '--scenario' : `--scenario ${spec}`;
  let json: unknown;
  try {
    json = JSON.parse(inline ? spec : readFileSync(spec, 'utf8'));
  } catch (e) {
    throw new CliUsageError(`${label}: not valid JSON (${(e as Error).message})`);
  }
  return validated(label, WhatIfSchema, json);
}

function validated<S extends z.ZodType>(label: string, schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map(
    (i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`,
  );
  throw new CliUsageError(`${label}: ${issues.join('; ')}`);
}

function numberIn(flag: string, name: string, text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n))
    throw new CliUsageError(`${flag}: ${name} must be a number, got "${text}"`);
  return n;
}

const DURATION = /^(\d+(?:\.\d+)?)(m|h|d)$/;
const UNIT_MINUTES = { m: 1, h: 60, d: 1440 } as const;

function durationMinutes(flag: string, text: string): number {
  const m = DURATION.exec(text.trim());
  const minutes = m ? Math.round(Number(m[1]) * UNIT_MINUTES[m[2] as keyof typeof UNIT_MINUTES]) : 0;
  if (!(minutes > 0)) throw new CliUsageError(`${flag}: "${text}" is not a duration such as 90m, 2h or 1.5d`);
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
