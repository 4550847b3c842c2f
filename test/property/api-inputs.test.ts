import fc from 'fast-check';
import { stringify as toYaml } from 'yaml';
import type { z } from 'zod';
import { DynamoTwinStore } from '../../layers/aws/dynamo/dynamo-twin-store.js';
import { type ApiRequest, type ApiResponse, MAX_BODY_BYTES } from '../../layers/core/api/http.js';
import type { Route } from '../../layers/core/api/route.js';
import { createApi, ROUTES } from '../../layers/core/api/router.js';
import { REQUEST_COUNT, requestCountTwin } from '../../local/fixtures/twins.js';
import { noWorkflows } from '../support/api-client.js';
import { type LocalDynamo, startDynalite } from '../support/dynalite.js';
import { anyJson, nested, pollutingObject, trickyString, yamlBomb } from './bad-values.js';
import { badValueOf, jsonSchemaOf } from './schema-fuzz.js';

/**
 * Issue 11: every bad input to every route of ROUTES gets a 4xx whose message names the problem,
 * never a 5xx, a crash or a stack trace. The route table is iterated, so a new route is covered
 * the day it is added. Runs are few per route (the machine is shared); the totals are logged.
 */

const NOW = Date.parse('2026-11-23T12:00:00.000Z');
// PROPERTY_SCALE=10 for a longer hunt than the suite's few seconds
const SCALE = Number(process.env.PROPERTY_SCALE ?? 1);
const RUNS = { body: 50 * SCALE, params: 20 * SCALE, query: 25 * SCALE, raw: 150 * SCALE };
const tried: Record<string, number> = {};
/** Answers by status: how many inputs got past validation to a handler (2xx, 404, 409). */
const answered: Record<number, number> = {};

/** Path parameter values that pass each route's schema, so the other parts are what is tested. */
const GOOD_PARAMS = [
  'web',
  'acme',
  `web.${NOW.toString(36)}.abcdef`,
  `web.${NOW.toString(36)}.abcd1234`,
  `remediate-${NOW.toString(36)}-abcdef`,
];

function goodParams(route: Route): Record<string, string> {
  const keys = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
  const out: Record<string, string> = {};
  for (const k of keys) {
    const ok = GOOD_PARAMS.find((v) => route.params?.safeParse({ ...out, ...fill(keys, v), [k]: v }).success);
    out[k] = ok ?? 'web';
  }
  return out;
}
const fill = (keys: string[], v: string) => Object.fromEntries(keys.map((k) => [k, v]));

/** Percent-encoded, as a client sends it; a lone surrogate has no UTF-8 and is sent as it is. */
function encoded(v: string): string {
  try {
    return encodeURIComponent(v);
  } catch {
    return v;
  }
}

const pathOf = (route: Route, params: Record<string, string>, encode = true) =>
  route.path.replace(/\{(\w+)\}/g, (_, k: string) => (encode ? encoded(params[k]) : params[k]));

const STACK_TEXT = /\n\s+at |\.ts:\d+|\.js:\d+|node_modules|\/work\//;

let db: LocalDynamo;
let api: ReturnType<typeof createApi>;
const unexpected: unknown[] = [];

/** Sends one request and checks the answer is a 2xx or a 4xx that says what is wrong. */
async function send(area: string, req: ApiRequest): Promise<ApiResponse> {
  tried[area] = (tried[area] ?? 0) + 1;
  const res = await api(req);
  answered[res.status] = (answered[res.status] ?? 0) + 1;
  const shown = `${req.method} ${req.path} ${JSON.stringify(req.query)} ${req.contentType ?? ''} ${(req.body ?? '').slice(0, 300)}`;
  // 501: this runtime cannot read deployed stacks, and says so (POST /units kind stack)
  if (res.status >= 500 && res.status !== 501)
    throw new Error(`${res.status} for ${shown}: ${res.body} ${String(unexpected.at(-1))}`);
  let body: { error?: unknown; message?: unknown; problems?: unknown };
  try {
    body = JSON.parse(res.body);
  } catch {
    throw new Error(`not JSON (${res.status}) for ${shown}: ${res.body.slice(0, 200)}`);
  }
  if (res.status >= 400) {
    if (typeof body.error !== 'string' || typeof body.message !== 'string' || body.message.length < 5)
      throw new Error(`no error and message (${res.status}) for ${shown}: ${res.body}`);
    if (STACK_TEXT.test(res.body))
      throw new Error(`stack or file path in the answer to ${shown}: ${res.body}`);
  }
  return res;
}

