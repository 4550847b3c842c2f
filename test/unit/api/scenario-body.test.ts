import type { Context } from 'aws-lambda';
import type { WorkflowName } from '../../../layers/core/api/ports.js';
import { bodyFormatOf, DocumentSyntaxError, parseDocumentText } from '../../../layers/core/api/route.js';
import { createApi } from '../../../layers/core/api/router.js';
import type { TwinStore } from '../../../layers/core/store/twin-store.js';
import { TwinSchema } from '../../../layers/core/twin/twin.js';
import { requestCountTwin } from '../../../local/fixtures/twins.js';

const twin = TwinSchema.parse({
  ...requestCountTwin('web', 20),
  policy: {},
  source: 'registered',
  version: 1,
  createdAt: '2026-11-15T00:00:00.000Z',
  updatedAt: '2026-11-15T00:00:00.000Z',
});

/** The API over a store that knows one twin, recording the workflows it starts. */
function apiWithOneTwin() {
  const started: { workflow: WorkflowName; input: unknown }[] = [];
  const api = createApi({
    store: { getTwin: async (id: string) => (id === 'web' ? twin : undefined) } as unknown as TwinStore,
    workflows: {
      start: async (workflow, _name, input) => {
        started.push({ workflow, input });
      },
      status: async () => ({ status: 'unknown' }),
    },
    now: () => Date.parse('2026-11-23T10:00:00.000Z'),
  });
  const post = (body: string, contentType?: string) =>
    api({ method: 'POST', path: '/twins/web/scenarios', query: {}, body, contentType });
  return { api, post, started };
}

