import { z } from 'zod';
import { instancesFor } from '../simulate/physics.js';
import { DemandOutlook } from './demand-outlook.js';
import { applyGuardrails } from './guardrails.js';
import { type OperatingPoint, type ShadowChoice, ShadowFleets } from './shadow-fleets.js';
import type { Decision, PolicyView, ScalingPolicy } from './types.js';

export const AutoTuneSchema = z.object({
  enabled: z.boolean().default(true),
  halfLifeHours: z
    .number()
    .min(1)
    .max(24 * 14)
    .default(24)
    .describe('how fast the shadow fleets forget: a minute this old counts half'),
  costHalfLifeHours: z
    .number()
    .min(1)
    .max(24 * 14)
    .default(48)
    .describe('how fast the shadow fleets forget cost: the budget holds over days, not hours'),
  nearUtilization: z
    .number()
    .gt(0)
    .max(1)
    .default(0.75)
    .describe('a shadow minute above this utilization is a near breach, what the choice ranks by'),
  breachTolerance: z
    .number()
    .min(0)
    .max(10)
    .default(0.25)
    .describe('points within this share of the fewest breach minutes are ranked by near breaches'),
  recentHours: z
    .number()
    .min(1)
    .max(24 * 7)
    .default(48)
    .describe('window of the recent-cost guard'),
  recentSlack: z
    .number()
    .min(1)
    .max(10)
    .default(1.15)
    .describe('cost allowed over the recent window, relative to the budget'),
  everyMinutes: z.number().int().min(1).default(60).describe('how often the operating point is chosen again'),
  budgetRatio: z
    .number()
    .positive()
    .max(10)
    .default(1)
    .describe('cost allowed, relative to the reactive baseline on the same replayed days'),
  baselineTargetUtilization: z
    .number()
    .gt(0)
    .max(1)
    .default(0.6)
    .describe('target of the reactive target-tracking rule Twinscale replaces'),
});

export const TwinPolicySettingsSchema = z.object({
  targetUtilization: z
    .number()
    .gt(0)
    .max(1)
    .default(0.8)
    .describe('utilization the plan provisions for at the forecast quantile (before tuning)'),
  quantile: z
    .number()
    .min(0.5)
    .max(0.995)
    .default(0.9)
    .describe('forecast quantile of demand the plan covers (before tuning)'),
  reactiveUtilization: z.number().gt(0).max(1).optional(),
  spare: z.number().int().min(0).max(100).default(0).describe('instances added to the plan (before tuning)'),
  headroom: z
    .number()
    .min(0)
    .max(2)
    .default(0)
    .describe('extra share of the forecast peak planned for (0.2: 120 % of it), as the live planner does'),
  stabilizationMinutes: z
    .number()
    .int()
    .min(0)
    .max(24 * 60)
    .default(10)
    .describe('scale in only after the ask stayed lower for this long'),
  maxStep: z.number().int().positive().default(400).describe('most instances added or removed per decision'),
  minInstances: z.number().int().min(0).optional().describe('default: the fleet’s lower bound'),
  maxInstances: z.number().int().positive().optional().describe('default: the fleet’s upper bound'),
  slotMinutes: z
    .number()
    .int()
    .min(1)
    .max(60)
    .default(5)
    .describe('the planning resolution: demand is forecast as the peak minute of each slot'),
  autoTune: AutoTuneSchema.default(AutoTuneSchema.parse({})),
});
export type TwinPolicySettings = z.infer<typeof TwinPolicySettingsSchema>;
export type TwinPolicyInput = z.input<typeof TwinPolicySettingsSchema>;

/**
 * The planning rule at one operating point: each minute, the capacity that the forecast quantile
 * of peak demand needs over the minutes this decision governs (from now, since removals act at
 * once, to when instances launched at the next decision come into service), at the target
 * utilization; then the guardrails. A point without a quantile plans on observed demand alone.
 */
export class Planner {
  private readonly asks: number[] = [];

  constructor(
    private readonly s: TwinPolicySettings,
    public point: OperatingPoint,
  ) {}

  decide(v: PolicyView, outlook: DemandOutlook): Decision {
    const { physics, capacityPerInstance: k, minute: t, observed } = v;
    const u = this.point.targetUtilization;
    const reach = physics.warmupMinutes + 1;
    if (observed.length === 0) return { desired: v.previousDesired ?? physics.minInstances };
    const last = observed[observed.length - 1];
    const reactiveFloor = instancesFor(last, k, this.point.reactiveUtilization ?? u);
    const q = this.point.quantile;
    const forecastPeak =
      q === null ? Number.NaN : outlook.peak(outlook.originFor(observed.length), t, t + reach, q);
    const spare = this.point.spare ?? 0;
    const planned =
      (Number.isNaN(forecastPeak)
        ? reactiveFloor
        : instancesFor(forecastPeak * (1 + this.s.headroom), k, u)) + spare;
    let recentAsk = 0;
    for (const a of this.asks) recentAsk = Math.max(recentAsk, a);
    this.asks.push(Math.max(planned, reactiveFloor));
    // a while, not an if: after a switch to a shorter window, the older asks must go at once
    const window = this.point.stabilizationMinutes ?? this.s.stabilizationMinutes;
    while (this.asks.length > window) this.asks.shift();
    const { desired, boundBy } = applyGuardrails({
      planned,
      reactiveFloor,
      recentAsk,
      previous: v.previousDesired,
      maxStep: this.s.maxStep,
      minInstances: this.s.minInstances ?? physics.minInstances,
      maxInstances: this.s.maxInstances ?? physics.maxInstances,
    });
    return {
      desired,
      reason: {
        boundBy,
        planned,
        forecastPeak,
        quantile: q ?? undefined,
        targetUtilization: u,
        window: [0, reach],
        reactiveFloor,
        lastObservedDemand: last,
        model: q === null ? 'reactive' : outlook.model,
      },
    };
  }
}

