import { z } from 'zod';
import { TwinIdSchema } from '../twin/twin.js';

/** Path parameters of every `/twins/{id}…` route. */
export const TwinParamsSchema = z.object({ id: TwinIdSchema });

export const PageQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(50).describe('items per page (1–100)'),
    cursor: z.string().min(1).optional().describe('the cursor of the previous page'),
  })
  .strict();

/** A page of items; `cursor` is there when more follow. */
export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), cursor: z.string().optional() });

const TIME_HELP = 'a time: ISO 8601 (2026-11-23T10:00:00Z) or milliseconds since 1970';

/** 9999-12-31T23:59:59.999Z: the last time ISO 8601's four-digit years write. */
const LAST_TIME = 253_402_300_799_999;

/**
 * A time in a query string, as ISO 8601 or epoch milliseconds; parsed to milliseconds. From 1970
 * to the year 9999: past that a range's ends are no Date's (20 digits of ms would be a 500).
 */
export const QueryTimeSchema = z
  .string()
  .describe(TIME_HELP)
  .transform((v, ctx) => {
    const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
    if (Number.isFinite(t) && t >= 0 && t <= LAST_TIME) return t;
    ctx.addIssue({
      code: 'custom',
      message: `${TIME_HELP}, from 1970 to the year 9999, got "${v.slice(0, 40)}"`,
    });
    return z.NEVER;
  });

/** `from` and `to` of a time range in a query string; check them with `checkRange`. */
export const RangeShape = { from: QueryTimeSchema.optional(), to: QueryTimeSchema.optional() };

/** `to` after `from`, and at most `maxDays` between them. */
export const checkRange =
  (maxDays: number) =>
  (q: { from?: number; to?: number }, ctx: z.RefinementCtx): void => {
    if (q.from === undefined || q.to === undefined) return;
    if (q.to <= q.from) ctx.addIssue({ code: 'custom', message: 'to must be after from', path: ['to'] });
    else if (q.to - q.from > maxDays * 86_400_000)
      ctx.addIssue({
        code: 'custom',
        message: `at most ${maxDays} days per request: ask for a shorter range and page by moving from and to`,
        path: ['from'],
      });
  };

/** A range with its defaults filled in: the last `defaultDays` before `now`. */
export function resolveRange(q: { from?: number; to?: number }, now: number, defaultDays: number) {
  const span = defaultDays * 86_400_000;
  const to = q.to ?? (q.from !== undefined ? q.from + span : now);
  const from = q.from ?? to - span;
  return { from, to };
}
