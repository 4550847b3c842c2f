import type { z } from 'zod';
import type { ApiPorts } from './ports.js';

/** A route's parsed input: each part checked against its schema before the handler runs. */
export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
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