/**
 * A demand outlook shared by twin policies replayed on the same demand from the same first
 * minute, as a policy search scoring many settings does: the forecasts depend on the demand alone,
 * not on the settings (a quantile is read off the forecast band at decision time), so the first
 * replay makes them and the others read them. Start each share empty (`{}`).
 */
export interface OutlookShare {
  outlook?: DemandOutlook;
  /** What the outlook was made for: the demand array, the first decision's minute, its shape. */
  madeFor?: { demand: ArrayBufferLike; offset: number; minute: number; shape: string };
}

/**
 * The `twin` policy: the planner above, at the operating point (target utilization, quantile)
 * that does best on the twin's shadow fleets: the fewest recent breach minutes within the cost
 * budget of the reactive rule it replaces. Shadows start from the last few half-lives of
 * history, with the forecasts the twin would have made then.
 */
export function twinPolicy(
  settings: TwinPolicyInput = {},
  share?: OutlookShare,
): ScalingPolicy & { choice: () => ShadowChoice | undefined } {
  const s = TwinPolicySettingsSchema.parse(settings);
  const planner = new Planner(s, {
    targetUtilization: s.targetUtilization,
    quantile: s.quantile,
    spare: s.spare,
    reactiveUtilization: s.reactiveUtilization,
    stabilizationMinutes: s.stabilizationMinutes,
  });
  const tune = s.autoTune;
  let outlook: DemandOutlook | undefined;
  let shadows: ShadowFleets | undefined;
  let choice: ShadowChoice | undefined;
  let chosenAt = Number.NEGATIVE_INFINITY;
  return {
    name: 'twin',
    choice: () => choice,
    decide(v) {
      if (!outlook) {
        const reach = v.physics.observationLagMinutes + v.physics.warmupMinutes + 1;
        const history = tune.enabled ? Math.min(v.observed.length, 3 * tune.halfLifeHours * 60) : 0;
        const horizon = Math.ceil(reach / s.slotMinutes) + 1;
        const backfill = Math.ceil(history / s.slotMinutes) + 1;
        outlook = shared(share, v, `${s.slotMinutes}/${horizon}/${backfill}`, () => {
          return new DemandOutlook(s.slotMinutes, horizon, backfill);
        });
        if (tune.enabled) {
          const o = outlook;
          shadows = new ShadowFleets(
            {
              // a shadow's first decision must see a minute
              start: Math.max(v.physics.observationLagMinutes, v.observed.length - history),
              capacityPerInstance: v.capacityPerInstance,
              physics: v.physics,
              halfLifeMinutes: tune.halfLifeHours * 60,
              costHalfLifeMinutes: tune.costHalfLifeHours * 60,
              nearUtilization: tune.nearUtilization,
              recentMinutes: Math.round(tune.recentHours * 60),
              baselineTargetUtilization: tune.baselineTargetUtilization,
            },
            (point) => {
              const p = new Planner(s, point);
              return { name: 'shadow', decide: (view) => p.decide(view, o) };
            },
          );
        }
      }
      outlook.observe(v.observed);
      if (shadows) {
        shadows.advance(v.observed);
        if (v.minute - chosenAt >= tune.everyMinutes && v.observed.length >= 720) {
          choice = shadows.choose(tune.budgetRatio, tune.recentSlack, tune.breachTolerance);
          planner.point = choice.chosen;
          chosenAt = v.minute;
        }
      }
      return planner.decide(v, outlook);
    },
  };
}

/** The share's outlook when it was made for this replay, else a new one (kept in the share). */
function shared(
  share: OutlookShare | undefined,
  v: PolicyView,
  shape: string,
  make: () => DemandOutlook,
): DemandOutlook {
  if (!share) return make();
  const madeFor = { demand: v.observed.buffer, offset: v.observed.byteOffset, minute: v.minute, shape };
  if (!share.outlook) {
    share.outlook = make();
    share.madeFor = madeFor;
  } else {
    const m = share.madeFor;
    if (
      !m ||
      m.demand !== madeFor.demand ||
      m.offset !== madeFor.offset ||
      m.minute !== madeFor.minute ||
      m.shape !== shape
    )
      throw new RangeError(
        `a shared demand outlook serves replays of one demand from one minute with one slot and horizon: it was made for minute ${m?.minute} (${m?.shape}), not ${v.minute} (${shape}); give this replay a share of its own`,
      );
  }
  return share.outlook;
}
