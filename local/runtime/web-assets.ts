import { existsSync, readFileSync } from 'node:fs';
import type { StaticFile } from './http-server.js';

/** The dashboard's files by URL path. */
export function loadWebAssets(): (path: string) => StaticFile | undefined {
  const index = 'web/index.html';
  const files = new Map<string, StaticFile>();
  if (existsSync(index))
    files.set('/', { contentType: 'text/html; charset=utf-8', body: readFileSync(index) });
  return (path) => files.get(path);
}
