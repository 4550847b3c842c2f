import fc from 'fast-check';
import { stringify as toYaml } from 'yaml';
import { createApi } from '../../layers/core/api/router.js';
import {
  loadPolicyDocument,
  PolicyDocumentSchema,
  type PolicyProblem,
} from '../../layers/core/compliance/policy-document.js';
import type { TwinStore } from '../../layers/core/store/twin-store.js';
import { TwinSchema } from '../../layers/core/twin/twin.js';
import { requestCountTwin } from '../../local/fixtures/twins.js';
import { noWorkflows } from '../support/api-client.js';
import { anyJson, nested, trickyString, yamlBomb } from './bad-values.js';
import { badValueOf, jsonSchemaOf } from './schema-fuzz.js';

/**
 * Issue 11: policy documents and scenario documents, in YAML and JSON, damaged at random. A policy
 * loads or comes back as problems naming the path, the rule and a line inside the text; a scenario
 * posted as YAML starts (202) or is a 400 naming the body. Nothing throws.
 */

const tried: Record<string, number> = {};
const count = (area: string) => {
  tried[area] = (tried[area] ?? 0) + 1;
};
afterAll(() => {
  const total = Object.values(tried).reduce((a, b) => a + b, 0);
  console.log(`bad documents tried: ${total} ${JSON.stringify(tried)}`);
});

const POLICY_YAML = `version: 1
description: base rules
rules:
  - id: cpu-p95
    severity: high
    check: { kind: metric, metric: utilization, stat: p95, windowMinutes: 10, below: 80 }
    remediation: { action: scale, maxStep: 4 }
  - id: headroom
    severity: critical
    applies: { twins: [web, "api-*"], tags: { team: checkout } }
    check: { kind: forecast, horizonMinutes: 30, utilizationAbove: 0.9 }
    remediation: { action: notify, topic: oncall }
  - id: team-tag
    severity: low
    check:
      kind: config
      requiredTags: [team]
      minCapacityAtLeast: 2
    remediation: { action: change-bounds, min: 2 }
`;

const SCENARIO_YAML = `days: 1
forecastHours: 6
whatIf:
  demand:
    - kind: flash-crowd
      atMinute: 1500
      peak: 4
      riseMinutes: 3
  failures:
    - { kind: zone-loss, atMinute: 1505, fraction: 0.33 }
  metricOutages:
    - fromMinute: 1500
      toMinute: 1520
policies:
  - name: twin
  - name: cautious
    settings: { headroom: 0.2 }
slo:
  maxBreachMinutes: 10
`;

/** A document's lines damaged: one dropped, repeated, re-indented, or a token swapped for junk. */
const damaged = (text: string) => {
  const lines = text.trimEnd().split('\n');
  const edit = fc.record({
    at: fc.nat({ max: lines.length - 1 }),
    how: fc.constantFrom('drop', 'repeat', 'indent', 'dedent', 'token', 'truncate', 'tab'),
    junk: fc.oneof(
      trickyString,
      fc.constantFrom('-1', '1e999', '[', '{', '&a', '*a', '!!binary', '~', 'null'),
    ),
  });
  return fc.array(edit, { minLength: 1, maxLength: 3 }).map((edits) => {
    let out = [...lines];
    for (const { at, how, junk } of edits) {
      const i = at % out.length;
      const line = out[i] ?? '';
      if (how === 'drop') out.splice(i, 1);
      else if (how === 'repeat') out.splice(i, 0, line);
      else if (how === 'indent') out[i] = `  ${line}`;
      else if (how === 'dedent') out[i] = line.replace(/^ {1,2}/, '');
      else if (how === 'tab') out[i] = `\t${line}`;
      else if (how === 'truncate')
        out = out.slice(0, i + 1).map((l, j) => (j === i ? l.slice(0, l.length >> 1) : l));
      else out[i] = line.replace(/[\w.-]+\s*([,}\]]|$)/, `${junk}$1`);
      if (out.length === 0) out = [''];
    }
    return out.join('\n');
  });
};

