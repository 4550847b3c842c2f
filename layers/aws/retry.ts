/** Error names AWS services use when asking callers to slow down. */
const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'ProvisionedThroughputExceededException',
  'RequestThrottled',
  'SlowDown',
]);

export const isThrottling = (e: unknown): boolean => {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return THROTTLING.has(err?.name ?? '') || err?.$metadata?.httpStatusCode === 429;
};

const TRANSIENT = new Set([
  // Powertools idempotency: the same decision is being carried out by another invocation right now
  'IdempotencyAlreadyInProgressError',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalServerError',
  'InternalFailure',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
]);

/** Worth retrying as a whole later (a Step Functions Retry): throttling, timeouts, 5xx, dropped connections. */
export const isTransient = (e: unknown): boolean => {
  const err = e as { name?: string; code?: string; cause?: unknown; $metadata?: { httpStatusCode?: number } };
  // Powertools idempotency wraps its store's errors: a throttled or timed-out write there is as
  // worth a retry as anywhere else (before acting, the retry acts; after, it meets the record)
  if (err?.name === 'IdempotencyPersistenceLayerError') return isTransient(err.cause);
  const status = err?.$metadata?.httpStatusCode ?? 0;
  return isThrottling(e) || TRANSIENT.has(err?.name ?? '') || TRANSIENT.has(err?.code ?? '') || status >= 500;
};

export interface BackoffOptions {
  attempts?: number;
  baseMs?: number;
  capMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Called before each wait, for logs. */
  onRetry?: (attempt: number, waitMs: number, error: unknown) => void;
}

/**
 * Calls `fn`, retrying throttling errors with exponential backoff and full jitter (a random
 * wait up to base × 2^attempt, capped), so many callers throttled together spread out.
 */
export async function withBackoff<T>(fn: () => Promise<T>, o: BackoffOptions = {}): Promise<T> {
  const attempts = o.attempts ?? 8;
  const sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  const random = o.random ?? Math.random;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!isThrottling(e) || attempt + 1 >= attempts) throw e;
      const wait = random() * Math.min(o.capMs ?? 20_000, (o.baseMs ?? 100) * 2 ** attempt);
      o.onRetry?.(attempt + 1, wait, e);
      await sleep(wait);
    }
  }
}
