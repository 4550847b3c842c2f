import { z } from 'zod';
import { targetTrackingPolicy } from '../policy/reference.js';
import { replay } from '../simulate/replay.js';
import { TwinIdSchema } from '../twin/twin.js';
import {
  DaysSchema,
  type PolicyOutcome,
  RecordIdSchema,
  RequestedAtSchema,
  type twinDemand,
  twinPolicyAt,
} from './twin-replay.js';

/** The optimize workflow's input: which policy settings would have done best on the twin's recent load. */
export const OptimizeRequestSchema = z.object({
  twinId: TwinIdSchema,
  optimizationId: RecordIdSchema,
  days: DaysSchema.default(3),
  budgetRatio: z
    .number()
    .positive()
    .max(10)
    .default(1)
    .describe('cost allowed, relative to the reactive target-tracking rule on the same days'),
  requestedAt: RequestedAtSchema,
});
export type OptimizeRequest = z.infer<typeof OptimizeRequestSchema>;

/** Settings the search tries: how hard to lean on the forecast, and how full to run the fleet. */
export const CANDIDATE_SETTINGS = [0.5, 0.6, 0.7, 0.8].flatMap((targetUtilization) =>
  [0.75, 0.9, 0.97].map((quantile) => ({ targetUtilization, quantile })),
);

/**
 * The candidate settings replayed on the twin's recent days beside the reactive rule; the best is
 * the one with the fewest breach minutes within the cost budget (the cheapest when none fits).
 * The genetic search over the whole policy space replaces this grid later; the workflow stays.
 */
export function runOptimization(
  input: Awaited<ReturnType<typeof twinDemand>>,
  budgetRatio: number,
  progress: (done: number, total: number) => void = () => {},
): {
  baseline: PolicyOutcome;
  candidates: PolicyOutcome[];
  best: PolicyOutcome;
  budgetInstanceHours: number;
} {
  const { twin } = input;
  const baseline: PolicyOutcome = {
    policy: 'target-tracking',
    scores: replay(targetTrackingPolicy({ target: twin.policy.targetUtilization }), input).scores,
  };
  const candidates = CANDIDATE_SETTINGS.map((settings, i) => {
    const scores = replay(twinPolicyAt(settings.targetUtilization, settings.quantile, twin), input).scores;
    progress(i + 1, CANDIDATE_SETTINGS.length);
    return { policy: 'twin', settings, scores };
  });
  const budget = baseline.scores.instanceHours * budgetRatio;
  const affordable = candidates.filter((c) => c.scores.instanceHours <= budget);
  const best = affordable.length
    ? affordable.reduce((a, b) => (b.scores.breachMinutes < a.scores.breachMinutes ? b : a))
    : candidates.reduce((a, b) => (b.scores.instanceHours < a.scores.instanceHours ? b : a));
  return { baseline, candidates, best, budgetInstanceHours: budget };
}