/** Problems that say where: a path (or the whole document), a message, a line inside the text. */
function expectLocated(problems: PolicyProblem[], text: string) {
  expect(problems.length).toBeGreaterThan(0);
  const lines = text.split('\n').length;
  for (const p of problems) {
    expect(typeof p.path).toBe('string');
    expect(p.message.length).toBeGreaterThan(3);
    if (p.line !== undefined && (p.line < 1 || p.line > lines))
      throw new Error(`line ${p.line} outside the ${lines} lines of the document`);
    if (p.path.startsWith('rules[') && !p.rule)
      throw new Error(`a problem in a rule that names no rule: ${p.path}`);
  }
}

describe('Property: policy documents load or name their problems, never throw (issue 11)', () => {
  it('the valid example loads (the base the damage starts from)', () => {
    expect(loadPolicyDocument(POLICY_YAML, 'policy.yaml').ok).toBe(true);
  });

  it('a damaged YAML policy loads or names path, rule and line', () => {
    fc.assert(
      fc.property(damaged(POLICY_YAML), (text) => {
        count('policy yaml damaged');
        const r = loadPolicyDocument(text, 'application/yaml');
        if (!r.ok) expectLocated(r.problems, text);
      }),
      { numRuns: 400 },
    );
  });

  it('a near-valid policy in JSON or YAML, wrong somewhere, loads or names its problems', () => {
    fc.assert(
      fc.property(
        badValueOf(jsonSchemaOf(PolicyDocumentSchema)),
        fc.constantFrom('policy.json', 'policy.yaml', 'application/json', 'text/yaml', undefined),
        (value, source) => {
          count('policy near-valid');
          const text = /ya?ml/.test(source ?? '') ? toYaml(value ?? null) : (JSON.stringify(value) ?? '');
          const r = loadPolicyDocument(text, source);
          if (!r.ok) expectLocated(r.problems, text);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('any text, deep nesting and alias bombs are problems, not throws', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          anyJson.map((v) => JSON.stringify(v) ?? ''),
          fc.constantFrom(
            yamlBomb(9),
            nested(5_000, 'array'),
            nested(2_000, 'object'),
            'a: &a 1\nb: *b',
            '%YAML 9.9\n---\n1',
          ),
        ),
        fc.constantFrom('policy.yaml', 'policy.json'),
        (text, source) => {
          count('policy any text');
          const r = loadPolicyDocument(text, source);
          if (!r.ok) expectLocated(r.problems, text);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('Property: a scenario posted as YAML starts or is a 400 naming the body (issue 11)', () => {
  const twin = TwinSchema.parse({
    ...requestCountTwin('web', 20),
    policy: {},
    source: 'registered',
    version: 1,
    createdAt: '2026-11-15T00:00:00.000Z',
    updatedAt: '2026-11-15T00:00:00.000Z',
  });
  const api = createApi({
    store: { getTwin: async (id: string) => (id === 'web' ? twin : undefined) } as unknown as TwinStore,
    workflows: noWorkflows,
    now: () => Date.parse('2026-11-23T10:00:00.000Z'),
  });

  it('the valid example starts (the base the damage starts from)', async () => {
    const res = await api({
      method: 'POST',
      path: '/twins/web/scenarios',
      query: {},
      body: SCENARIO_YAML,
      contentType: 'application/yaml',
    });
    expect(res.status).toBe(202);
  });

  it('a damaged YAML scenario is a 202 or a 400 whose problems are in the body', async () => {
    await fc.assert(
      fc.asyncProperty(damaged(SCENARIO_YAML), async (text) => {
        count('scenario yaml damaged');
        const res = await api({
          method: 'POST',
          path: '/twins/web/scenarios',
          query: {},
          body: text,
          contentType: 'application/yaml',
        });
        if (res.status !== 202 && res.status !== 400) throw new Error(`${res.status}: ${res.body}`);
        if (res.status === 400) {
          const body = JSON.parse(res.body) as { message: string; problems: { field: string }[] };
          expect(body.message.length).toBeGreaterThan(5);
          for (const p of body.problems) expect(p.field).toMatch(/^body(\.|$)/);
        }
      }),
      { numRuns: 400 },
    );
  });
});
