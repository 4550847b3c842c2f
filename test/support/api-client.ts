import type { ApiRequest, ApiResponse } from '../../layers/core/api/http.js';
import type { ApiPorts } from '../../layers/core/api/ports.js';

/** Workflows for API tests that start none: every run is unknown. */
export const noWorkflows: ApiPorts['workflows'] = {
  start: async () => {},
  status: async () => ({ status: 'unknown' }),
};

type Handler = (req: ApiRequest) => Promise<ApiResponse>;

/**
 * Calls the router as the local server does: a JSON body (or the string as given, with its
 * Content-Type), the answer parsed. `api` is read at each call, so a test may swap the router.
 */
export function apiClient(api: () => Handler) {
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    query: Record<string, string> = {},
    contentType?: string,
  ) => {
    const res = await api()({
      method,
      path,
      query,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      contentType,
    });
    return { status: res.status, body: JSON.parse(res.body) };
  };
  /** The fields a 400 names, sorted. */
  const fields = (r: { body: { problems?: { field: string }[] } }) =>
    (r.body.problems ?? []).map((p) => p.field).sort();
  return { call, fields };
}
