import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/** What the runtime keeps besides the table: where its clock is, and each fleet's size. */
export const RuntimeStateSchema = z.object({
  version: z.literal(1),
  /** The clock's start (the traces are replayed relative to it). */
  clockStart: z.number(),
  /** Trace time reached: every tick up to here ran. */
  clock: z.number(),
  fleets: z.record(z.string(), z.object({ capacity: z.number().int().min(0) })),
});
export type RuntimeState = z.infer<typeof RuntimeStateSchema>;

const FILE = 'runtime.json';

export class RuntimeStateError extends Error {
  override readonly name = 'RuntimeStateError';
}

export function readRuntimeState(home: string): RuntimeState | undefined {
  const path = join(home, FILE);
  if (!existsSync(path)) return undefined;
  const r = RuntimeStateSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!r.success)
    throw new RuntimeStateError(
      `${path} is not a runtime state this version reads (${z.prettifyError(r.error)}): delete ${home} to start afresh`,
    );
  return r.data;
}

/** Written to a temporary file and renamed, so a crash mid-write leaves the previous state whole. */
export function writeRuntimeState(home: string, state: RuntimeState): void {
  const path = join(home, FILE);
  writeFileSync(`${path}.tmp`, JSON.stringify(state));
  renameSync(`${path}.tmp`, path);
}
