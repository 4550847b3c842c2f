import type { MetricQuery, ScalingTargetRef } from './twin.js';

/**
 * The metric queries a twin of an Auto Scaling group or ECS service is given when Twinscale finds
 * it (tag discovery, layers/aws/discovery.ts, and twins from a deployable unit, units/): one set
 * of builders, so that a twin reads the same metrics however it came to be.
 */

/** CPU utilization of the group or service: the `utilization` metric every such twin has. */
export const cpuQuery = (target: ScalingTargetRef): MetricQuery => ({
  key: 'cpu',
  role: 'utilization',
  ...(target.kind === 'asg'
    ? {
        namespace: 'AWS/EC2',
        dimensions: [{ name: 'AutoScalingGroupName', value: target.autoScalingGroupName }],
      }
    : {
        namespace: 'AWS/ECS',
        dimensions: [
          { name: 'ClusterName', value: target.cluster },
          { name: 'ServiceName', value: target.service },
        ],
      }),
  metricName: 'CPUUtilization',
  stat: 'Average',
  periodSeconds: 60,
});

/**
 * CPU as the load of a twin with no request count or queue to forecast. A group's is the Sum over
 * its instances (the CPU work done, which does not fall as instances are added); an ECS service
 * publishes one average per minute, so its Sum is that average, which does fall as tasks are
 * added: the weaker stand-in, said so where it is chosen.
 */
export const cpuLoadQuery = (target: ScalingTargetRef): MetricQuery => ({
  ...cpuQuery(target),
  key: 'cpu_load',
  role: 'load',
  stat: 'Sum',
});

/** The `i`th request metric's key: `requests`, `requests_2`, … */
export const requestKey = (i: number): string => (i === 0 ? 'requests' : `requests_${i + 1}`);

/** The part of an ELB ARN its CloudWatch dimension uses: `targetgroup/…`, `app/…`. */
export const arnSuffix = (arn: string, from: string): string => arn.slice(Math.max(0, arn.indexOf(from)));

/**
 * The requests a target group receives (RequestCount summed per minute, with the TargetGroup and
 * LoadBalancer dimensions, which ELB metrics name by ARN suffix): the load a twin behind a load
 * balancer forecasts. The total, not RequestCountPerTarget: the count per target falls as the
 * twin adds capacity, so it is not the demand to forecast.
 */
export const requestCountQuery = (targetGroupArn: string, loadBalancerArn: string, i = 0): MetricQuery => ({
  key: requestKey(i),
  role: 'load',
  namespace: 'AWS/ApplicationELB',
  metricName: 'RequestCount',
  dimensions: [
    { name: 'TargetGroup', value: arnSuffix(targetGroupArn, 'targetgroup/') },
    { name: 'LoadBalancer', value: arnSuffix(loadBalancerArn, 'app/') },
  ],
  stat: 'Sum',
  periodSeconds: 60,
});

/**
 * The messages waiting in the queue a worker consumes: its load when no load balancer sends it
 * requests. A gauge, so its Maximum per minute (as the CDK's queue metric reads it), not a Sum.
 */
export const queueDepthQuery = (queueName: string): MetricQuery => ({
  key: 'queue_depth',
  role: 'load',
  namespace: 'AWS/SQS',
  metricName: 'ApproximateNumberOfMessagesVisible',
  dimensions: [{ name: 'QueueName', value: queueName }],
  stat: 'Maximum',
  periodSeconds: 60,
});

/** A valid, stable twin id for a resource name; a hash keeps names that differ only in case apart. */
export function twinIdFor(kind: 'asg' | 'ecs', name: string): string {
  const slug = `${kind}-${name}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/-$/, '');
  const exact = slug === `${kind}-${name}`;
  return exact ? slug.slice(0, 128) : `${slug.slice(0, 119)}-${fnv(name)}`;
}

/** FNV-1a, 32 bits, as 8 hex digits. */
export function fnv(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}
