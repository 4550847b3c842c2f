import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { ApiError } from './http.js';
import type { ApiPorts } from './ports.js';

/** A route's parsed input: each part checked against its schema before the handler runs. */
export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** The body as sent and its Content-Type: for a document whose problems are reported by line. */
  text?: { body: string; contentType?: string };
}

export interface RouteResult {
  status: number;
  body: unknown;
}

/**
 * One API route: its method and path template, the schemas its path parameters, query and body
 * must match, what it answers, and the handler. The router, the OpenAPI document and API Gateway
 * all read this one table.
 */
export interface Route<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** `/twins/{id}`: segments in braces are path parameters. */
  path: string;
  summary: string;
  params?: P;
  query?: Q;
  body?: B;
  /** The success status and the schema of its body. */
  response: { status: number; schema: z.ZodType; description: string };
  handle(input: RouteInput<z.output<P>, z.output<Q>, z.output<B>>, ports: ApiPorts): Promise<RouteResult>;
}

/** Declares a route with its types inferred from its schemas. */
export const route = <P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(
  r: Route<P, Q, B>,
): Route => r as unknown as Route;

/** How a body is written: YAML when the request says so, else JSON (what curl -d and most clients send). */
export type BodyFormat = 'json' | 'yaml';

const YAML_MEDIA_TYPES = new Set(['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml']);

/** The format a Content-Type names (its parameters, such as a charset, do not matter). */
export function bodyFormatOf(contentType: string | undefined): BodyFormat {
  const media = (contentType ?? '').split(';')[0].trim().toLowerCase();
  return YAML_MEDIA_TYPES.has(media) ? 'yaml' : 'json';
}

/** A JSON or YAML document that does not parse; `line` and `column` (1-based) say where, when known. */
export class DocumentSyntaxError extends Error {
  override readonly name = 'DocumentSyntaxError';
  constructor(
    readonly format: BodyFormat,
    readonly reason: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(`not valid ${format.toUpperCase()}${line ? ` at line ${line}, column ${column}` : ''}: ${reason}`);
  }
}

/** Line and column (1-based) of a character offset. */
function positionOf(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: lines[lines.length - 1].length + 1 };
}

/**
 * A JSON or YAML document's value. YAML is read as YAML 1.2 (a superset of JSON: a JSON body sent
 * as YAML reads the same), one document, unique keys, at most 100 aliases (no alias bombs).
 */
export function parseDocumentText(text: string, format: BodyFormat): unknown {
  if (format === 'json') {
    try {
      return JSON.parse(text);
    } catch (e) {
      const message = (e as Error).message;
      const at = /position (\d+)/.exec(message);
      const where = at
        ? positionOf(text, Number(at[1]))
        : /end of JSON input/.test(message)
          ? positionOf(text, text.length)
          : undefined;
      throw new DocumentSyntaxError(
        'json',
        message.replace(/ in JSON at position.*$/, ''),
        where?.line,
        where?.column,
      );
    }
  }
  try {
    return parseYaml(text, { logLevel: 'error', uniqueKeys: true, maxAliasCount: 100 });
  } catch (e) {
    const message = (e as Error).message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    const pos = e instanceof YAMLParseError ? e.linePos?.[0] : undefined;
    throw new DocumentSyntaxError('yaml', message, pos?.line, pos?.col);
  }
}

/** A request body as a value to check against the route's schema; undefined when there is none. */
export function decodeBody(body: string | null | undefined, contentType: string | undefined): unknown {
  if (body === undefined || body === null || body.trim() === '') return undefined;
  const format = bodyFormatOf(contentType);
  try {
    return parseDocumentText(body, format);
  } catch (e) {
    if (!(e instanceof DocumentSyntaxError)) throw e;
    const where = e.line ? `line ${e.line}, column ${e.column}: ` : '';
    throw new ApiError(400, 'invalid-request', `body: ${e.message}`, [
      { field: 'body', message: `a ${format.toUpperCase()} document; ${where}${e.reason}` },
    ]);
  }
}
