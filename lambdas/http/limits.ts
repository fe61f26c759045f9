import { lambdaPayloadLimitBytes } from "../core/config";

/** API Gateway's hard limit on a request body. */
export const apiGatewayBodyLimitBytes = 10 * 1024 * 1024;

/**
 * The body API Gateway answers with its own 413 (a gateway response, so it cannot know the dialect):
 * one JSON object every JSON SDK reads as its typed error — OpenAI reads `error.message`, Anthropic
 * `type`/`error.type`, Google `error.code`/`error.status`.
 */
export const gatewayEnvelope = (message: string, kind: { type: string; code: number; status: string }) => ({
  type: "error",
  error: { ...kind, message, param: null },
});

export const tooLargeEnvelope = (message: string) =>
  gatewayEnvelope(message, { type: "request_too_large", code: 413, status: "INVALID_ARGUMENT" });

/** What a staged route answers when the bucket did not take its body (503: the SDKs retry it). */
export const stagedStoreFailed = gatewayEnvelope("The chunk could not be stored; send it again.", {
  type: "overloaded_error",
  code: 503,
  status: "UNAVAILABLE",
});

export const tooLargeMessage =
  `Request body too large: the gateway takes at most ${lambdaPayloadLimitBytes} bytes per request once ` +
  "base64-encoded for Lambda (about 4.5 MB of raw bytes), and API Gateway at most 10 MB. Send a larger file the " +
  "chunked way of your SDK: OpenAI SDK uploads.upload_file_chunked(..., part_size=4 * 1024 * 1024); AWS SDK " +
  "upload_file (boto3) or lib-storage Upload (JS), which use S3 multipart; Google GenAI SDK files.upload. The " +
  "Anthropic SDK has no chunked upload: send the file through one of those with the same gateway key and use its id.";