/**
 * A 400's message names a field (`body.x`, `query.y`, `path.z`), the part as a whole, or one of
 * `names` (the store says `cursor: …` of a cursor it did not write).
 */
function expectNamed(res: ApiResponse, part: 'body' | 'query' | 'path', names: string[] = []) {
  if (res.status !== 400) return;
  const body = JSON.parse(res.body) as { message: string; problems?: { field: string }[] };
  const named = body.problems?.some((p) => p.field === part || p.field.startsWith(`${part}.`));
  if (!named && !body.message.includes(part) && !names.some((n) => body.message.startsWith(`${n}:`)))
    throw new Error(`a 400 that names no ${part} field: ${res.body.slice(0, 300)}`);
}

const bodyRoutes = ROUTES.filter((r) => r.body);

describe('Property: bad input to any route is a 4xx naming the problem (issue 11)', () => {
  beforeAll(async () => {
    db = await startDynalite();
    const store = new DynamoTwinStore(db.client, { tableName: await db.newTable() });
    api = createApi(
      { store, workflows: noWorkflows, now: () => NOW },
      { onError: (e) => unexpected.push(e) },
    );
    const tags = { 'twinscale:tenant': 'acme' };
    await store.createTwin(requestCountTwin('db', 100, { tags }));
    await store.createTwin(requestCountTwin('web', 100, { tags, dependsOn: ['db'] }));
    await store.appendSamples(
      'web',
      REQUEST_COUNT.key,
      Array.from({ length: 120 }, (_, i) => ({ t: NOW - (120 - i) * 60_000, v: 300 + (i % 7) })),
    );
  });

  afterAll(async () => {
    await db?.stop();
    const total = Object.values(tried).reduce((a, b) => a + b, 0);
    console.log(
      `bad API inputs tried: ${total} ${JSON.stringify(tried)} over ${ROUTES.length} routes; answers ${JSON.stringify(answered)}`,
    );
  });

  describe.each(bodyRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))('%s body', (_, route) => {
    const params = goodParams(route);
    const shape = jsonSchemaOf(route.body as z.ZodType);

    it('answers a wrong, near-valid or polluted body (JSON or YAML) with a 2xx or a 4xx naming it', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(badValueOf(shape), pollutingObject, anyJson),
          fc.constantFrom('application/json', 'application/yaml', undefined),
          async (value, contentType) => {
            const body =
              value === undefined
                ? undefined
                : contentType === 'application/yaml'
                  ? toYaml(value)
                  : JSON.stringify(value);
            const res = await send('body', {
              method: route.method,
              path: pathOf(route, params),
              query: {},
              body,
              contentType,
            });
            expectNamed(res, 'body');
          },
        ),
        { numRuns: RUNS.body },
      );
    });
  });

  describe.each(ROUTES.filter((r) => r.path.includes('{')).map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s path',
    (_, route) => {
      it('answers a bad path parameter (too long, wrong characters, malformed escapes) with a 4xx', async () => {
        const keys = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
        const bad = fc.oneof(
          trickyString,
          fc.constantFrom('%', '%E0%A4%A', '%zz', '%C0%AF', 'a'.repeat(129), 'a'.repeat(5000), 'WEB', '-web'),
          fc.constantFrom(
            // valid-looking record references whose time is past what a Date can hold
            `web.zzzzzzzzzzz.abcdef`,
            `web.zzzzzzzzzzz.abcd1234`,
            `remediate-zzzzzzzzzzz-abcdef`,
          ),
        );
        await fc.assert(
          fc.asyncProperty(
            fc.record(Object.fromEntries(keys.map((k) => [k, bad]))),
            fc.boolean(),
            async (params, encode) => {
              // a DELETE must not remove the fixtures: a bad id never equals them
              const res = await send('params', {
                method: route.method,
                path: pathOf(route, params as Record<string, string>, encode),
                query: {},
                body: route.body ? '{}' : undefined,
              });
              // a value of the right form is a good parameter: then the empty body is at fault
              if (!route.params?.safeParse(params).success) expectNamed(res, 'path');
            },
          ),
          { numRuns: RUNS.params },
        );
      });
    },
  );

  describe.each(ROUTES.filter((r) => r.method === 'GET').map((r) => [`${r.method} ${r.path}`, r] as const))(
    '%s query',
    (_, route) => {
      const params = goodParams(route);
      const known = Object.keys((route.query ? jsonSchemaOf(route.query) : {}).properties ?? {}) as string[];
      it('answers bad query parameters (out of range, reversed, not numbers or dates, unknown) with a 2xx or a 4xx', async () => {
        const value = fc.oneof(
          trickyString,
          fc.constantFrom('0', '-1', '1e9', '1000000000', '1.5', '101', '73'),
          fc.constantFrom(
            '1970-01-01T00:00:00Z',
            '0',
            '-8640000000000001',
            '8640000000000001',
            '9'.repeat(25),
          ),
          fc.integer({ min: NOW - 40 * 86_400_000, max: NOW + 40 * 86_400_000 }).map(String),
        );
        const key = known.length
          ? fc.oneof(fc.constantFrom(...known), fc.constantFrom('__proto__', 'x'))
          : fc.string();
        await fc.assert(
          fc.asyncProperty(fc.dictionary(key, value, { maxKeys: 3 }), async (query) => {
            const res = await send('query', { method: 'GET', path: pathOf(route, params), query });
            expectNamed(res, 'query', known);
          }),
          { numRuns: RUNS.query },
        );
      });
    },
  );

  describe('limits: each refused with a 400 naming the field and the limit', () => {
    const get = (path: string, query: Record<string, string>) =>
      send('limits', { method: 'GET', path, query }).then((r) => ({
        status: r.status,
        body: JSON.parse(r.body),
      }));
    const write = (method: string, path: string, body: unknown) =>
      send('limits', {
        method,
        path,
        query: {},
        body: JSON.stringify(body),
        contentType: 'application/json',
      }).then((r) => ({ status: r.status, body: JSON.parse(r.body) }));
    const fields = (r: { body: { problems?: { field: string }[] } }) =>
      (r.body.problems ?? []).map((p) => p.field);
    const day = 86_400_000;
    const many = (n: number, value: (i: number) => unknown) =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, value(i)]));

    it.each([
      ['/twins/web/series', 14],
      ['/twins/web/forecast', 7],
      ['/twins/web/shadows/compare', 14],
    ])('%s: at most %i days, and to after from', async (path, days) => {
      const from = NOW - 30 * day;
      const over = await get(path, { from: String(from), to: String(from + days * day + 1) });
      expect(over.status).toBe(400);
      expect(over.body.message).toContain(`at most ${days} days`);
      expect(fields(over)).toEqual(['query.from']);
      expect((await get(path, { from: String(from), to: String(from + days * day) })).status).toBe(200);
      const reversed = await get(path, { from: String(from), to: String(from - 1) });
      expect(fields(reversed)).toEqual(['query.to']);
    });

    it('refuses a time past the year 9999 (was a 500: no Date holds it)', async () => {
      const queries: Record<string, string>[] = [
        { from: '9'.repeat(20) },
        { to: '9'.repeat(20) },
        { from: '1e400' },
      ];
      for (const query of queries) {
        const r = await get('/twins/web/series', query);
        expect(r.status).toBe(400);
        expect(r.body.message).toMatch(/query\.(from|to): .*from 1970 to the year 9999/);
      }
    });

    it('refuses a record id whose time no Date holds (was a 500)', async () => {
      for (const path of ['/scenarios/web.zzzzzzzzzzz.abcdef', '/optimizations/web.zzzzzzzzzzz.abcdef']) {
        const r = await get(path, {});
        expect(r.status).toBe(400);
        expect(fields(r)).toEqual(['path.id']);
      }
    });

    it('refuses a malformed percent-encoding in a path (was a 500: URIError)', async () => {
      const r = await get('/twins/%E0%A4%A/series', {});
      expect(r.status).toBe(400);
      expect(fields(r)).toEqual(['path.id']);
      expect(r.body.message).toContain('percent-encoding');
    });

    it('limits the twins one request names: 50 in dependsOn', async () => {
      const r = await write('PUT', '/twins/web/dependencies', {
        dependsOn: Array.from({ length: 51 }, (_, i) => `t${i}`),
      });
      expect(r.status).toBe(400);
      expect(fields(r)).toEqual(['body.dependsOn']);
    });

    it('limits the twins one request makes: 500 resources (and names) in a template, as CloudFormation does', async () => {
      const resources = many(501, () => ({ Type: 'AWS::SQS::Queue' }));
      const r = await write('POST', '/units', {
        kind: 'template',
        template: { Resources: resources },
        dryRun: true,
      });
      expect(r.status).toBe(400);
      expect(fields(r)).toEqual(['body.template.Resources']);
      expect(r.body.message).toContain('at most 500');
      const names = await write('POST', '/units', {
        kind: 'template',
        template: { Resources: { Q: { Type: 'AWS::SQS::Queue' } } },
        names: many(501, () => 'x'),
        dryRun: true,
      });
      expect(fields(names)).toEqual(['body.names']);
    });

    it('answers tags sent inside { tags } with the fix: the tags themselves are the body', async () => {
      const wrapped = await write('PUT', '/twins/web/tags', { tags: { team: 'payments' } });
      const plain = await write('PUT', '/twins/web/tags', { team: 'payments', tags: 'x' });

      expect(wrapped.status).toBe(400);
      expect(wrapped.body.problems).toEqual([
        { field: 'body.tags', message: expect.stringContaining('send the tags themselves as the body') },
      ]);
      // a tag named "tags" beside others is a tag like any other
      expect(plain.status).toBe(200);
    });

    it('limits tags to 50, as AWS does: on a twin, on a target evaluated, in a policy rule', async () => {
      const tags = many(51, () => 'v');
      expect(fields(await write('PUT', '/twins/web/tags', tags))).toEqual(['body']);
      expect(fields(await write('POST', '/twins/web/compliance/evaluate', { target: { tags } }))).toEqual([
        'body.target.tags',
      ]);
      const policy = await write('PUT', '/policies/base', {
        version: 1,
        rules: [
          {
            id: 'r',
            severity: 'low',
            applies: { tags },
            check: { kind: 'config', requiredTags: ['team'] },
            remediation: { action: 'notify' },
          },
        ],
      });
      expect(policy.status).toBe(400);
      expect(policy.body.message).toContain('rules[0].applies.tags: tags: at most 50');
    });

    it('refuses a remediate run for a twin id that is no twin id', async () => {
      const r = await write('POST', '/remediations', { twinId: 'x'.repeat(200) });
      expect(fields(r)).toEqual(['body.twinId']);
    });
  });

  describe('raw bodies to any route with a body', () => {
    const anyBodyRoute = fc.constantFrom(...bodyRoutes);

    it('answers malformed JSON or YAML, odd content types, deep nesting and alias bombs with a 4xx naming the body', async () => {
      const text = fc.oneof(
        fc.string({ maxLength: 200 }),
        fc.jsonValue().map((v) => JSON.stringify(v).slice(0, -1)), // truncated
        fc.constantFrom(
          '{',
          '{"a":}',
          "{'single': 1}",
          '{"a":1,"a":2}',
          'a: 1\na: 2',
          '--- 1\n--- 2',
          '!!js/function "() => 1"',
          '\u0000',
          '\uFEFF{}',
          'null',
          '[]',
          '"text"',
          '1e400',
          nested(20_000, 'array'),
          nested(20_000, 'object'),
          '- '.repeat(5_000),
          yamlBomb(9),
          `a: &a [${'x, '.repeat(50)}]\nb: [${'*a, '.repeat(150)}]`,
        ),
      );
      const contentType = fc.constantFrom(
        'application/json',
        'application/yaml',
        'text/yaml; charset=utf-8',
        'text/plain',
        'application/xml',
        'multipart/form-data; boundary=x',
        'application/x-www-form-urlencoded',
        undefined,
      );
      await fc.assert(
        fc.asyncProperty(anyBodyRoute, text, contentType, async (route, body, type) => {
          const res = await send('raw', {
            method: route.method,
            path: pathOf(route, goodParams(route)),
            query: {},
            body,
            contentType: type,
          });
          expectNamed(res, 'body');
        }),
        { numRuns: RUNS.raw },
      );
    });

    it(`answers a body over ${MAX_BODY_BYTES} bytes with a 413 saying the limit, on every route with a body`, async () => {
      const big = `{"a":"${'x'.repeat(MAX_BODY_BYTES)}"}`;
      for (const route of bodyRoutes) {
        const res = await send('oversize', {
          method: route.method,
          path: pathOf(route, goodParams(route)),
          query: {},
          body: big,
          contentType: 'application/json',
        });
        expect(res.status).toBe(413);
        expect(JSON.parse(res.body).message).toContain(String(MAX_BODY_BYTES));
      }
    });
  });
});
