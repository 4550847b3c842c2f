import { z } from 'zod';

/** A request as the router sees it: API Gateway's proxy event and the local server both map to this. */
export interface ApiRequest {
  method: string;
  path: string;
  query: Record<string, string | undefined>;
  /** The raw body, if any. */
  body?: string | null;
  /** The Content-Type header: a YAML type (application/yaml, text/yaml) reads the body as YAML, anything else as JSON. */
  contentType?: string;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One thing wrong with a request: where (`body.policy.quantile`, `query.from`) and what is expected. */
export const ProblemSchema = z.object({ field: z.string(), message: z.string() });
export type Problem = z.infer<typeof ProblemSchema>;

/** Every error response: a stable code, a sentence a person can act on, and the fields at fault. */
export const ErrorBodySchema = z.object({
  error: z
    .string()
    .describe(
      'stable code: invalid-request, not-found, conflict, method-not-allowed, too-large, too-many-runs, not-available, internal',
    ),
  message: z.string(),
  problems: z.array(ProblemSchema).optional(),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/**
 * The largest request body, in bytes (UTF-8). CloudFormation's largest template (1 MB, from S3)
 * must fit, as POST /units takes one; anything else is far smaller. API Gateway allows 10 MB and
 * Lambda 6 MB, so without this a body's size is bounded only by what parsing it costs.
 */
export const MAX_BODY_BYTES = 1024 * 1024;

/** An error the caller can fix: it becomes a 4xx response with this status and body. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly problems?: Problem[],
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new ApiError(404, 'not-found', `${what} does not exist`);
export const conflict = (message: string) => new ApiError(409, 'conflict', message);
export const invalid = (field: string, message: string) =>
  new ApiError(400, 'invalid-request', `${field}: ${message}`, [{ field, message }]);
