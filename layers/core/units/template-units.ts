import {
  arnSuffix,
  cpuLoadQuery,
  cpuQuery,
  queueDepthQuery,
  requestCountQuery,
  twinIdFor,
} from '../twin/metric-queries.js';
import type { MetricQuery, ScalingTargetRef } from '../twin/twin.js';
import { type CfnResource, type CfnTemplate, type Reading, readValue } from './template-values.js';
import {
  lastSegment,
  type PlannedEdge,
  type PlannedTwin,
  twinInputOf,
  type UnitFinding,
  type UnitPlan,
  unitFamilyOf,
  unitTwinId,
} from './unit-plan.js';

/**
 * Twins from a CloudFormation template: its Auto Scaling groups and ECS services, what each one
 * depends on (the target groups in front of it, the queues and tables it uses, the services it
 * calls), the load metric each is forecast on, and the calls between them as graph edges.
 *
 * The load metric, in order: the request count of an attached application load balancer target
 * group; else the depth of the SQS queue it consumes; else none, and CPU (always the utilization
 * metric) stands in as the load. What a service uses is read from the references in its task
 * definition's container environment (an ASG: its launch template's or configuration's user
 * data) and from the IAM statements of its task role (an ASG: its instances' role). A call is an
 * environment value naming another service's load balancer (its DNS name) or its Cloud Map name
 * (`name.namespace`, or the Cloud Map service itself), or a queue this one sends to and another
 * consumes.
 */

export interface TemplateUnitInput {
  /** The unit's name: the stack's (twin ids of unresolved twins start with it). */
  unit: string;
  kind: 'stack' | 'template';
  template: CfnTemplate;
  /**
   * Logical id → physical id: a deployed stack's resources (ListStackResources), or the names a
   * caller gives for a template. What Ref of the resource returns (an ASG's name, a target
   * group's or load balancer's ARN, a queue's URL, an ECS service's ARN or name).
   */
  physicalIds?: Record<string, string>;
  /** Region and account, for AWS::Region and AWS::AccountId in values. */
  pseudo?: { Region?: string; AccountId?: string; StackName?: string };
}

const ASG = 'AWS::AutoScaling::AutoScalingGroup';
const ECS_SERVICE = 'AWS::ECS::Service';
const TARGET_GROUP = 'AWS::ElasticLoadBalancingV2::TargetGroup';
const LOAD_BALANCER = 'AWS::ElasticLoadBalancingV2::LoadBalancer';
const QUEUE = 'AWS::SQS::Queue';
const TABLE = 'AWS::DynamoDB::Table';
const SD_SERVICE = 'AWS::ServiceDiscovery::Service';
const SD_NAMESPACES = new Set([
  'AWS::ServiceDiscovery::PrivateDnsNamespace',
  'AWS::ServiceDiscovery::PublicDnsNamespace',
  'AWS::ServiceDiscovery::HttpNamespace',
]);

/** Types whose resources scale on their own (or are not fleets): named in the summary so nobody looks for them. */
const SELF_SCALING: Record<string, string> = {
  'AWS::Lambda::Function': 'Lambda functions scale per request on their own',
  'AWS::DynamoDB::Table': 'tables are not fleets',
  'AWS::StepFunctions::StateMachine': 'state machines are not fleets',
};

/** One IAM statement of a role: its actions and the resources it names. */
interface RoleStatement {
  actions: string[];
  refs: Set<string>;
  policy: string;
}

/** What a scalable resource uses, each with where it was seen. */
interface Use {
  id: string;
  via: string;
  reading?: Reading;
}

interface Scalable {
  id: string;
  resource: CfnResource;
  kind: 'asg' | 'ecs';
  target: ScalingTargetRef;
  unresolved: string[];
  notes: string[];
  warnings: string[];
  targetGroups: { ref?: string; arn?: string; via: string }[];
  env: Use[];
  statements: RoleStatement[];
  registries: string[];
  metrics: MetricQuery[];
  /** Queues it consumes (ReceiveMessage), sends to (SendMessage). */
  consumes: string[];
  sendsTo: string[];
  twinId: string;
}

