import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import {
  MixAnswerSchema,
  MixRefusedError,
  type MixRequest,
  type MixResult,
} from '../../core/act/mixed-instances.js';

/** The actuator failed a mix request (not a refusal: a fault, or an answer it should not give). */
export class ActuatorInvokeError extends Error {
  override readonly name = 'ActuatorInvokeError';
}

/**
 * `applyMix` through the actuator Lambda, for a function that holds no scaling rights (the API):
 * one synchronous invocation with `{ mix: request }`. A refusal (not managed, no mixed-instances
 * policy) comes back as MixRefusedError, for the route to report on its twin.
 */
export function actuatorMix(lambda: LambdaClient, functionName: string) {
  return async (request: MixRequest): Promise<MixResult> => {
    const out = await lambda.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'RequestResponse',
        Payload: new TextEncoder().encode(JSON.stringify({ mix: request })),
      }),
    );
    const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
    if (out.FunctionError) throw new ActuatorInvokeError(`the actuator failed the mix request: ${text}`);
    const answer = MixAnswerSchema.safeParse(text ? JSON.parse(text) : undefined);
    if (!answer.success) throw new ActuatorInvokeError(`the actuator's answer is not a mix answer: ${text}`);
    if ('refused' in answer.data) throw new MixRefusedError(answer.data.refused.message);
    return answer.data.result;
  };
}
