import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ScalingTarget, ScalingTargetRef, TargetState } from '../../layers/core/act/scaling-target.js';
import type { MetricRequest, MetricResult, MetricSource } from '../../layers/core/collect/metric-source.js';

/**
 * Fault injection for the fault suite (test/integration/faults): wrappers around the ports and
 * a middleware on the DynamoDB client, so the real store, collector, loop and Powertools code
 * paths meet the errors AWS gives them.
 *
 * - `throttle`: ProvisionedThroughputExceededException (DynamoDB) or ThrottlingException (others), HTTP 400
 * - `timeout`: TimeoutError, what the SDK raises when a socket times out
 * - `server-error`: InternalServerError with HTTP 500
 * - `lost-ack`: the call is carried out, then a TimeoutError: a crash between a write and its
 *   acknowledgement (the caller cannot tell it from `timeout`, the world can)
 */
export type FaultKind = 'throttle' | 'timeout' | 'server-error' | 'lost-ack';

/** The error AWS would give for a fault (`lost-ack` throws a timeout after acting). */
export function faultError(kind: FaultKind, service: 'dynamodb' | 'other' = 'other'): Error {
  switch (kind) {
    case 'throttle':
      return service === 'dynamodb'
        ? awsError(
            'ProvisionedThroughputExceededException',
            'The level of configured provisioned throughput for the table was exceeded',
            400,
          )
        : awsError('ThrottlingException', 'Rate exceeded', 400);
    case 'server-error':
      return awsError('InternalServerError', 'Internal server error (injected)', 500);
    default:
      // the SDK's socket timeout carries no HTTP status: the request never got an answer
      return Object.assign(new Error('Connection timed out after 1000 ms (injected)'), {
        name: 'TimeoutError',
        $metadata: {},
      });
  }
}

const awsError = (name: string, message: string, httpStatusCode: number) =>
  Object.assign(new Error(message), {
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode },
  });

/**
 * Counts faults per kind: each injected one is pending until the scenario that injected it has
 * passed its assertions (`survived()`), then it counts as survived. `write` leaves the totals in
 * `$TMPDIR/twinscale-faults/<suite>.json` for the reliability note, and prints nothing.
 */
export class FaultLedger {
  private readonly injectedByKind = new Map<string, number>();
  private readonly survivedByKind = new Map<string, number>();
  private pending: string[] = [];

  injected(kind: string): void {
    this.injectedByKind.set(kind, (this.injectedByKind.get(kind) ?? 0) + 1);
    this.pending.push(kind);
  }

  /** The current scenario's assertions passed: its faults were survived. Returns how many. */
  survived(): number {
    for (const k of this.pending) this.survivedByKind.set(k, (this.survivedByKind.get(k) ?? 0) + 1);
    const n = this.pending.length;
    this.pending = [];
    return n;
  }

  totals(): Record<string, { injected: number; survived: number }> {
    return Object.fromEntries(
      [...this.injectedByKind].map(([k, n]) => [
        k,
        { injected: n, survived: this.survivedByKind.get(k) ?? 0 },
      ]),
    );
  }

