import type { AddressInfo } from 'node:net';
import { jest } from '@jest/globals';
import type { Context } from 'aws-lambda';
import { requestCountTwin } from '../../../local/fixtures/twins.js';
import { startHttpServer } from '../../../local/runtime/http-server.js';
import { RuntimeOptionsSchema } from '../../../local/runtime/run-local.js';

/** A secret a caller might paste into a body (AWS's documented example key, not a real one). */
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

/** Everything written to stdout and stderr while `act` runs (Powertools Logger writes there). */
async function captured<T>(act: () => Promise<T>): Promise<{ result: T; lines: string }> {
  const out: string[] = [];
  const spies = [process.stdout, process.stderr].map((stream) =>
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    }),
  );
  const logs = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
    jest.spyOn(console, m).mockImplementation((...args: unknown[]) => {
      out.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
    }),
  );
  try {
    return { result: await act(), lines: out.join('\n') };
  } finally {
    for (const s of [...spies, ...logs]) s.mockRestore();
  }
}

describe('Handler: api, logging an unexpected error', () => {
  it('logs what was asked (method, path, size) but neither the body nor the secret in it', async () => {
    // Prepare: a store that cannot be reached, so the request fails inside Twinscale (a 500, logged)
    Object.assign(process.env, {
      TABLE_NAME: 'twins-test',
      SCENARIO_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:scenario',
      OPTIMIZE_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:optimize',
      REMEDIATE_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:remediate',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'not-a-real-key',
      AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9',
      AWS_MAX_ATTEMPTS: '1',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
    const { handler } = await import('../../../functions/api/handler.js');
    const body = JSON.stringify({ ...requestCountTwin('leaky', 20), tags: { note: SECRET } });
    const event = {
      httpMethod: 'POST',
      path: '/twins',
      queryStringParameters: null,
      headers: { 'content-type': 'application/json', authorization: `AWS4-HMAC-SHA256 Signature=${SECRET}` },
      isBase64Encoded: false,
      body,
    };

    // Act
    const { result, lines } = await captured(() =>
      handler(event as never, { functionName: 'api', awsRequestId: 'r-1' } as Context),
    );

    // Assess
    expect([result.statusCode, result.body]).toEqual([500, expect.stringContaining('internal')]);
    expect(lines).toContain('unexpected error');
    expect(lines).toContain('"path":"/twins"');
    expect(lines).not.toContain(SECRET);
    expect(lines).not.toContain(body);
    expect(lines).not.toContain('not-a-real-key');
  });
});

describe('the local HTTP server', () => {
  it('binds loopback (127.0.0.1) by default: the local API has no authentication', async () => {
    const { host, port } = RuntimeOptionsSchema.parse({});
    expect(host).toBe('127.0.0.1');
    const http = await startHttpServer({
      api: async () => ({ status: 200, headers: {}, body: '{}' }),
      files: () => undefined,
      host,
      port: port === 8787 ? 0 : port,
    });
    try {
      expect((http.server.address() as AddressInfo).address).toBe('127.0.0.1');
    } finally {
      await http.close();
    }
  });
});