const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const props = (r: CfnResource | undefined): Record<string, unknown> => r?.Properties ?? {};
const actionMatches = (actions: readonly string[], wanted: string) =>
  actions.some((a) => {
    const re = new RegExp(`^${a.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
    return re.test(wanted);
  });

/** The plan of a template's twins: see the module comment. Pure: the template and names in, the plan out. */
export function planTemplateUnit(input: TemplateUnitInput): UnitPlan {
  const { template, unit } = input;
  const resources = template.Resources ?? {};
  const physical = input.physicalIds ?? {};
  const deployed = input.kind === 'stack';
  const typeOf = (id: string) => resources[id]?.Type;
  const ofType = (type: string) => Object.keys(resources).filter((id) => resources[id].Type === type);
  const pathOf = (id: string) => {
    const p = resources[id]?.Metadata?.['aws:cdk:path'];
    return typeof p === 'string' ? ` (${p})` : '';
  };
  const known = (id: string): string | undefined => physical[id];

  /** What Ref or Fn::GetAtt of a resource gives, when its physical id (or a literal property) tells. */
  const nameOf = (id: string, attribute?: string): string | undefined => {
    const r = resources[id];
    const p = props(r);
    const phys = known(id);
    if (!r) return phys;
    if (!attribute) return phys;
    switch (`${r.Type}.${attribute}`) {
      case `${QUEUE}.QueueName`:
        return phys ? lastSegment(phys) : str(p.QueueName);
      case `${QUEUE}.QueueUrl`:
        return phys;
      case `${TARGET_GROUP}.TargetGroupFullName`:
        return phys?.includes('targetgroup/') ? arnSuffix(phys, 'targetgroup/') : undefined;
      case `${LOAD_BALANCER}.LoadBalancerFullName`:
        return phys?.includes('loadbalancer/') ? phys.slice(phys.indexOf('loadbalancer/') + 13) : undefined;
      case `${SD_SERVICE}.Name`:
        return str(p.Name);
      case `${ECS_SERVICE}.Name`:
        return phys ? lastSegment(phys) : str(p.ServiceName);
      case `${TABLE}.Arn`:
      case `${QUEUE}.Arn`:
      case `${TARGET_GROUP}.TargetGroupArn`:
        return undefined;
      default:
        return undefined;
    }
  };
  const read = (value: unknown) =>
    readValue(value, nameOf, template, {
      ...(input.pseudo?.Region ? { Region: input.pseudo.Region } : {}),
      ...(input.pseudo?.AccountId ? { AccountId: input.pseudo.AccountId } : {}),
      StackName: input.pseudo?.StackName ?? unit,
    });
  const refOf = (value: unknown): string | undefined => {
    const r = read(value);
    return r.refs.size === 1 ? [...r.refs][0] : undefined;
  };

  // load balancers behind each target group: listeners (and their rules) forward to target groups
  const lbsOfTg = new Map<string, Set<string>>();
  const listenerLb = new Map<string, string>();
  for (const l of ofType('AWS::ElasticLoadBalancingV2::Listener')) {
    const lb = refOf(props(resources[l]).LoadBalancerArn);
    if (lb) listenerLb.set(l, lb);
  }
  const forward = (lb: string | undefined, actions: unknown) => {
    if (!lb) return;
    for (const tg of read(actions).refs) {
      if (typeOf(tg) !== TARGET_GROUP) continue;
      lbsOfTg.set(tg, new Set([...(lbsOfTg.get(tg) ?? []), lb]));
    }
  };
  for (const [l, lb] of listenerLb) forward(lb, props(resources[l]).DefaultActions);
  for (const rule of ofType('AWS::ElasticLoadBalancingV2::ListenerRule')) {
    const p = props(resources[rule]);
    const listener = refOf(p.ListenerArn);
    forward(listener ? listenerLb.get(listener) : undefined, p.Actions);
  }

  // IAM statements of each role: policies attached by Roles, the role's inline policies, managed policies
  const statementsOf = new Map<string, RoleStatement[]>();
  const addStatements = (role: string, document: unknown, policy: string) => {
    const list = statementsOf.get(role) ?? [];
    for (const s of asArray((document as { Statement?: unknown } | undefined)?.Statement)) {
      const st = s as { Effect?: string; Action?: unknown; Resource?: unknown };
      if (st.Effect === 'Deny') continue;
      list.push({
        actions: asArray(st.Action).filter((a): a is string => typeof a === 'string'),
        refs: read(st.Resource).refs,
        policy,
      });
    }
    statementsOf.set(role, list);
  };
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const p of ofType(type)) {
      const pp = props(resources[p]);
      for (const role of read(pp.Roles).refs) addStatements(role, pp.PolicyDocument, p);
    }
  }
  for (const role of ofType('AWS::IAM::Role')) {
    const rp = props(resources[role]);
    for (const inline of asArray(rp.Policies)) {
      const i = inline as { PolicyDocument?: unknown; PolicyName?: unknown };
      addStatements(role, i.PolicyDocument, `${role} (inline ${String(i.PolicyName ?? '')})`);
    }
    for (const mp of read(rp.ManagedPolicyArns).refs) {
      if (typeOf(mp) !== 'AWS::IAM::ManagedPolicy') continue;
      if (read(props(resources[mp]).Roles).refs.has(role)) continue; // counted above
      addStatements(role, props(resources[mp]).PolicyDocument, mp);
    }
  }

  // Cloud Map: each service's DNS name (name.namespace)
  const dnsOfSd = new Map<string, string>();
  for (const sd of ofType(SD_SERVICE)) {
    const p = props(resources[sd]);
    const ns =
      refOf(p.NamespaceId) ?? refOf((p.DnsConfig as { NamespaceId?: unknown } | undefined)?.NamespaceId);
    const nsName = ns && SD_NAMESPACES.has(typeOf(ns) ?? '') ? str(props(resources[ns]).Name) : undefined;
    const name = str(p.Name);
    if (name && nsName) dnsOfSd.set(sd, `${name}.${nsName}`.toLowerCase());
  }

  const findings: UnitFinding[] = [];
  const scalables: Scalable[] = [];

  for (const id of Object.keys(resources)) {
    const r = resources[id];
    if (r.Type !== ASG && r.Type !== ECS_SERVICE) continue;
    const p = props(r);
    const s: Scalable = {
      id,
      resource: r,
      kind: r.Type === ASG ? 'asg' : 'ecs',
      target: { kind: 'asg', autoScalingGroupName: id },
      unresolved: [],
      notes: [],
      warnings: [],
      targetGroups: [],
      env: [],
      statements: [],
      registries: [],
      metrics: [],
      consumes: [],
      sendsTo: [],
      twinId: '',
    };
    const unresolved = (what: string) =>
      s.unresolved.push(
        `${what}: not named in the ${deployed ? 'stack' : 'template'}, the logical id stands in for it`,
      );
    let roles: string[] = [];
    if (s.kind === 'asg') {
      const name = known(id) ?? str(p.AutoScalingGroupName);
      if (!name) unresolved(`group name of ${id}`);
      s.target = { kind: 'asg', autoScalingGroupName: name ?? id };
      asArray(p.TargetGroupARNs).forEach((tg, i) => {
        s.targetGroups.push(tgOf(tg, `TargetGroupARNs[${i}]`));
      });
      if (asArray(p.LoadBalancerNames).length)
        s.notes.push(
          'classic load balancers (LoadBalancerNames) are not read: their metrics have no per-group request count',
        );
      // what the instances run with: the launch template's or configuration's user data and profile
      const launch =
        refOf((p.LaunchTemplate as { LaunchTemplateId?: unknown } | undefined)?.LaunchTemplateId) ??
        refOf((p.LaunchTemplate as { LaunchTemplateName?: unknown } | undefined)?.LaunchTemplateName) ??
        refOf(
          (
            p.MixedInstancesPolicy as {
              LaunchTemplate?: { LaunchTemplateSpecification?: { LaunchTemplateId?: unknown } };
            }
          )?.LaunchTemplate?.LaunchTemplateSpecification?.LaunchTemplateId,
        ) ??
        refOf(p.LaunchConfigurationName);
      const lp = props(resources[launch ?? '']);
      const data = (lp.LaunchTemplateData as Record<string, unknown> | undefined) ?? lp;
      if (data.UserData !== undefined) s.env.push(...usesOf(data.UserData, `${launch} UserData`));
      const profile = data.IamInstanceProfile as unknown;
      const profileId =
        refOf(profile) ??
        refOf((profile as { Arn?: unknown; Name?: unknown } | undefined)?.Arn) ??
        refOf((profile as { Name?: unknown } | undefined)?.Name);
      if (profileId && typeOf(profileId) === 'AWS::IAM::InstanceProfile')
        roles = [...read(props(resources[profileId]).Roles).refs];
    } else {
      const clusterValue = p.Cluster;
      let cluster: string | undefined;
      if (clusterValue === undefined) {
        cluster = 'default';
        s.warnings.push('no Cluster: ECS runs it in the account’s default cluster, so that is the one named');
      } else {
        const c = read(clusterValue);
        if (c.text) cluster = lastSegment(c.text);
        else if (c.imports.length)
          s.warnings.push(
            `its cluster is imported from another stack (${c.imports.join(', ')}), which this template does not name`,
          );
        const fromArn = known(id)?.split(':service/')[1]?.split('/');
        if (!cluster && fromArn && fromArn.length === 2) cluster = fromArn[0];
        if (!cluster) unresolved(`cluster of ${id}`);
        cluster ??= [...c.refs][0] ?? 'default';
      }
      const name = known(id) ? lastSegment(known(id) as string) : str(p.ServiceName);
      if (!name) unresolved(`service name of ${id}`);
      s.target = { kind: 'ecs', cluster: cluster ?? 'default', service: name ?? id };
      asArray(p.LoadBalancers).forEach((lb, i) => {
        const tg = (lb as { TargetGroupArn?: unknown }).TargetGroupArn;
        if (tg !== undefined) s.targetGroups.push(tgOf(tg, `LoadBalancers[${i}]`));
        else if ((lb as { LoadBalancerName?: unknown }).LoadBalancerName !== undefined)
          s.notes.push(`LoadBalancers[${i}] is a classic load balancer: no per-service request count`);
      });
      for (const reg of asArray(p.ServiceRegistries)) {
        const sd = refOf((reg as { RegistryArn?: unknown }).RegistryArn);
        if (sd && typeOf(sd) === SD_SERVICE) s.registries.push(sd);
      }
      const taskDef = refOf(p.TaskDefinition);
      if (!taskDef || typeOf(taskDef) !== 'AWS::ECS::TaskDefinition') {
        s.warnings.push(
          'its task definition is not in this template: the queues, tables and services it uses are not known',
        );
      } else {
        const tp = props(resources[taskDef]);
        for (const c of asArray(tp.ContainerDefinitions)) {
          const cd = c as { Name?: unknown; Environment?: unknown; Secrets?: unknown };
          for (const e of asArray(cd.Environment)) {
            const ev = e as { Name?: unknown; Value?: unknown };
            s.env.push(
              ...usesOf(ev.Value, `${taskDef} ${String(cd.Name ?? '')} env ${String(ev.Name ?? '')}`),
            );
          }
        }
        const role = refOf(tp.TaskRoleArn);
        if (role) roles = [role];
      }
    }
    for (const role of roles) s.statements.push(...(statementsOf.get(role) ?? []));
    scalables.push(s);
  }

  function tgOf(value: unknown, via: string): Scalable['targetGroups'][number] {
    const r = read(value);
    const ref = [...r.refs].find((x) => typeOf(x) === TARGET_GROUP);
    if (ref) return { ref, via };
    return { arn: r.text, via };
  }

  function usesOf(value: unknown, via: string): Use[] {
    const r = read(value);
    return [
      ...[...r.refs].map((id) => ({ id, via, reading: r })),
      ...(r.refs.size === 0 && r.text ? [{ id: '', via, reading: r }] : []),
    ];
  }

  // the scalable resources behind a load balancer, and those registered under a Cloud Map service
  const behindLb = new Map<string, Scalable[]>();
  const behindSd = new Map<string, Scalable[]>();
  for (const s of scalables) {
    for (const tg of s.targetGroups)
      for (const lb of (tg.ref && lbsOfTg.get(tg.ref)) || [])
        behindLb.set(lb, [...(behindLb.get(lb) ?? []), s]);
    for (const sd of s.registries) behindSd.set(sd, [...(behindSd.get(sd) ?? []), s]);
  }

  for (const s of scalables) {
    // queues: consumed (ReceiveMessage), sent to (SendMessage), from the role's statements
    const queueRefs = new Set<string>();
    const tables = new Map<string, string>();
    for (const st of s.statements) {
      for (const ref of st.refs) {
        if (typeOf(ref) === QUEUE) {
          queueRefs.add(ref);
          if (actionMatches(st.actions, 'sqs:ReceiveMessage') && !s.consumes.includes(ref))
            s.consumes.push(ref);
          if (actionMatches(st.actions, 'sqs:SendMessage') && !s.sendsTo.includes(ref)) s.sendsTo.push(ref);
        }
        if (typeOf(ref) === TABLE) tables.set(ref, `IAM statement in ${st.policy}`);
      }
    }
    const envQueues = new Map<string, string>();
    for (const u of s.env) {
      if (typeOf(u.id) === QUEUE) envQueues.set(u.id, u.via);
      if (typeOf(u.id) === TABLE && !tables.has(u.id)) tables.set(u.id, u.via);
      if (u.reading?.imports.length)
        s.warnings.push(
          `${u.via} imports ${u.reading.imports.join(', ')} from another stack: not followed (its stack is another unit)`,
        );
    }
    for (const q of queueRefs)
      s.notes.push(
        `depends on: queue ${q}${pathOf(q)} (${s.consumes.includes(q) ? 'consumes it: ReceiveMessage' : ''}${s.consumes.includes(q) && s.sendsTo.includes(q) ? ', ' : ''}${s.sendsTo.includes(q) ? 'sends to it: SendMessage' : ''}${!s.consumes.includes(q) && !s.sendsTo.includes(q) ? 'other access' : ''}, from its ${s.kind === 'ecs' ? 'task' : 'instance'} role)`,
      );
    for (const [q, via] of envQueues)
      if (!queueRefs.has(q)) s.notes.push(`depends on: queue ${q}${pathOf(q)} (named in ${via})`);
    for (const [t, via] of tables) s.notes.push(`depends on: table ${t}${pathOf(t)} (${via})`);

    // the load metric
    const loads: MetricQuery[] = [];
    for (const tg of s.targetGroups) {
      if (!tg.ref) {
        if (tg.arn?.includes('targetgroup/'))
          s.notes.push(
            `${tg.via}: target group ${arnSuffix(tg.arn, 'targetgroup/')} is not in this template, so its load balancer is unknown: register it by hand for its request count`,
          );
        else s.warnings.push(`${tg.via}: a target group this template does not define or name`);
        continue;
      }
      const lbs = [...(lbsOfTg.get(tg.ref) ?? [])];
      const lb = lbs[0];
      if (!lb) {
        s.warnings.push(
          `${tg.via}: target group ${tg.ref} has no listener in this template forwarding to it, so its load balancer is unknown: no request count`,
        );
        continue;
      }
      const lbType = str(props(resources[lb]).Type) ?? 'application';
      if (lbType !== 'application') {
        s.notes.push(
          `${tg.via}: target group ${tg.ref} is behind a ${lbType} load balancer, which counts no requests: not a load metric`,
        );
        continue;
      }
      const tgArn = known(tg.ref);
      const lbArn = known(lb);
      if (!tgArn?.includes('targetgroup/'))
        s.unresolved.push(`target group ${tg.ref}: its ARN is not known, the logical id stands in for it`);
      if (!lbArn?.includes('loadbalancer/app/'))
        s.unresolved.push(`load balancer ${lb}: its ARN is not known, the logical id stands in for it`);
      const q = requestCountQuery(
        tgArn?.includes('targetgroup/') ? tgArn : `targetgroup/${tg.ref}`,
        lbArn?.includes('loadbalancer/app/') ? lbArn : `app/${lb}`,
        loads.length,
      );
      loads.push(q);
      s.notes.push(
        `${loads.length === 1 ? 'load' : 'also load'}: target group ${tg.ref}${pathOf(tg.ref)} request count on load balancer ${lb} (attached through ${tg.via}), metric key ${q.key}`,
      );
      if (lbs.length > 1)
        s.notes.push(
          `target group ${tg.ref} is behind ${lbs.length} load balancers: ${lb} is the one counted`,
        );
    }
    if (loads.length === 0) {
      // a queue it consumes; else one its environment names when no statement says it only sends to it
      const consumed = s.consumes[0];
      const assumed = consumed ? undefined : [...envQueues.keys()].find((q) => !s.sendsTo.includes(q));
      const queue = consumed ?? assumed;
      if (queue) {
        const name = nameOf(queue, 'QueueName');
        if (!name)
          s.unresolved.push(`queue ${queue}: its name is not known, the logical id stands in for it`);
        loads.push(queueDepthQuery(name ?? queue));
        if (assumed) s.consumes.push(assumed);
        s.notes.push(
          consumed
            ? `load: queue ${queue}${pathOf(queue)} depth (ApproximateNumberOfMessagesVisible): no request count, and its role may receive from the queue${s.consumes.length > 1 ? ` (the first of ${s.consumes.length} it consumes)` : ''}`
            : `load: queue ${queue}${pathOf(queue)} depth (ApproximateNumberOfMessagesVisible): no request count, and its environment names the queue (${envQueues.get(queue)}); no statement in this template says whether it receives, so it is taken as the consumer`,
        );
      } else {
        s.notes.push(
          s.targetGroups.length
            ? 'no request count could be read and it consumes no queue: CPU is the load'
            : `no target group or queue: CPU is the load${s.sendsTo.length ? ' (the queues it sends to are others’ load)' : ''}`,
        );
      }
    }
    if (loads.length === 0) {
      loads.push(cpuLoadQuery(s.target));
      if (s.kind === 'ecs')
        s.warnings.push(
          'CPU as the load of an ECS service is its average over the tasks, which falls as tasks are added: attach a target group or queue for a load that does not',
        );
    }
    s.metrics = [...loads, cpuQuery(s.target)];
    s.twinId =
      s.unresolved.length === 0
        ? s.target.kind === 'asg'
          ? twinIdFor('asg', s.target.autoScalingGroupName)
          : twinIdFor('ecs', `${s.target.cluster}-${s.target.service}`)
        : unitTwinId(unit, s.id);
  }

  // calls between them
  const edges: PlannedEdge[] = [];
  const addEdge = (from: Scalable, to: Scalable, reason: string) => {
    if (from === to) return;
    const seen = edges.find((e) => e.from === from.twinId && e.to === to.twinId);
    if (seen) {
      if (!seen.reason.includes(reason)) seen.reason += `; ${reason}`;
      return;
    }
    edges.push({ from: from.twinId, to: to.twinId, reason });
  };
  for (const s of scalables) {
    for (const u of s.env) {
      if (typeOf(u.id) === LOAD_BALANCER)
        for (const callee of behindLb.get(u.id) ?? [])
          addEdge(s, callee, `${u.via} names load balancer ${u.id}, in front of it`);
      if (typeOf(u.id) === SD_SERVICE)
        for (const callee of behindSd.get(u.id) ?? [])
          addEdge(s, callee, `${u.via} names Cloud Map service ${u.id}, which it registers in`);
      const text = (u.reading?.text ?? u.reading?.pattern ?? '').toLowerCase();
      for (const [sd, dns] of dnsOfSd) {
        if (!new RegExp(`(^|[^a-z0-9.-])${dns.replace(/\./g, '\\.')}($|[^a-z0-9-])`).test(text)) continue;
        for (const callee of behindSd.get(sd) ?? [])
          addEdge(s, callee, `${u.via} names ${dns}, its Cloud Map name`);
      }
    }
    for (const q of s.sendsTo)
      for (const consumer of scalables)
        if (consumer !== s && consumer.consumes.includes(q))
          addEdge(s, consumer, `sends to queue ${q}, which it consumes`);
  }

  for (const s of scalables)
    for (const e of edges.filter((x) => x.from === s.twinId))
      s.notes.push(`calls: ${scalables.find((t) => t.twinId === e.to)?.id} (${e.reason})`);

  const twins: PlannedTwin[] = scalables.map((s) => {
    const dependsOn = edges.filter((e) => e.from === s.twinId).map((e) => ({ to: e.to }));
    const cdkPath = s.resource.Metadata?.['aws:cdk:path'];
    const family = unitFamilyOf({
      cdkPath: typeof cdkPath === 'string' ? cdkPath : undefined,
      logicalId: s.id,
    });
    const twin = twinInputOf(s.twinId, s.target, s.metrics, family);
    return {
      twin: dependsOn.length ? { ...twin, dependsOn } : twin,
      resource: s.id,
      type: s.resource.Type,
      resolved: s.unresolved.length === 0,
      unresolved: s.unresolved,
    };
  });
  for (const s of scalables) {
    const where =
      s.target.kind === 'asg'
        ? `Auto Scaling group ${s.target.autoScalingGroupName}`
        : `ECS service ${s.target.service} in cluster ${s.target.cluster}`;
    findings.push({
      resource: s.id,
      type: s.resource.Type,
      twinId: s.twinId,
      summary: `${where}${pathOf(s.id)}${s.unresolved.length ? ' (names not resolved: not created; give `names` or read the deployed stack)' : ''}`,
      notes: s.notes,
      warnings: [...s.warnings, ...s.unresolved],
    });
  }
  findings.unshift(unitSummary(unit, resources, scalables.length, input.kind));
  return { unit: { kind: input.kind, name: unit }, twins, edges, findings };
}

/** The unit as a whole: how many resources were read, of which types, and why the others are not twins. */
function unitSummary(
  unit: string,
  resources: Record<string, CfnResource>,
  scalable: number,
  kind: 'stack' | 'template',
): UnitFinding {
  const counts = new Map<string, number>();
  for (const r of Object.values(resources)) counts.set(r.Type, (counts.get(r.Type) ?? 0) + 1);
  const asgs = counts.get(ASG) ?? 0;
  const services = counts.get(ECS_SERVICE) ?? 0;
  const others = [...counts]
    .filter(([t]) => t !== ASG && t !== ECS_SERVICE)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const notes = [
    `read ${Object.keys(resources).length} resources: ${asgs} Auto Scaling group${asgs === 1 ? '' : 's'}, ${services} ECS service${services === 1 ? '' : 's'}`,
    ...(others.length
      ? [`not scalable by Twinscale: ${others.map(([t, n]) => `${n} ${t}`).join(', ')}`]
      : []),
    ...Object.entries(SELF_SCALING)
      .filter(([t]) => counts.has(t))
      .map(([t, why]) => `${t}: ${why}`),
  ];
  const warnings: string[] = [];
  if (scalable === 0)
    warnings.push(
      'no scalable resources found: Twinscale twins EC2 Auto Scaling groups (AWS::AutoScaling::AutoScalingGroup) and ECS services (AWS::ECS::Service), and this unit has neither',
    );
  const nested = counts.get('AWS::CloudFormation::Stack') ?? 0;
  if (nested)
    warnings.push(
      `${nested} nested stack${nested === 1 ? '' : 's'} (AWS::CloudFormation::Stack): not followed; read each as a unit of its own`,
    );
  return {
    resource: '*',
    type: kind === 'stack' ? 'AWS::CloudFormation::Stack' : 'template',
    summary: `${kind === 'stack' ? 'stack' : 'template'} ${unit}: ${scalable} scalable resource${scalable === 1 ? '' : 's'}`,
    notes,
    warnings,
  };
}
