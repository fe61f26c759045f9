import type { BatchEngine, Route, TaskInput } from "../core/batch-engine";
import { GatewayError, RetryableError } from "../core/errors";
import { logger } from "../logger";

/** The event of each task state: which engine action, for which batch. */
export type TaskEvent = TaskInput & { action: keyof BatchEngine };

const networkCodes = new Set(["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE", "EAI_AGAIN", "ENOTFOUND"]);

/**
 * A task failure as the state machine should see it. Gateway errors keep their name (retryable or not); an AWS
 * SDK error the SDK itself calls retryable or server-side (S3 or DynamoDB throttling after the SDK's own retries,
 * a 5xx) and network failures become RetryableError; anything else fails the batch at once, with its message.
 */
export const toTaskError = (error: unknown): unknown => {
  if (error instanceof GatewayError || !(error instanceof Error)) return error;
  const aws = error as Error & { $fault?: string; $retryable?: unknown; code?: string };
  const transient =
    aws.$fault === "server" ||
    aws.$retryable !== undefined ||
    aws.name === "TimeoutError" ||
    networkCodes.has(aws.code ?? "");
  return transient ? new RetryableError(error.message, { cause: error }) : error;
};

/**
 * Runs one task of the batch state machine: the task Lambda's body in AWS, and what local mode's runner binds
 * each task state to. Every line it logs carries the batch id and the tenant (already a hash of the credential).
 */
export const runTask = async (engine: BatchEngine, event: TaskEvent): Promise<Route> => {
  // Passed with each line rather than appended to the logger: local mode runs many tasks at once in one process.
  const context = { batchId: event.batchId, tenant: event.tenant, action: event.action };
  try {
    const route = await engine[event.action](event);
    logger.debug("task done", { ...context, next: route.next });
    return route;
  } catch (error) {
    const failure = toTaskError(error);
    logger.error("task failed", { ...context, error: failure as Error });
    throw failure;
  }
};
