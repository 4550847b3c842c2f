/**
 * Runs `work` over items, at most `limit` at a time. After the first error no new item starts,
 * and the call waits for the items already under way before throwing it: nothing keeps running
 * after the caller has moved on (a Lambda frozen mid-work would resume in a later invocation).
 */
export async function inParallel<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed = false;
  let firstError: unknown;
  const worker = async () => {
    while (!failed && next < items.length) {
      try {
        await work(items[next++]);
      } catch (e) {
        if (!failed) firstError = e;
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed) throw firstError;
}
