import { z } from 'zod';
import {
  StoreInputError,
  TwinConflictError,
  TwinExistsError,
  TwinNotFoundError,
} from '../store/twin-store.js';
import {
  ApiError,
  type ApiRequest,
  type ApiResponse,
  type ErrorBody,
  MAX_BODY_BYTES,
  type Problem,
} from './http.js';
import { openApiDocument } from './openapi.js';
import type { ApiPorts } from './ports.js';
import { decodeBody, type Route } from './route.js';
import { capacityRoutes } from './routes/capacity.js';
import { complianceRoutes } from './routes/compliance.js';
import { controlRoutes } from './routes/controls.js';
import { decisionRoutes } from './routes/decisions.js';
import { graphRoutes } from './routes/graph.js';
import { groupRoutes } from './routes/groups.js';
import { insightRoutes } from './routes/insights.js';
import { remediationCompareRoutes } from './routes/remediation-compare.js';
import { remediationRoutes } from './routes/remediations.js';
import { shadowRoutes } from './routes/shadows.js';
import { twinRoutes } from './routes/twins.js';
import { unitRoutes } from './routes/units.js';
import { whatIfRoutes } from './routes/what-if.js';

/** Every route of the API, in the order the OpenAPI document lists them. */
export const ROUTES: readonly Route[] = [
  ...twinRoutes,
  ...unitRoutes,
  ...capacityRoutes,
  ...decisionRoutes,
  ...shadowRoutes,
  ...whatIfRoutes,
  ...graphRoutes,
  ...insightRoutes,
  ...complianceRoutes,
  ...remediationRoutes,
  ...remediationCompareRoutes,
  ...groupRoutes,
  ...controlRoutes,
];

const compiled = ROUTES.map((r) => ({
  route: r,
  pattern: new RegExp(`^${r.path.replace(/\{(\w+)\}/g, '(?<$1>[^/]+)')}/?$`),
}));

const json = (status: number, body: unknown, headers: Record<string, string> = {}): ApiResponse => ({
  status,
  headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
  body: JSON.stringify(body),
});

const errorResponse = (status: number, body: ErrorBody, headers?: Record<string, string>) =>
  json(status, body, headers);

type Issue = z.core.$ZodIssue;

/** Whether the branch failed on the value's own type (a string given where an object is expected). */
const wrongType = (branch: readonly Issue[]) =>
  branch.some((i) => i.code === 'invalid_type' && i.path.length === 0);

/**
 * A union's failure told as the branch the value came closest to (its type matched, a field of it
 * did not: `callRatio` rather than the whole item), or, when no branch took its type, as the types
 * it may be; other issues as they are. Paths are made absolute.
 */
function unfoldUnions(issue: Issue, prefix: readonly PropertyKey[] = []): Issue[] {
  const path = [...prefix, ...issue.path];
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [{ ...issue, path }];
  const close = issue.errors.filter((b) => !wrongType(b));
  if (close.length)
    return [...close].sort((a, b) => a.length - b.length)[0].flatMap((i) => unfoldUnions(i, path));
  const expected = [
    ...new Set(issue.errors.flat().flatMap((i) => (i.code === 'invalid_type' ? [i.expected] : []))),
  ];
  return [{ ...issue, path, message: `Invalid input: expected ${expected.join(' or ')}` }];
}

/** A zod error as the fields at fault, each with what it expects. */
function problemsOf(part: string, error: z.ZodError): Problem[] {
  return error.issues
    .flatMap((i) => unfoldUnions(i))
    .flatMap((issue) => {
      const at = [part, ...issue.path.map(String)].join('.');
      if (issue.code === 'unrecognized_keys')
        return issue.keys.map((k) => ({
          field: `${at}.${k}`,
          message: 'unknown field: remove it or check its spelling',
        }));
      return [{ field: at, message: issue.message }];
    });
}

function parsePart<S extends z.ZodType>(
  part: string,
  schema: S | undefined,
  value: unknown,
): z.output<S> | undefined {
  if (!schema) return undefined;
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const problems = problemsOf(part, r.error);
  throw new ApiError(
    400,
    'invalid-request',
    problems.map((p) => `${p.field}: ${p.message}`).join('; '),
    problems,
  );
}

