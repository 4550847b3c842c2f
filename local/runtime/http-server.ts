import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_BODY_BYTES } from '../../layers/core/api/http.js';
import type { Api } from '../../layers/core/api/router.js';

/** A file the server answers with as it is (the dashboard). */
export interface StaticFile {
  contentType: string;
  body: string | Buffer;
}

class BodyTooLarge extends Error {}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The API's routes on a local HTTP server, as API Gateway serves them in AWS, and the dashboard's
 * files beside them. Resolves once listening; `url` is where.
 */
export async function startHttpServer(o: {
  api: Api;
  files: (path: string) => StaticFile | undefined;
  host: string;
  port: number;
}): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    const file = req.method === 'GET' ? o.files(url.pathname) : undefined;
    if (file) {
      res.writeHead(200, { 'content-type': file.contentType, 'cache-control': 'no-cache' });
      res.end(file.body);
      return;
    }
    let body: string;
    try {
      body = await readBody(req);
    } catch (e) {
      const tooLarge = e instanceof BodyTooLarge;
      // the router refuses the same size; reading stops here so a huge upload is never buffered
      res.writeHead(tooLarge ? 413 : 400, { 'content-type': 'application/json; charset=utf-8' });
      res.end(
        JSON.stringify({
          error: tooLarge ? 'too-large' : 'invalid-request',
          message: tooLarge ? `body: at most ${MAX_BODY_BYTES} bytes` : 'body: could not be read',
        }),
      );
      return;
    }
    const answer = await o.api({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      body,
      contentType: req.headers['content-type'],
    });
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    server,
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
