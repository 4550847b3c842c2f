import { z } from 'zod';
import { ErrorBodySchema } from './http.js';
import type { Route } from './route.js';

const schemaOf = (s: z.ZodType, io: 'input' | 'output') => {
  const { $schema: _, ...rest } = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
};

/** Path and query parameters as OpenAPI lists them, from a route's zod objects. */
function parameters(route: Route) {
  const list: object[] = [];
  for (const [where, schema] of [
    ['path', route.params],
    ['query', route.query],
  ] as const) {
    if (!schema) continue;
    const js = schemaOf(schema, 'input') as {
      properties?: Record<string, { description?: string }>;
      required?: string[];
    };
    for (const [name, prop] of Object.entries(js.properties ?? {}))
      list.push({
        name,
        in: where,
        required: where === 'path' || (js.required ?? []).includes(name),
        description: prop.description,
        schema: prop,
      });
  }
  return list;
}

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/** The OpenAPI 3.1 document of the routes: generated from the same schemas that check requests. */
export function openApiDocument(routes: readonly Route[], serverUrl?: string) {
  const paths: Record<string, Record<string, object>> = {};
  for (const r of routes) {
    paths[r.path] ??= {};
    paths[r.path][r.method.toLowerCase()] = {
      summary: r.summary,
      operationId: `${r.method.toLowerCase()}${r.path.replace(/\{(\w+)\}/g, 'By-$1').replace(/[/-](\w)/g, (_, c: string) => c.toUpperCase())}`,
      parameters: parameters(r),
      ...(r.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: schemaOf(r.body, 'input') } },
            },
          }
        : {}),
      responses: {
        [r.response.status]: {
          description: r.response.description,
          content: { 'application/json': { schema: schemaOf(r.response.schema, 'output') } },
        },
        400: errorResponse('the request does not match: `problems` names each field and what it expects'),
        ...(r.path.includes('{') ? { 404: errorResponse('no such twin or item') } : {}),
        409: errorResponse('conflicts with the stored state'),
        ...(r.body ? { 413: errorResponse('the body is over MAX_BODY_BYTES (1 MiB)') } : {}),
      },
      security: [{ sigv4: [] }],
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Twinscale API',
      version: '1',
      description: 'Twins, their forecasts and decisions, what-if scenarios and policy search.',
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    paths,
    components: {
      schemas: { Error: schemaOf(ErrorBodySchema, 'output') },
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          description: 'AWS IAM (Signature Version 4) in AWS; none on the local runtime',
        },
      },
    },
  };
}