/** Path parameters, percent-decoded; a malformed escape (`%zz`, a lone `%E0`) is the caller's 400. */
function pathParams(groups: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(groups).map(([k, v]) => {
      try {
        return [k, decodeURIComponent(v)];
      } catch {
        throw new ApiError(400, 'invalid-request', `path.${k}: malformed percent-encoding`, [
          { field: `path.${k}`, message: 'malformed percent-encoding: escape each byte as %XX of UTF-8' },
        ]);
      }
    }),
  );
}

/** The store's and planner's own errors, as the status a caller understands. */
function known(e: unknown): ApiResponse | undefined {
  if (e instanceof ApiError)
    return errorResponse(e.status, { error: e.code, message: e.message, problems: e.problems });
  if (e instanceof TwinNotFoundError) return errorResponse(404, { error: 'not-found', message: e.message });
  if (e instanceof TwinExistsError || e instanceof TwinConflictError)
    return errorResponse(409, { error: 'conflict', message: e.message });
  if (e instanceof StoreInputError)
    return errorResponse(400, { error: 'invalid-request', message: e.message });
  return undefined;
}

export interface ApiOptions {
  /** Told of every unexpected error (the caller gets a 500 without details). */
  onError?: (error: unknown, request: ApiRequest) => void;
  /** Where the API is served, for the OpenAPI document's `servers`. */
  serverUrl?: string;
}

/**
 * The HTTP API as one function: a request in, a response out, never a throw. API Gateway's
 * Lambda and the local server both call it, so both answer alike.
 */
export function createApi(ports: ApiPorts, options: ApiOptions = {}) {
  const spec = openApiDocument(ROUTES, options.serverUrl);
  return async function handleRequest(req: ApiRequest): Promise<ApiResponse> {
    const method = req.method.toUpperCase();
    const path = req.path.length > 1 ? req.path.replace(/\/+$/, '') : req.path;
    if (path === '/openapi.json' && method === 'GET') return json(200, spec);
    const matches = compiled
      .map((c) => ({ route: c.route, m: c.pattern.exec(path) }))
      .filter((c): c is { route: Route; m: RegExpExecArray } => c.m !== null);
    if (matches.length === 0)
      return errorResponse(404, {
        error: 'not-found',
        message: `no route ${method} ${path}: see GET /openapi.json`,
      });
    const match = matches.find((c) => c.route.method === method);
    if (!match) {
      const allow = matches.map((c) => c.route.method).join(', ');
      return errorResponse(
        405,
        { error: 'method-not-allowed', message: `${path} accepts ${allow}, not ${method}` },
        { allow },
      );
    }
    if (req.body && Buffer.byteLength(req.body) > MAX_BODY_BYTES)
      return errorResponse(413, {
        error: 'too-large',
        message: `body: at most ${MAX_BODY_BYTES} bytes (1 MiB), got ${Buffer.byteLength(req.body)}`,
        problems: [{ field: 'body', message: `at most ${MAX_BODY_BYTES} bytes` }],
      });
    try {
      const { route } = match;
      const params = pathParams(match.m.groups ?? {});
      const query = Object.fromEntries(Object.entries(req.query).filter(([, v]) => v !== undefined));
      const input = {
        params: parsePart('path', route.params, params),
        query: parsePart('query', route.query ?? z.object({}).strict(), query),
        body: parsePart(
          'body',
          route.body,
          route.body ? (decodeBody(req.body, req.contentType) ?? {}) : undefined,
        ),
      };
      const text = req.body ? { body: req.body, contentType: req.contentType } : undefined;
      const out = await route.handle({ ...input, text }, ports);
      return json(out.status, out.body);
    } catch (e) {
      const answer = known(e);
      if (answer) return answer;
      options.onError?.(e, req);
      return errorResponse(500, {
        error: 'internal',
        message: 'the request failed inside Twinscale; the details are in its log. Retrying may help.',
      });
    }
  };
}
export type Api = ReturnType<typeof createApi>;
