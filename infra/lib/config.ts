import { z } from 'zod';

/**
 * What a deployment may change, from construct props or CDK context (`cdk deploy -c
 * planScheduleMinutes=10`). Checked when the app is built, so a bad value stops `cdk synth`
 * with the field's name instead of deploying something odd.
 */
export const TwinscaleConfigSchema = z.object({
  collectScheduleMinutes: z.coerce.number().int().min(1).max(60).default(5).describe('collector cadence'),
  planScheduleMinutes: z.coerce
    .number()
    .int()
    .min(1)
    .max(60)
    .default(5)
    .describe('forecast-and-plan cadence'),
  utilizationEveryMinutes: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(60)
    .describe(
      'how often the collector reads utilization (CPU): it teaches the capacity model, and every read is billed',
    ),
  weeklyOptimization: z
    .union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')])
    .default(true)
    .describe('search every twin’s policy each Sunday at 03:00 UTC (true or false; -c gives a string)'),
  remediateEveryMinutes: z.coerce
    .number()
    .int()
    .refine((n) => n === 0 || (n >= 15 && n <= 24 * 60), {
      message: 'remediateEveryMinutes: 0 (off) or 15 to 1440',
    })
    .default(60)
    .describe(
      'how often the remediate workflow evaluates every twin’s policies and asks a person to approve each new violation’s remediation (0 turns the schedule off; POST /remediations still runs it)',
    ),
  retentionDays: z.coerce.number().int().min(30).max(3650).default(35).describe('samples and records kept'),
  logRetentionDays: z.coerce
    .number()
    .int()
    .refine((d) => [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365].includes(d), {
      message: 'logRetentionDays: one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365',
    })
    .default(30),
  defaultMode: z.enum(['forecast-only', 'forecast-and-scale']).default('forecast-only'),
  managedTagKey: z
    .string()
    .regex(/^[A-Za-z0-9_.:/=+@-]{1,128}$/, 'managedTagKey: a tag key (letters, digits, _ . : / = + @ -)')
    .default('twinscale:managed'),
  alarmEmail: z.email().optional(),
  actuatorReservedConcurrency: z.coerce
    .number()
    .int()
    .min(0)
    .max(1000)
    .default(5)
    .describe(
      'caps concurrent actuator invocations, and so the rate of scaling calls Twinscale can make; 0 reserves none (accounts whose concurrency limit is 10 need 0)',
    ),
  apiRateLimit: z.coerce
    .number()
    .positive()
    .max(10_000)
    .default(20)
    .describe('API Gateway steady-state requests per second, across callers'),
  apiBurstLimit: z.coerce.number().int().positive().max(5_000).default(40).describe('API Gateway burst'),
  tenantTagKey: z
    .string()
    .regex(/^[A-Za-z0-9_.:/=+@-]{1,128}$/, 'tenantTagKey: a tag key (letters, digits, _ . : / = + @ -)')
    .default('twinscale:tenant')
    .describe('the tag whose value groups twins into tenants (GET /groups, capacity plans)'),
  capacityPlanApply: z
    .union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')])
    .default(false)
    .describe(
      'let POST /groups/{tenant}/capacity-plan/apply set mixed-instances weights through the actuator (true or false): it grants the actuator UpdateAutoScalingGroup on managed groups and launching from their templates',
    ),
  discovery: z
    .union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')])
    .default(true)
    .describe('register tagged groups and services as twins (true or false; -c gives a string)'),
});
export type TwinscaleConfig = z.infer<typeof TwinscaleConfigSchema>;
export type TwinscaleProps = z.input<typeof TwinscaleConfigSchema>;
