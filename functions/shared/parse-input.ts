import { z } from 'zod';

/** A Lambda whose environment does not match its schema: the message names the variable. */
export class EnvironmentError extends Error {
  override readonly name = 'EnvironmentError';
}

/** The function's environment parsed with its schema, or an EnvironmentError naming each variable. */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const r = schema.safeParse(env);
  if (!r.success) throw new EnvironmentError(`environment: ${z.prettifyError(r.error)}`);
  return r.data;
}

/** A workflow input that does not match its schema: the message names each field and what it accepts. */
export class InvalidInputError extends Error {
  override readonly name = 'InvalidInputError';
}

/** The event parsed with its schema, or an InvalidInputError the caller can read (not a stack of zod internals). */
export function parseEvent<S extends z.ZodType>(schema: S, event: unknown): z.infer<S> {
  const r = schema.safeParse(event);
  if (!r.success) throw new InvalidInputError(z.prettifyError(r.error));
  return r.data;
}

/** A what-if workflow's task input: the execution's input (the request) and the execution itself. */
export const workflowEvent = <S extends z.ZodType>(request: S) =>
  z.object({
    request,
    /** The name is the result record's default id; the start time is the simulation's "now". */
    execution: z.object({ name: z.string().min(1), startTime: z.iso.datetime({ offset: true }) }),
  });
