import { RetryableError, UpstreamError } from "../../core/errors";

/**
 * An AWS SDK failure of a Bedrock call in the gateway's terms: throttling, 5xx and network failures (what the
 * SDK's own retries did not get past) are retryable; any other 4xx (a ValidationException for an unknown model,
 * AccessDenied for the role) fails the batch at once with Bedrock's own message.
 */
export const bedrockError = (error: unknown): Error => {
  const aws = error as { name?: string; message?: string; $fault?: string; $metadata?: { httpStatusCode?: number } };
  const status = aws.$metadata?.httpStatusCode;
  const reason = `${aws.name ?? "Error"}: ${aws.message ?? String(error)}`;
  const message = `Bedrock answered ${status ?? "no response"}: ${reason}`;
  // Over a service quota (too many jobs at once) is room that frees up: the part waits in the gateway's queue.
  const quota = aws.name === "ServiceQuotaExceededException";
  if (aws.$fault === "client" && status !== undefined && status !== 429 && status !== 408 && !quota) {
    return new UpstreamError(message, { cause: error });
  }
  return new RetryableError(message, { cause: error });
};

/** Runs a Bedrock call, translating its failure once (see {@link bedrockError}). */
export const bedrockCall = async <T>(call: () => Promise<T>): Promise<T> => {
  try {
    return await call();
  } catch (error) {
    throw bedrockError(error);
  }
};
