import { spawnSync } from 'node:child_process';

/**
 * Whether a tool of this machine image (moto_server, cfn-lint) can run here. Under CI a missing
 * tool is a failure (ARCHITECTURE.md); elsewhere the tests that need it are skipped with a
 * message saying how to get it.
 */
export function toolAvailable(command: string, install: string): boolean {
  const ok = spawnSync(command, ['--help'], { stdio: 'ignore' }).status === 0;
  if (!ok && process.env.CI === 'true') throw new Error(`${command} is missing: ${install}`);
  if (!ok) console.warn(`${command} not found: skipping the tests that need it (${install})`);
  return ok;
}
