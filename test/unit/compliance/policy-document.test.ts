import {
  describeProblem,
  loadPolicyDocument,
  policyJsonSchema,
  validatePolicyValue,
} from '../../../layers/core/compliance/policy-document.js';

const GOOD_YAML = `version: 1
rules:
  - id: cpu-p95
    severity: high
    applies: { twins: ["web-*"] }
    check: { kind: metric, metric: utilization, stat: p95, windowMinutes: 10, below: 80 }
    remediation: { action: scale, maxStep: 4 }
  - id: bounds
    severity: medium
    check:
      kind: config
      minCapacityAtLeast: 2
      maxCapacityAtMost: 50
    remediation: { action: change-bounds }
  - id: headroom
    severity: critical
    check: { kind: forecast, horizonMinutes: 30, utilizationAbove: 0.9 }
    remediation: { action: notify }
`;

describe('Function: loadPolicyDocument', () => {
  it('reads a YAML policy with every kind of check, the forecast quantile defaulting to p90', () => {
    const r = loadPolicyDocument(GOOD_YAML, 'application/yaml');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.document.rules.map((x) => x.check.kind)).toEqual(['metric', 'config', 'forecast']);
    expect(r.document.rules[2].check).toMatchObject({ quantile: 'p90' });
  });

  it('names the line and the rule of a bad value in YAML', () => {
    const text = GOOD_YAML.replace('windowMinutes: 10', 'windowMinutes: 0');
    const r = loadPolicyDocument(text, 'policy.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toEqual([
      expect.objectContaining({ path: 'rules[0].check.windowMinutes', rule: 'cpu-p95', line: 6 }),
    ]);
  });

  it('names the line of an unknown field in a block mapping', () => {
    const text = GOOD_YAML.replace(
      '      maxCapacityAtMost: 50\n',
      '      maxCapacityAtMost: 50\n      maxCapacity: 3\n',
    );
    const r = loadPolicyDocument(text, 'text/yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => [p.line, p.rule, p.path])).toEqual([
      [14, 'bounds', 'rules[1].check.maxCapacity'],
    ]);
    expect(describeProblem(r.problems[0])).toBe(
      'line 14, rule "bounds", rules[1].check.maxCapacity: unknown field: remove it or check its spelling',
    );
  });

  it('names the line and rule in JSON, a rule without an id by its index', () => {
    const text = JSON.stringify(
      {
        version: 1,
        rules: [
          {
            id: 'ok',
            severity: 'low',
            check: { kind: 'config', requiredTags: ['team'] },
            remediation: { action: 'notify' },
          },
          {
            severity: 'urgent',
            check: { kind: 'config', requiredTags: ['team'] },
            remediation: { action: 'notify' },
          },
        ],
      },
      null,
      2,
    );
    const r = loadPolicyDocument(text, 'application/json');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const lines = text.split('\n');
    const severityLine = lines.findIndex((l) => l.includes('"urgent"')) + 1;
    const secondRuleLine =
      lines.findIndex((l, i) => i > lines.findIndex((x) => x.includes('"ok"')) && l.trim() === '{') + 1;
    expect(r.problems.map((p) => [p.path, p.rule, p.line]).sort()).toEqual([
      ['rules[1].id', 'rules[1]', secondRuleLine],
      ['rules[1].severity', 'rules[1]', severityLine],
    ]);
  });

  it('refuses a metric check with both bounds, a duplicate rule id, and a config check with nothing to check', () => {
    const r = validatePolicyValue({
      version: 1,
      rules: [
        {
          id: 'a',
          severity: 'low',
          check: { kind: 'metric', metric: 'cpu', stat: 'max', windowMinutes: 5, below: 1, above: 0 },
          remediation: { action: 'notify' },
        },
        { id: 'a', severity: 'low', check: { kind: 'config' }, remediation: { action: 'notify' } },
      ],
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => p.path).sort()).toEqual([
      'rules[0].check.below',
      'rules[1].check.kind',
      'rules[1].id',
    ]);
  });

  it('reports a YAML syntax error at its line', () => {
    const r = loadPolicyDocument('version: 1\nrules:\n  - id: [x\n', 'a.yml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems[0].line).toBeGreaterThanOrEqual(3);
    expect(r.problems[0].message).toMatch(/YAML/);
  });
});

describe('Function: policyJsonSchema', () => {
  it('publishes the three kinds of check and the three remediations', () => {
    const text = JSON.stringify(policyJsonSchema());
    for (const word of ['"metric"', '"config"', '"forecast"', '"scale"', '"change-bounds"', '"notify"'])
      expect(text).toContain(word);
  });
});
