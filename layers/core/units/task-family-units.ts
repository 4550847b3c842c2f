import {
  arnSuffix,
  cpuLoadQuery,
  cpuQuery,
  queueDepthQuery,
  requestCountQuery,
  twinIdFor,
} from '../twin/metric-queries.js';
import type { MetricQuery, ScalingTargetRef } from '../twin/twin.js';
import { lastSegment, type PlannedTwin, twinInputOf, type UnitFinding, type UnitPlan } from './unit-plan.js';
import type { TaskFamily } from './unit-reader.js';

/** An SQS queue named by URL (`https://sqs.<region>.amazonaws.com/<account>/<name>`) or ARN (`arn:…:sqs:…:<name>`). */
const QUEUE_URL =
  /^https:\/\/(sqs\.[a-z0-9-]+\.amazonaws\.com(\.cn)?|queue\.amazonaws\.com)\/\d{12}\/([A-Za-z0-9_.-]+)$/;
const QUEUE_ARN = /^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:([A-Za-z0-9_.-]+)$/;
const TABLE_ARN = /^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table\/([A-Za-z0-9_.-]+)$/;

/** The queue a value names, if it is a queue's URL or ARN. */
export function queueNamed(value: string): string | undefined {
  return QUEUE_URL.exec(value)?.[3] ?? QUEUE_ARN.exec(value)?.[1];
}

/**
 * Twins from an ECS task definition family: one per service of the cluster that runs the family.
 * Without a template only what ECS and ELB say is known: the load balancers of its target groups
 * (request count), and the queues its containers' environment names by URL or ARN (queue depth,
 * taken as consumed: nothing here says otherwise); else CPU. Calls to other services are not
 * read (no template names them): declare them with PUT /twins/{id}/dependencies.
 */
export function planTaskFamilyUnit(f: TaskFamily): UnitPlan {
  const td = f.taskDefinition;
  const env = td.containers.flatMap((c) => c.environment.map((e) => ({ ...e, container: c.name })));
  const queues = env.flatMap((e) => {
    const q = queueNamed(e.value);
    return q ? [{ queue: q, via: `container ${e.container} env ${e.name}` }] : [];
  });
  const tables = env.flatMap((e) => {
    const t = TABLE_ARN.exec(e.value)?.[1];
    return t ? [`depends on: table ${t} (container ${e.container} env ${e.name})`] : [];
  });
  const findings: UnitFinding[] = [
    {
      resource: '*',
      type: 'AWS::ECS::TaskDefinition',
      summary: `task family ${f.family} (revision ${td.revision}) in cluster ${f.cluster}: ${f.services.length} service${f.services.length === 1 ? '' : 's'} run it`,
      notes: [
        `read ${td.arn}: ${td.containers.length} container${td.containers.length === 1 ? '' : 's'}, ${env.length} environment value${env.length === 1 ? '' : 's'}`,
        ...queues.map((q) => `depends on: queue ${q.queue} (${q.via})`),
        ...tables,
        'calls to other services are not read from a task family (no template names them): declare them with PUT /twins/{id}/dependencies',
      ],
      warnings:
        f.services.length === 0
          ? [
              `no service in cluster ${f.cluster} runs ${f.family}: nothing to twin (a standalone or scheduled task is not a fleet)`,
            ]
          : [],
    },
  ];
  const twins: PlannedTwin[] = [];
  for (const s of f.services) {
    const target: ScalingTargetRef = { kind: 'ecs', cluster: f.cluster, service: s.name };
    const notes: string[] = [];
    const warnings: string[] = [];
    if (s.taskDefinitionArn !== td.arn)
      notes.push(
        `runs ${s.taskDefinitionArn.split('task-definition/')[1] ?? s.taskDefinitionArn}, not the latest revision ${td.revision}`,
      );
    const loads: MetricQuery[] = [];
    s.targetGroupArns.forEach((arn, i) => {
      const tg = f.targetGroups.find((g) => g.arn === arn);
      const lb = tg?.loadBalancerArns[0];
      const name = arnSuffix(arn, 'targetgroup/');
      if (!lb) {
        warnings.push(`loadBalancers[${i}]: target group ${name} has no load balancer: no request count`);
        return;
      }
      if (!lb.includes(':loadbalancer/app/')) {
        notes.push(
          `loadBalancers[${i}]: target group ${name} is behind a load balancer that counts no requests`,
        );
        return;
      }
      const q = requestCountQuery(arn, lb, loads.length);
      loads.push(q);
      notes.push(
        `${loads.length === 1 ? 'load' : 'also load'}: target group ${name} request count on ${arnSuffix(lb, 'app/')} (attached through loadBalancers[${i}]), metric key ${q.key}`,
      );
    });
    if (loads.length === 0 && queues.length) {
      loads.push(queueDepthQuery(queues[0].queue));
      notes.push(
        `load: queue ${queues[0].queue} depth (ApproximateNumberOfMessagesVisible): no request count, and ${queues[0].via} names the queue; a task family says nothing of whether it receives, so it is taken as the consumer`,
      );
    }
    if (loads.length === 0) {
      loads.push(cpuLoadQuery(target));
      notes.push('no target group or queue: CPU is the load');
      warnings.push(
        'CPU as the load of an ECS service is its average over the tasks, which falls as tasks are added: attach a target group or queue for a load that does not',
      );
    }
    if (s.registryArns.length)
      notes.push(
        `registers in Cloud Map (${s.registryArns.map((a) => lastSegment(a)).join(', ')}): its callers are not known from here`,
      );
    const id = twinIdFor('ecs', `${f.cluster}-${s.name}`);
    twins.push({
      // the task definition family is the family: its services share the shape of their load
      twin: twinInputOf(id, target, [...loads, cpuQuery(target)], f.family),
      resource: s.name,
      type: 'AWS::ECS::Service',
      resolved: true,
      unresolved: [],
    });
    findings.push({
      resource: s.name,
      type: 'AWS::ECS::Service',
      twinId: id,
      summary: `ECS service ${s.name} in cluster ${f.cluster}`,
      notes,
      warnings,
    });
  }
  return { unit: { kind: 'task-family', name: f.family }, twins, edges: [], findings };
}
