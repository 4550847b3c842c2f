import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { buildSync, type Message } from 'esbuild';
import type { StaticFile } from './http-server.js';

/** The dashboard's sources (web/), found from this file so any working directory serves them. */
const WEB = fileURLToPath(new URL('../../web/', import.meta.url));

const HTML = 'text/html; charset=utf-8';
const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/** The page's script could not be bundled: the runtime does not start with a broken dashboard. */
export class WebBundleError extends Error {
  override readonly name = 'WebBundleError';
}

const describe = (m: Message) =>
  m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ${m.text}` : m.text;

/** web/app.ts and what it imports (uPlot from node_modules) as one ES module, in memory. */
export function bundleDashboard(entry = `${WEB}app.ts`): string {
  let result: ReturnType<typeof buildSync>;
  try {
    result = buildSync({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      tsconfig: `${WEB}tsconfig.json`,
      sourcemap: 'inline',
      logLevel: 'silent',
    });
  } catch (e) {
    const errors = (e as { errors?: Message[] }).errors ?? [];
    const detail = errors.length ? errors.map(describe).join('\n  ') : (e as Error).message;
    throw new WebBundleError(`the dashboard (${entry}) could not be bundled:\n  ${detail}`);
  }
  const [bundle] = result.outputFiles ?? [];
  if (!bundle) throw new WebBundleError(`the dashboard (${entry}) bundled to nothing`);
  return bundle.text;
}

/**
 * The dashboard's files by URL path: the page, its script bundled at start (esbuild, no build
 * step to forget), its stylesheet and uPlot's, served from node_modules as the package ships it.
 */
export function loadWebAssets(): (path: string) => StaticFile | undefined {
  const require = createRequire(import.meta.url);
  const page: StaticFile = { contentType: HTML, body: readFileSync(`${WEB}index.html`) };
  const files = new Map<string, StaticFile>([
    ['/', page],
    ['/index.html', page],
    ['/app.js', { contentType: JS, body: bundleDashboard() }],
    ['/style.css', { contentType: CSS, body: readFileSync(`${WEB}style.css`) }],
    [
      '/vendor/uPlot.min.css',
      { contentType: CSS, body: readFileSync(require.resolve('uplot/dist/uPlot.min.css')) },
    ],
  ]);
  return (path) => files.get(path);
}
