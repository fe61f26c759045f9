/**
 * Delivery attempts per webhook message, the first included: the stack's queue moves a message to its dead-letter
 * queue after this many, and local mode gives up after as many. With {@link webhookRetryDelaySeconds}, a receiver
 * has about 5.5 hours to come back.
 */
export const webhookMaxAttempts = 12;

/** The wait before delivery attempt `attempt` + 1 (after `attempt` failed): 30 s doubling, at most 1 h. */
export const webhookRetryDelaySeconds = (attempt: number): number => Math.min(3600, 30 * 2 ** (attempt - 1));
