import type { RecordOf } from '../store/records.js';
import type { TwinStore } from '../store/twin-store.js';
import type { Violation } from './evaluate.js';

type ViolationRecord = RecordOf<'violation'>;

/** The newest record of each policy rule of a twin (records written before policies stand alone, by id). */
export async function latestViolations(
  store: TwinStore,
  twinId: string,
): Promise<Map<string, ViolationRecord>> {
  const latest = new Map<string, ViolationRecord>();
  // newest first: the first of each key is its latest
  for (const r of (await store.listRecords(twinId, 'violation', { limit: 100 })).items) {
    const key = r.policy ? `${r.policy}.${r.rule}` : `#${r.id}`;
    if (!latest.has(key)) latest.set(key, r);
  }
  return latest;
}

/**
 * Writes only what changed since the last evaluation: a violation new, or open again, or of
 * another severity; a resolution for an open one whose rule is kept now or no longer exists. A
 * rule that could not be judged (skipped) leaves its record as it is.
 */
export async function recordChanges(
  store: TwinStore,
  twinId: string,
  found: readonly Violation[],
  latest: Map<string, ViolationRecord>,
  rules: ReadonlySet<string>,
  skipped: ReadonlySet<string>,
  at: number,
): Promise<{ opened: number; resolved: number }> {
  const atIso = new Date(at).toISOString();
  const writes: ViolationRecord[] = [];
  const foundKeys = new Set<string>();
  for (const v of found) {
    const key = `${v.policy}.${v.rule}`;
    foundKeys.add(key);
    const before = latest.get(key);
    if (before && before.status !== 'resolved' && before.severity === v.severity) continue;
    const { twinId: _, ...fields } = v;
    writes.push({ id: key, at: atIso, status: 'open', ...fields });
  }
  let resolved = 0;
  for (const [key, r] of latest) {
    if (!r.policy || r.status === 'resolved' || foundKeys.has(key) || skipped.has(key)) continue;
    resolved++;
    writes.push({
      id: key,
      at: atIso,
      rule: r.rule,
      policy: r.policy,
      severity: r.severity,
      status: 'resolved',
      message: rules.has(key) ? 'the rule is kept again' : 'the rule or its policy was removed',
    });
  }
  await Promise.all(writes.map((w) => store.putRecord(twinId, 'violation', w)));
  return { opened: writes.length - resolved, resolved };
}
