import { type AutoScalingClient, paginateDescribeAutoScalingGroups } from '@aws-sdk/client-auto-scaling';
import {
  DescribeServicesCommand,
  type ECSClient,
  paginateListClusters,
  paginateListServices,
} from '@aws-sdk/client-ecs';
import {
  DescribeTargetGroupsCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { isManaged, MANAGED_TAG } from '../core/act/scaling-target.js';
import { TwinExistsError, type TwinStore } from '../core/store/twin-store.js';
import { cpuQuery, requestCountQuery, twinIdFor } from '../core/twin/metric-queries.js';
import {
  FAMILY_TAG_KEY,
  FamilySchema,
  type MetricQuery,
  type TwinInput,
  type TwinMode,
} from '../core/twin/twin.js';

export interface DiscoveryClients {
  autoScaling: AutoScalingClient;
  ecs: ECSClient;
  elbv2: ElasticLoadBalancingV2Client;
}

/**
 * Twins for every EC2 Auto Scaling group and ECS service tagged `twinscale:managed=true`: CPU
 * utilization always, and the request count of each attached load balancer target group (the
 * load the planner forecasts). New twins start in forecast-only mode (the store's default).
 * Their `family` (cold start from similar twins) is the `twinscale:family` tag's value, else for
 * an ECS service its task definition's family.
 */
export async function discoverTwins(
  c: DiscoveryClients,
  o: { tagKey?: string; mode?: TwinMode } = {},
): Promise<TwinInput[]> {
  const tagKey = o.tagKey ?? MANAGED_TAG.key;
  const policy = { mode: o.mode ?? 'forecast-only' };
  const found: TwinInput[] = [];
  const filter = [{ Name: `tag:${tagKey}`, Values: [MANAGED_TAG.value] }];
  for await (const page of paginateDescribeAutoScalingGroups(
    { client: c.autoScaling },
    { Filters: filter },
  )) {
    for (const g of page.AutoScalingGroups ?? []) {
      const name = g.AutoScalingGroupName ?? '';
      const tagged = isManaged(
        (g.Tags ?? []).map((t) => ({ key: t.Key, value: t.Value })),
        tagKey,
      );
      if (!name || !tagged) continue;
      const family = familyOf(g.Tags?.find((t) => t.Key === FAMILY_TAG_KEY)?.Value);
      found.push({
        id: twinIdFor('asg', name),
        ...(family ? { family } : {}),
        target: { kind: 'asg', autoScalingGroupName: name },
        source: 'discovered',
        policy,
        ...twinTags((g.Tags ?? []).map((t) => ({ key: t.Key, value: t.Value }))),
        metrics: [
          cpuQuery({ kind: 'asg', autoScalingGroupName: name }),
          ...(await requestCounts(c.elbv2, g.TargetGroupARNs ?? [])),
        ],
      });
    }
  }
  for await (const clusters of paginateListClusters({ client: c.ecs }, {})) {
    for (const cluster of clusters.clusterArns ?? []) {
      for await (const services of paginateListServices({ client: c.ecs }, { cluster })) {
        const arns = services.serviceArns ?? [];
        for (let i = 0; i < arns.length; i += 10) {
          const d = await c.ecs.send(
            new DescribeServicesCommand({ cluster, services: arns.slice(i, i + 10), include: ['TAGS'] }),
          );
          for (const s of d.services ?? []) {
            const tagged = isManaged(s.tags ?? [], tagKey);
            if (!tagged || !s.serviceName) continue;
            const clusterName = cluster.split('/').pop() ?? cluster;
            const family =
              familyOf(s.tags?.find((t) => t.key === FAMILY_TAG_KEY)?.value) ??
              familyOf(s.taskDefinition?.split('/').pop()?.replace(/:\d+$/, ''));
            found.push({
              id: twinIdFor('ecs', `${clusterName}-${s.serviceName}`),
              ...(family ? { family } : {}),
              target: { kind: 'ecs', cluster: clusterName, service: s.serviceName },
              source: 'discovered',
              policy,
              ...twinTags(s.tags ?? []),
              metrics: [
                cpuQuery({ kind: 'ecs', cluster: clusterName, service: s.serviceName }),
                ...(await requestCounts(
                  c.elbv2,
                  (s.loadBalancers ?? []).flatMap((lb) => (lb.targetGroupArn ? [lb.targetGroupArn] : [])),
                )),
              ],
            });
          }
        }
      }
    }
  }
  return found;
}

/** Creates the discovered twins the store does not have yet; existing twins are left as they are. */
export async function registerDiscovered(
  store: TwinStore,
  found: readonly TwinInput[],
): Promise<{ created: string[]; existing: number }> {
  const created: string[] = [];
  let existing = 0;
  for (const t of found) {
    if (await store.getTwin(t.id)) {
      existing++;
      continue;
    }
    try {
      await store.createTwin(t);
      created.push(t.id);
    } catch (e) {
      if (!(e instanceof TwinExistsError)) throw e;
      existing++;
    }
  }
  return { created, existing };
}

/** A tag value or task definition family usable as a twin's family, else undefined. */
const familyOf = (value: string | undefined): string | undefined =>
  FamilySchema.safeParse(value).success ? value : undefined;

/**
 * The resource's own tags on its twin (the tenant tag puts it in a group): AWS-reserved `aws:` keys
 * left out, at most the 50 a twin holds. None: no `tags` field.
 */
function twinTags(tags: readonly { key?: string; value?: string }[]): { tags?: Record<string, string> } {
  const kept = tags.filter((t) => t.key && !t.key.startsWith('aws:')).slice(0, 50);
  return kept.length ? { tags: Object.fromEntries(kept.map((t) => [t.key as string, t.value ?? ''])) } : {};
}

/** RequestCount per target group, keyed `requests`, `requests_2`, … (ELB dimensions use ARN suffixes). */
async function requestCounts(
  elbv2: ElasticLoadBalancingV2Client,
  arns: readonly string[],
): Promise<MetricQuery[]> {
  if (arns.length === 0) return [];
  const groups = await elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [...arns] }));
  return (groups.TargetGroups ?? []).flatMap((tg, i) => {
    const lb = tg.LoadBalancerArns?.[0];
    return tg.TargetGroupArn && lb ? [requestCountQuery(tg.TargetGroupArn, lb, i)] : [];
  });
}

export { twinIdFor };
