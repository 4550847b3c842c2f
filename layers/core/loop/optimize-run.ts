import { z } from 'zod';
import { type PolicySearchResult, type PolicySettings, searchPolicy } from '../policy/policy-search.js';
import { DAY_MS, MINUTE_MS } from '../series/grid.js';
import { TwinIdSchema } from '../twin/twin.js';
import { DaysSchema, RecordIdSchema, RequestedAtSchema, type twinDemand } from './twin-replay.js';

const DAY_MINUTES = DAY_MS / MINUTE_MS;

/**
 * The optimize workflow's input: a genetic search for the cheapest settings of the twin's policy
 * that breach no more than a budget on its recent days, checked on the days after them.
 */
export const OptimizeRequestSchema = z.object({
  twinId: TwinIdSchema,
  optimizationId: RecordIdSchema,
  trainDays: DaysSchema.default(3).describe('days the search scores candidates on'),
  validationDays: z
    .number()
    .int()
    .min(1)
    .max(7)
    .default(1)
    .describe('the latest days, after the train days: the winner is checked on them, unseen by the search'),
  breachBudgetMinutes: z
    .number()
    .min(0)
    .optional()
    .describe("breach minutes allowed on the train days (default: the twin's current policy's there)"),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1)
    .default(1)
    .describe('the same seed on the same load gives the same result'),
  population: z.number().int().min(4).max(100).default(24).describe('candidates per generation'),
  generations: z
    .number()
    .int()
    .min(0)
    .max(100)
    .default(20)
    .describe('generations bred at most (the search stops after 8 without a better candidate)'),
  requestedAt: RequestedAtSchema,
});
export type OptimizeRequest = z.infer<typeof OptimizeRequestSchema>;

/** Replayed demand of `learning + trainDays + validationDays` days, read once (`twinDemand`). */
export type OptimizeInput = Awaited<ReturnType<typeof twinDemand>>;

export type OptimizationResult = PolicySearchResult & {
  /** The windows replayed: train from `trainFrom`, validation from `validationFrom` to `to` (ISO). */
  windows: {
    trainDays: number;
    validationDays: number;
    trainFrom: string;
    validationFrom: string;
    to: string;
  };
  population: number;
};

/** The twin's policy settings the search tunes, as the twin has them now. */
export const currentSettings = (p: OptimizeInput['twin']['policy']): PolicySettings => ({
  quantile: p.quantile,
  targetUtilization: p.targetUtilization,
  headroom: p.headroom,
  stabilizationMinutes: p.stabilizationMinutes,
  maxStep: p.maxStep,
});

/**
 * The genetic policy search on the twin's demand: `input` holds a week of history then the train
 * days then the validation days (read with `days` = trainDays + validationDays). The train window
 * is replayed with the week before it; the validation window with everything before it.
 */
export function runOptimization(
  input: OptimizeInput,
  request: Pick<
    OptimizeRequest,
    'trainDays' | 'validationDays' | 'breachBudgetMinutes' | 'seed' | 'population' | 'generations'
  >,
  progress?: (generation: number, generations: number) => void,
): OptimizationResult {
  const { demand, start, twin } = input;
  // twinDemand starts the replay at most `days` before the end, later when the history is shorter
  const validationStart = demand.length - request.validationDays * DAY_MINUTES;
  if (validationStart <= start)
    throw new RangeError(
      `the twin's load covers ${((demand.length - start) / DAY_MINUTES).toFixed(1)} day(s), not the ${request.trainDays + request.validationDays} asked for: ask for fewer trainDays or validationDays`,
    );
  const result = searchPolicy({
    train: { demand: demand.subarray(0, validationStart), start },
    validation: { demand, start: validationStart },
    capacityPerInstance: input.capacityPerInstance,
    physics: input.physics,
    current: currentSettings(twin.policy),
    breachBudgetMinutes: request.breachBudgetMinutes,
    seed: request.seed,
    population: request.population,
    generations: request.generations,
    progress,
  });
  const at = (minute: number) => new Date(input.startTime + (minute - start) * MINUTE_MS).toISOString();
  return {
    ...result,
    windows: {
      trainDays: (validationStart - start) / DAY_MINUTES,
      validationDays: request.validationDays,
      trainFrom: at(start),
      validationFrom: at(validationStart),
      to: at(demand.length),
    },
    population: request.population,
  };
}

/** Days the optimize workflow reads after the learning week. */
export const optimizeDays = (r: Pick<OptimizeRequest, 'trainDays' | 'validationDays'>): number =>
  r.trainDays + r.validationDays;
