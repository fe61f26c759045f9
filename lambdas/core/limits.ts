/** Per-tenant limits (README "Limits"); a limit of 0 turns it off. */
export interface LimitSettings {
  /** Requests per minute per credential. */
  requestsPerMinute: number;
  /** Batches not yet ended per credential. */
  concurrentBatches: number;
}

/** Counts a tenant's requests and batches against its limits; throws RateLimitError when one is exceeded. */
export interface Limiter {
  /** One request by the tenant. */
  request(tenant: string): Promise<void>;
  /** A batch about to be created; pair with `batchEnded` once it has ended (or was never created). */
  batchStarted(tenant: string): Promise<void>;
  batchEnded(tenant: string): Promise<void>;
}

/** No limits (local mode's default). */
export const noLimits: Limiter = {
  request: async () => undefined,
  batchStarted: async () => undefined,
  batchEnded: async () => undefined,
};

export const limitsFromEnv = (env: NodeJS.ProcessEnv): LimitSettings => ({
  requestsPerMinute: Math.max(0, Number(env.RATE_LIMIT_PER_MINUTE ?? 0) || 0),
  concurrentBatches: Math.max(0, Number(env.MAX_CONCURRENT_BATCHES ?? 0) || 0),
});
