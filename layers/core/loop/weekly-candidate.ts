import { MAX_SHADOWS, type Shadow, type ShadowPolicy, type Twin } from '../twin/twin.js';

/** The candidate the weekly search proposes: one per twin, replaced by each week's. */
export const WEEKLY_SHADOW_ID = 'weekly-search';

interface Scores {
  instanceHours: number;
  breachMinutes: number;
}

/** The bar on unseen days: lower cost at no more breach minutes, or fewer breaches at no more cost. */
export function beatsOnValidation(found: Scores, current: Scores): boolean {
  return (
    (found.instanceHours < current.instanceHours && found.breachMinutes <= current.breachMinutes) ||
    (found.breachMinutes < current.breachMinutes && found.instanceHours <= current.instanceHours)
  );
}

/**
 * The twin's candidates with this week's search result in shadow, when it beat the live policy on
 * the days the search did not see: it then runs beside the live policy until someone compares and
 * promotes it. Undefined when there is nothing to propose, or no room (the twin already carries
 * the most candidates, none of them the weekly one: a person's candidates are not displaced).
 */
export function withWeeklyCandidate(
  twin: Twin,
  found: { settings: ShadowPolicy; validation: Scores; currentValidation: Scores },
  at: string,
): Shadow[] | undefined {
  if (!beatsOnValidation(found.validation, found.currentValidation)) return undefined;
  const others = twin.shadows.filter((s) => s.id !== WEEKLY_SHADOW_ID);
  if (others.length >= MAX_SHADOWS) return undefined;
  const v = found.validation;
  const c = found.currentValidation;
  const candidate: Shadow = {
    id: WEEKLY_SHADOW_ID,
    policy: found.settings,
    note:
      `weekly search of ${at}: on the held-out days ${v.instanceHours.toFixed(1)} instance-hours and ` +
      `${v.breachMinutes} breach minutes, against the live policy's ${c.instanceHours.toFixed(1)} and ${c.breachMinutes}`,
    addedAt: at,
    addedBy: 'weekly-optimization',
  };
  return [...others, candidate];
}
