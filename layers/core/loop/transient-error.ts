/**
 * A failure worth retrying the whole task for. Lambda reports a thrown error's name as the
 * task's error, so the state machines retry on this one name whatever the service called it.
 */
export class TransientError extends Error {
  override readonly name = 'TransientError';
  constructor(cause: unknown) {
    const e = cause as { name?: string; message?: string };
    super(`${e?.name ?? 'Error'}: ${e?.message ?? String(cause)}`, { cause });
  }
}
