import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parseEvent } from '../../functions/shared/parse-input.js';
import { idempotentActuate } from '../../layers/aws/idempotent-actuate.js';
import { isTransient } from '../../layers/aws/retry.js';
import type { ScalingTarget } from '../../layers/core/act/scaling-target.js';
import { actuateBatch } from '../../layers/core/loop/actuate-batch.js';
import {
  ActuateEventSchema,
  ListDueEventSchema,
  PlanBatchEventSchema,
  RecordFailureEventSchema,
  scheduledTime,
} from '../../layers/core/loop/events.js';
import { listDueTwins } from '../../layers/core/loop/list-due.js';
import { planBatch } from '../../layers/core/loop/plan-batch.js';
import { recordBatchFailure } from '../../layers/core/loop/record-batch-failure.js';
import type { TwinStore } from '../../layers/core/store/twin-store.js';
import type { AlertPublisher } from '../../layers/core/twin/drift-watch.js';
import { localLambdaContext, type TaskFunction } from './local-state-machine.js';

export interface LocalLoopPorts {
  store: TwinStore;
  dynamo: DynamoDBClient;
  tableName: string;
  target: ScalingTarget;
  scheduleMinutes: number;
  /** Where drift alerts go; by default a line on stderr (EventBridge and SNS in AWS). */
  alerts?: AlertPublisher;
}

/** Drift alerts locally: one JSON line on stderr, where the runtime's other messages go. */
export const loggedAlerts: AlertPublisher = {
  async publish(alert) {
    process.stderr.write(`${JSON.stringify({ alert: 'drift', ...alert })}\n`);
  },
};

/**
 * The forecast-and-plan tasks bound to the same core functions the Lambda handlers call, with
 * local ports (simulated targets instead of EC2 and ECS): what the local runtime and the loop
 * benchmark run the state machine file with.
 */
export function localLoopTasks(p: LocalLoopPorts): Record<string, TaskFunction> {
  const actuator = idempotentActuate(p.dynamo, p.tableName, {
    target: p.target,
    controls: () => p.store.getControls(),
  });
  const loop = {
    store: p.store,
    target: p.target,
    isTransient,
    scheduleMinutes: p.scheduleMinutes,
    alerts: p.alerts ?? loggedAlerts,
  };
  return {
    ListDueTwinsFunctionArn: async (e) =>
      listDueTwins(
        p.store,
        scheduledTime(parseEvent(ListDueEventSchema, e ?? {})) ?? Date.now(),
        p.scheduleMinutes,
      ),
    PlanBatchFunctionArn: async (e) => planBatch(loop, parseEvent(PlanBatchEventSchema, e)),
    ActuatorFunctionArn: async (e) => {
      actuator.registerLambdaContext(localLambdaContext('actuator'));
      return actuateBatch(
        { store: p.store, act: actuator.act, isTransient },
        parseEvent(ActuateEventSchema, e).actuations,
      );
    },
    RecordFailureFunctionArn: async (e) =>
      recordBatchFailure(p.store, parseEvent(RecordFailureEventSchema, e), p.scheduleMinutes),
  };
}
