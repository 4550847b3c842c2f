import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import {
  type LoadedTrace,
  loadTrace,
  type ManifestEntry,
  readManifest,
  TraceSetError,
} from '../bench/trace-set.js';

/**
 * Reads one trace CSV given by path. Its folder's manifest.json, when it has an entry for the
 * file, gives the id, kind and unit; any other file is read as a load trace named after the file.
 * The step is inferred from the timestamps either way (the manifest does not carry it).
 */
export function readTraceFile(path: string): LoadedTrace {
  if (!existsSync(path))
    throw new TraceSetError(`${path} not found: --trace takes a CSV file with timestamp,value columns`);
  if (!statSync(path).isFile())
    throw new TraceSetError(
      `${path} is not a file: --trace takes one CSV file, such as data/traces/nab-nyc-taxi.csv`,
    );
  const dir = dirname(path);
  const file = basename(path);
  const entry: ManifestEntry = manifestEntry(dir, file) ?? {
    id: file.replace(/\.csv$/i, ''),
    file,
    kind: 'load',
    anomalyWindows: [],
  };
  return loadTrace(dir, entry);
}

function manifestEntry(dir: string, file: string): ManifestEntry | undefined {
  if (!existsSync(join(dir, 'manifest.json'))) return undefined;
  try {
    return readManifest(dir).find((e) => e.file === file);
  } catch (e) {
    // The file is what was asked for; a broken manifest beside it only loses the metadata.
    if (e instanceof TraceSetError) return undefined;
    throw e;
  }
}
