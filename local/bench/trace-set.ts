import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { type Grid, type GridStats, toGrid } from '../../layers/core/series/grid.js';
import { describeRepairs, readTrace, TraceFormatError } from '../../layers/core/series/read-trace.js';

/** One entry of a trace folder's manifest.json (shared/data/traces layout). */
export const ManifestEntrySchema = z.object({
  id: z.string().min(1),
  file: z.string().min(1),
  kind: z.enum(['load', 'utilization']),
  metric: z.string().optional(),
  unit: z.string().optional(),
  source: z.string().optional(),
  license: z.string().optional(),
  anomalyWindows: z.array(z.tuple([z.string(), z.string()])).default([]),
});
export type ManifestEntry = z.infer<typeof ManifestEntrySchema>;

export interface LoadedTrace {
  entry: ManifestEntry;
  grid: Grid;
  stats: GridStats;
  repairs: string;
}

/** A timestamp as the benchmark's CSVs write it: ISO 8601, whole seconds. */
export const isoTime = (t: number): string => new Date(t).toISOString().replace('.000Z', 'Z');

/** A benchmark input problem the user must fix: the message says which file and what. */
export class TraceSetError extends Error {
  override readonly name = 'TraceSetError';
}

export function readManifest(dir: string): ManifestEntry[] {
  const path = join(dir, 'manifest.json');
  if (!existsSync(path)) throw new TraceSetError(`${path} not found: a trace folder needs a manifest.json`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new TraceSetError(`${path} is not valid JSON (${(e as Error).message})`);
  }
  const parsed = z.array(ManifestEntrySchema).safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TraceSetError(`${path}: entry ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}

export function loadTrace(dir: string, entry: ManifestEntry): LoadedTrace {
  const path = join(dir, entry.file);
  if (!existsSync(path)) throw new TraceSetError(`${path} (trace ${entry.id}) not found`);
  try {
    const { samples, repairs } = readTrace(readFileSync(path, 'utf8'));
    const { grid, stats } = toGrid(samples);
    return { entry, grid, stats, repairs: describeRepairs(repairs) };
  } catch (e) {
    if (e instanceof TraceFormatError || e instanceof RangeError)
      throw new TraceSetError(`${path}: ${e.message}`);
    throw e;
  }
}
