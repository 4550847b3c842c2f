import { parse as parseYaml, type Tags } from 'yaml';

/** A CloudFormation template as the analysis reads it: its resources, and parameters for their defaults. */
export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}
export interface CfnTemplate {
  Resources?: Record<string, CfnResource>;
  Parameters?: Record<string, { Default?: unknown }>;
}

/** What a resource's reference or attribute is, when the analysis can know it. */
export type NameOf = (logicalId: string, attribute?: string) => string | undefined;

/**
 * What a template value says: its text where every part of it can be read (a reference it cannot
 * read is `{{LogicalId}}` or `{{LogicalId.Attribute}}` in `pattern`, and `text` is then
 * undefined), the resources it references (Ref, Fn::GetAtt, Fn::Sub), and the names it imports
 * from other stacks (Fn::ImportValue, which no single template resolves).
 */
export interface Reading {
  text: string | undefined;
  pattern: string;
  refs: Set<string>;
  imports: string[];
  /** Parameters it takes (their default read as the value, when there is one). */
  parameters: string[];
}

const PSEUDO = /^AWS::(Region|AccountId|Partition|StackName|StackId|URLSuffix|NoValue|NotificationARNs)$/;

/**
 * Reads a template value: literals as they are, Ref and Fn::GetAtt through `nameOf` (the physical
 * names of a deployed stack, or the names a caller gave), Fn::Join, Fn::Sub, Fn::Select and
 * Fn::Base64 as CloudFormation evaluates them; anything else (Fn::If, Fn::FindInMap…) is
 * unreadable, but its references still count.
 */
export function readValue(
  value: unknown,
  nameOf: NameOf,
  template: CfnTemplate,
  pseudo: Record<string, string> = {},
): Reading {
  const refs = new Set<string>();
  const imports: string[] = [];
  const parameters: string[] = [];
  const resources = template.Resources ?? {};
  const reference = (id: string, attribute?: string): { text?: string; pattern: string } => {
    const name = attribute ? `${id}.${attribute}` : id;
    if (!attribute && PSEUDO.test(id)) {
      const v = pseudo[id.slice(5)];
      return { text: v, pattern: v ?? `{{${id}}}` };
    }
    if (!attribute && !(id in resources) && template.Parameters && id in template.Parameters) {
      parameters.push(id);
      const d = template.Parameters[id].Default;
      const text = typeof d === 'string' || typeof d === 'number' ? String(d) : undefined;
      return { text, pattern: text ?? `{{${id}}}` };
    }
    refs.add(id);
    const text = nameOf(id, attribute);
    return { text, pattern: text ?? `{{${name}}}` };
  };
  const walk = (v: unknown): { text?: string; pattern: string } => {
    if (typeof v === 'string') return { text: v, pattern: v };
    if (typeof v === 'number' || typeof v === 'boolean') return { text: String(v), pattern: String(v) };
    if (Array.isArray(v)) {
      const parts = v.map(walk);
      return { pattern: parts.map((p) => p.pattern).join(',') };
    }
    if (v === null || typeof v !== 'object') return { pattern: '' };
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1) {
      const [k] = keys;
      const arg = o[k];
      if (k === 'Ref' && typeof arg === 'string') return reference(arg);
      if (k === 'Fn::GetAtt') {
        const [id, ...attr] = typeof arg === 'string' ? arg.split('.') : (arg as string[]);
        if (typeof id === 'string') return reference(id, attr.join('.'));
      }
      if (k === 'Fn::ImportValue') {
        const name = walk(arg);
        imports.push(name.text ?? name.pattern);
        return { pattern: `{{import:${name.text ?? name.pattern}}}` };
      }
      if (k === 'Fn::Join' && Array.isArray(arg) && Array.isArray(arg[1])) {
        const sep = typeof arg[0] === 'string' ? arg[0] : '';
        const parts = (arg[1] as unknown[]).map(walk);
        return {
          text: parts.every((p) => p.text !== undefined) ? parts.map((p) => p.text).join(sep) : undefined,
          pattern: parts.map((p) => p.pattern).join(sep),
        };
      }
      if (k === 'Fn::Sub') return sub(arg);
      if (k === 'Fn::Base64') return walk(arg);
      if (k === 'Fn::Select' && Array.isArray(arg) && Array.isArray(arg[1])) {
        const i = Number(arg[0]);
        walk(arg[1]);
        const picked = (arg[1] as unknown[])[i];
        return picked === undefined ? { pattern: '' } : walk(picked);
      }
    }
    for (const x of Object.values(o)) walk(x);
    return { pattern: '' };
  };
  const sub = (arg: unknown): { text?: string; pattern: string } => {
    const [body, vars] = Array.isArray(arg) ? [arg[0], (arg[1] ?? {}) as Record<string, unknown>] : [arg, {}];
    if (typeof body !== 'string') return walk(body);
    let text: string | undefined = '';
    let pattern = '';
    let last = 0;
    for (const m of body.matchAll(/\$\{([^}]*)\}/g)) {
      const literal = body.slice(last, m.index);
      last = (m.index ?? 0) + m[0].length;
      const inner = m[1];
      let part: { text?: string; pattern: string };
      if (inner.startsWith('!')) part = { text: `\${${inner.slice(1)}}`, pattern: `\${${inner.slice(1)}}` };
      else if (inner in vars) part = walk(vars[inner]);
      else {
        const [id, ...attr] = inner.split('.');
        part = reference(id, attr.length ? attr.join('.') : undefined);
      }
      text = text !== undefined && part.text !== undefined ? text + literal + part.text : undefined;
      pattern += literal + part.pattern;
    }
    const rest = body.slice(last);
    return { text: text === undefined ? undefined : text + rest, pattern: pattern + rest };
  };
  const out = walk(value);
  return { text: out.text, pattern: out.pattern, refs, imports, parameters };
}

/** Every resource a value references, however deep (Ref, Fn::GetAtt, Fn::Sub). */
export const refsOf = (value: unknown, template: CfnTemplate): Set<string> =>
  readValue(value, () => undefined, template).refs;

/** CloudFormation's YAML short forms (`!Ref x`, `!GetAtt a.b`, `!Sub …`) as the long forms they stand for. */
const SHORT_FORMS = [
  'Ref',
  'GetAtt',
  'Join',
  'Sub',
  'Select',
  'Split',
  'Base64',
  'ImportValue',
  'If',
  'Equals',
  'Not',
  'And',
  'Or',
  'FindInMap',
  'GetAZs',
  'Cidr',
  'Condition',
].flatMap((name) => {
  const key = name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`;
  const wrap = (value: unknown) => ({
    [key]: name === 'GetAtt' && typeof value === 'string' ? value.split('.') : value,
  });
  return (['scalar', 'seq', 'map'] as const).map((nodeClass) => ({
    tag: `!${name}`,
    collection: nodeClass === 'scalar' ? undefined : nodeClass,
    resolve: (v: unknown) =>
      wrap(
        v && typeof v === 'object' && 'toJSON' in (v as object) ? (v as { toJSON(): unknown }).toJSON() : v,
      ),
  }));
});

/** A template's text, JSON or YAML (with the short forms), as a template; throws when it is neither. */
export function parseTemplateText(text: string): CfnTemplate {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) return JSON.parse(text) as CfnTemplate;
  return parseYaml(text, {
    customTags: SHORT_FORMS as unknown as Tags,
    logLevel: 'error',
    maxAliasCount: 100,
  }) as CfnTemplate;
}