  write(suite: string): void {
    const dir = join(tmpdir(), 'twinscale-faults');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${suite}.json`), `${JSON.stringify(this.totals(), null, 2)}\n`);
  }
}

/** Which of the matching calls fail: by position (1-based), at most `times`, or every one. */
interface Schedule {
  /** The matching calls that fail, 1-based (`[3]`: the third); absent: every one, up to `times`. */
  calls?: number[];
  times?: number;
  /** Runs when the fault fires (after the call, for `lost-ack`), before the error is thrown: the world changing meanwhile. */
  onFault?: () => void | Promise<void>;
}

class Scheduled<F extends Schedule> {
  seen = 0;
  fired = 0;
  constructor(readonly fault: F) {}
  /** Counts a matching call; true when this one fails. */
  hit(): boolean {
    this.seen++;
    const { calls, times } = this.fault;
    if (calls && !calls.includes(this.seen)) return false;
    if (times !== undefined && this.fired >= times) return false;
    this.fired++;
    return true;
  }
}

export interface DynamoFault extends Schedule {
  /** The operation: PutItem, UpdateItem, DeleteItem, GetItem, Query, BatchWriteItem… */
  op: string;
  kind: FaultKind;
  table?: string;
  /** Only calls on items whose key matches (pk and sk as strings). */
  key?: (pk: string, sk: string) => boolean;
}

export interface FaultHandle {
  /** Faults fired so far, all rules together. */
  fired(): number;
  remove(): void;
}

/**
 * Injects faults into a DynamoDB client through its middleware stack, so the real
 * DynamoTwinStore and Powertools persistence code run against them. `layer: 'call'` (default)
 * fails the call as its caller sees it, after the SDK's own retries; `'attempt'` fails one HTTP
 * attempt, below the SDK's retry middleware, which then retries it as it would in AWS.
 */
export function injectDynamoFaults(
  client: DynamoDBClient,
  faults: DynamoFault[],
  ledger: FaultLedger,
  { layer = 'call' }: { layer?: 'call' | 'attempt' } = {},
): FaultHandle {
  const rules = faults.map((f) => new Scheduled(f));
  const name = `fault-injection-${crypto.randomUUID()}`;
  const middleware =
    // biome-ignore lint/suspicious/noExplicitAny: the stack's generic handler types
    (next: any, context: { commandName?: string }) => async (args: { input: Record<string, any> }) => {
      const op = (context.commandName ?? '').replace(/Command$/, '');
      const input = args.input;
      const item = input.Key ?? input.Item;
      const rule = rules.find(
        (r) =>
          r.fault.op === op &&
          (!r.fault.table || r.fault.table === input.TableName) &&
          (!r.fault.key || (item && r.fault.key(str(item.pk), str(item.sk)))) &&
          r.hit(),
      );
      if (!rule) return next(args);
      ledger.injected(rule.fault.kind);
      if (rule.fault.kind === 'lost-ack') await next(args);
      await rule.fault.onFault?.();
      throw faultError(rule.fault.kind, 'dynamodb');
    };
  if (layer === 'call')
    client.middlewareStack.add(middleware, { step: 'initialize', name, priority: 'high' });
  else
    client.middlewareStack.addRelativeTo(middleware, {
      relation: 'after',
      toMiddleware: 'retryMiddleware',
      name,
    });
  return {
    fired: () => rules.reduce((n, r) => n + r.fired, 0),
    remove: () => void client.middlewareStack.remove(name),
  };
}

// biome-ignore lint/suspicious/noExplicitAny: a key attribute, marshalled ({S}) or not
const str = (v: any): string => (typeof v === 'string' ? v : (v?.S ?? ''));

/** A client of its own on the same endpoint, so a test's faults touch nothing else. */
export const dynamoClientFor = (endpoint: string): DynamoDBClient =>
  new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler: { httpAgent: { keepAlive: true, maxSockets: 256 } },
  });

export interface TargetFault extends Schedule {
  op: 'describe' | 'setCapacity';
  kind: FaultKind;
  /** Only this target (an Auto Scaling group's name, an ECS service's name). */
  name?: string;
}

const nameOf = (ref: ScalingTargetRef) => (ref.kind === 'asg' ? ref.autoScalingGroupName : ref.service);

/** A ScalingTarget that fails on schedule, counting every call and every change carried out. */
export class FaultyTarget implements ScalingTarget {
  readonly calls = { describe: 0, setCapacity: 0 };
  /** Capacity changes carried out (a `lost-ack` one included), in order. */
  readonly changes: { name: string; capacity: number }[] = [];
  private readonly rules: Scheduled<TargetFault>[];

  constructor(
    private readonly inner: ScalingTarget,
    faults: TargetFault[],
    private readonly ledger: FaultLedger,
  ) {
    this.rules = faults.map((f) => new Scheduled(f));
  }

  async describe(ref: ScalingTargetRef): Promise<TargetState> {
    this.calls.describe++;
    return this.call('describe', ref, () => this.inner.describe(ref));
  }

  async setCapacity(ref: ScalingTargetRef, capacity: number): Promise<void> {
    this.calls.setCapacity++;
    return this.call('setCapacity', ref, async () => {
      await this.inner.setCapacity(ref, capacity);
      this.changes.push({ name: nameOf(ref), capacity });
    });
  }

  /** Changes carried out on one target. */
  changesOf(name: string): number[] {
    return this.changes.filter((c) => c.name === name).map((c) => c.capacity);
  }

  private async call<T>(op: TargetFault['op'], ref: ScalingTargetRef, run: () => Promise<T>): Promise<T> {
    const rule = this.rules.find(
      (r) => r.fault.op === op && (!r.fault.name || r.fault.name === nameOf(ref)) && r.hit(),
    );
    if (!rule) return run();
    this.ledger.injected(rule.fault.kind);
    if (rule.fault.kind === 'lost-ack') await run();
    await rule.fault.onFault?.();
    throw faultError(rule.fault.kind);
  }
}

export type SourceFault = Schedule & { ids?: (id: string) => boolean } & (
    | {
        /** Matching requests come back failed, as CloudWatchMetricSource answers once its backoff gives up. */
        kind: 'throttle' | 'timeout' | 'server-error';
      }
    | {
        /** Matching requests miss their newest minutes: datapoints CloudWatch has not aggregated yet. */
        kind: 'partial';
        lateMinutes: number;
      }
  );

/** A MetricSource that answers some reads failed or partial, keeping the port's contract (never throws). */
export class FaultySource implements MetricSource {
  private readonly rules: Scheduled<SourceFault>[];
  reads = 0;

  constructor(
    private readonly inner: MetricSource,
    faults: SourceFault[],
    private readonly ledger: FaultLedger,
  ) {
    this.rules = faults.map((f) => new Scheduled(f));
  }

  async read(requests: readonly MetricRequest[], from: number, to: number): Promise<MetricResult[]> {
    this.reads++;
    const results = await this.inner.read(requests, from, to);
    return results.map((r) => {
      const rule = this.rules.find((x) => (!x.fault.ids || x.fault.ids(r.id)) && x.hit());
      if (!rule) return r;
      const f = rule.fault;
      this.ledger.injected(f.kind === 'partial' ? 'partial-data' : f.kind);
      if (f.kind === 'partial')
        return { ...r, samples: r.samples.filter((s) => s.t < to - f.lateMinutes * 60_000) };
      const e = faultError(f.kind);
      return { id: r.id, samples: [], error: `${e.name}: ${e.message}` };
    });
  }
}
