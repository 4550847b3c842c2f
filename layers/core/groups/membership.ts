import { z } from 'zod';
import type { Twin } from '../twin/twin.js';

/** The tag whose value names a twin's tenant group, unless the deployment names another. */
export const DEFAULT_GROUP_TAG = 'twinscale:tenant';

/**
 * A group's name is its tag value: anything an AWS tag value may hold but a slash (it is a path
 * segment of `/groups/{tenant}`).
 */
export const GroupNameSchema = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[^/]+$/, 'tenant: 1–256 characters, no slash');

export interface TwinGroup {
  tenant: string;
  /** Member twins, in id order. */
  members: Twin[];
}

/** Twins grouped by the value of `tagKey`; twins without the tag belong to no group. In tenant order. */
export function groupTwins(twins: readonly Twin[], tagKey: string = DEFAULT_GROUP_TAG): TwinGroup[] {
  const byTenant = new Map<string, Twin[]>();
  for (const t of twins) {
    const tenant = t.tags?.[tagKey];
    if (!tenant) continue;
    byTenant.set(tenant, [...(byTenant.get(tenant) ?? []), t]);
  }
  return [...byTenant.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([tenant, members]) => ({ tenant, members: members.sort((a, b) => a.id.localeCompare(b.id)) }));
}