const FLASH_CROWD_YAML = `# a flash crowd an hour into the forecast, with the metrics down as it starts
days: 1
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

describe('POST /twins/{id}/scenarios in YAML', () => {
  it('starts the scenario workflow with the YAML document, checked and with its defaults', async () => {
    // Prepare
    const { post, started } = apiWithOneTwin();

    // Act
    const res = await post(FLASH_CROWD_YAML, 'application/yaml');

    // Assess
    expect(res.status).toBe(202);
    expect(started).toHaveLength(1);
    expect(started[0].input).toMatchObject({
      twinId: 'web',
      days: 1,
      forecastHours: 6,
      whatIf: {
        demand: [
          {
            kind: 'flash-crowd',
            atMinute: 1500,
            peak: 4,
            riseMinutes: 3,
            decayMinutes: 60,
            decay: 'exponential',
          },
        ],
        failures: [{ kind: 'zone-loss', atMinute: 1505, fraction: 0.33 }],
        metricOutages: [{ fromMinute: 1500, toMinute: 1520 }],
        warmupChanges: [],
      },
      policies: [
        { name: 'twin', settings: {} },
        { name: 'cautious', settings: { headroom: 0.2 } },
      ],
      slo: { maxBreachMinutes: 10 },
    });
  });

  it.each(['text/yaml', 'application/x-yaml', 'application/yaml; charset=utf-8'])(
    'reads %s as YAML',
    async (type) => {
      const { post } = apiWithOneTwin();
      expect((await post('days: 1\n', type)).status).toBe(202);
    },
  );

  it('answers 400 naming the line and column of a YAML syntax error', async () => {
    // Prepare: the fourth line is indented one space short
    const { post, started } = apiWithOneTwin();

    // Act
    const res = await post('whatIf:\n  demand:\n    - kind: surge\n     factor: 2\n', 'application/yaml');

    // Assess
    const body = JSON.parse(res.body);
    expect(res.status).toBe(400);
    expect(body.message).toMatch(/^body: not valid YAML at line 4, column 1: /);
    expect(body.problems).toEqual([
      { field: 'body', message: expect.stringMatching(/^a YAML document; line 4, column 1: /) },
    ]);
    expect(started).toEqual([]);
  });

  it('answers 400 naming the line of a JSON syntax error', async () => {
    const { post } = apiWithOneTwin();
    const res = await post('{\n  "days": 1,\n  whatIf: {}\n}', 'application/json');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).message).toMatch(/^body: not valid JSON at line 3, column 3: /);
  });

  it.each([
    [
      'whatIf:\n  demand:\n    - { kind: flash-crowd, atMinute: 10, peak: 0.5 }\n',
      'body.whatIf.demand.0.peak',
    ],
    [
      'whatIf:\n  metricOutages:\n    - { fromMinute: 10, toMinute: 10 }\n',
      'body.whatIf.metricOutages.0.toMinute',
    ],
    ['whatIf:\n  failures:\n    - { atMinute: 1440, count: 1 }\n', 'body.whatIf.failures.0.atMinute'],
    ['forecastHours: 48\n', 'body.forecastHours'],
    ['slo: { maxBreachPct: 101 }\n', 'body.slo.maxBreachPct'],
    [
      'policies:\n  - name: target-tracking\n    settings: { quantile: 0.9 }\n',
      'body.policies.0.settings.quantile',
    ],
    ['policies:\n  - { name: bold, settings: { headroom: 3 } }\n', 'body.policies.0.settings.headroom'],
    [
      'whatIf:\n  demand:\n    - { kind: surge, fromMinute: 1, toMinute: 5, facter: 2 }\n',
      'body.whatIf.demand.0.facter',
    ],
    ['whatIf:\n  outages: []\n', 'body.whatIf.outages'],
  ])('answers 400 naming the field of %j', async (yaml, field) => {
    const { post } = apiWithOneTwin();
    const res = await post(yaml, 'application/yaml');
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).problems.map((p: { field: string }) => p.field)).toContain(field);
  });

  it('still reads a body without a content type as JSON, as curl -d sends it', async () => {
    const { post, started } = apiWithOneTwin();
    const res = await post('{"whatIf":{"failures":[{"atMinute":600,"count":5}]}}');
    expect(res.status).toBe(202);
    expect(started[0].input).toMatchObject({ days: 1, whatIf: { failures: [{ atMinute: 600, count: 5 }] } });
  });
});

describe('GET /openapi.json', () => {
  it('publishes the scenario language as the JSON Schema of the scenarios body', async () => {
    // Act
    const { api } = apiWithOneTwin();
    const doc = JSON.parse((await api({ method: 'GET', path: '/openapi.json', query: {} })).body);

    // Assess
    const schema = doc.paths['/twins/{id}/scenarios'].post.requestBody.content['application/json'].schema;
    expect(Object.keys(schema.properties).sort()).toEqual([
      'days',
      'forecastHours',
      'policies',
      'slo',
      'whatIf',
    ]);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.forecastHours).toMatchObject({ minimum: 0, maximum: 24, default: 0 });
    const whatIf = schema.properties.whatIf;
    expect(Object.keys(whatIf.properties).sort()).toEqual([
      'demand',
      'failures',
      'metricOutages',
      'warmupChanges',
    ]);
    const kinds = (whatIf.properties.demand.items.oneOf ?? whatIf.properties.demand.items.anyOf).map(
      (k: { properties: { kind: { const: string } } }) => k.properties.kind.const,
    );
    expect(kinds).toEqual(['surge', 'ramp', 'flash-crowd']);
    expect(schema.properties.policies.items.properties.settings.properties).toHaveProperty('headroom');
    expect(Object.keys(schema.properties.slo.properties).sort()).toEqual([
      'maxBreachMinutes',
      'maxBreachPct',
    ]);
  });
});

describe('Function: parseDocumentText', () => {
  it('reads YAML 1.2, of which JSON is a part', () => {
    expect(parseDocumentText('{"a": [1, 2]}', 'yaml')).toEqual({ a: [1, 2] });
    expect(parseDocumentText('a: yes\nb: 0x10\n', 'yaml')).toEqual({ a: 'yes', b: 16 });
  });

  it.each([
    ['a: 1\na: 2\n', 2],
    ['a: *nowhere\n', undefined],
    ['--- 1\n--- 2\n', 2],
  ])('refuses %j as a DocumentSyntaxError at line %s', (text, line) => {
    let error: unknown;
    try {
      parseDocumentText(text, 'yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DocumentSyntaxError);
    expect((error as DocumentSyntaxError).line).toBe(line);
  });

  it('knows YAML media types and takes anything else for JSON', () => {
    expect(
      ['text/yaml', 'Application/YAML;charset=utf-8', 'application/json', undefined].map(bodyFormatOf),
    ).toEqual(['yaml', 'yaml', 'json', 'json']);
  });
});

describe('Handler: api (API Gateway proxy event)', () => {
  it('reads the Content-Type header however the client spelt it', async () => {
    // Prepare
    Object.assign(process.env, {
      TABLE_NAME: 'twins-test',
      SCENARIO_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:scenario',
      OPTIMIZE_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:optimize',
      REMEDIATE_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:remediate',
      AWS_REGION: 'us-east-1',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    });
    const { handler } = await import('../../../functions/api/handler.js');
    const event = {
      httpMethod: 'POST',
      path: '/twins/web/scenarios',
      queryStringParameters: null,
      headers: { 'CONTENT-type': 'text/yaml' },
      isBase64Encoded: false,
      body: 'whatIf:\n  demand:\n    - kind: surge\n     factor: 2\n',
    };

    // Act
    const res = await handler(event as never, { functionName: 'api', awsRequestId: 'r-1' } as Context);

    // Assess: a YAML error (a JSON parse would say "not valid JSON")
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).message).toMatch(/^body: not valid YAML at line 4, column 1: /);
  });
});
