import type { BatchDeps } from "../../core/batches";
import { ErrorKind, type GatewayError } from "../../core/errors";
import type { DialectDefinition } from "../../http/dialect-handler";
import { json } from "../../http/response";
import { genAiBatchRoutes } from "./batches";
import { genAiFileRoutes, genAiPresented } from "./files";

const statusOf: Record<ErrorKind, string> = {
  [ErrorKind.invalidRequest]: "INVALID_ARGUMENT",
  [ErrorKind.authentication]: "UNAUTHENTICATED",
  [ErrorKind.permission]: "PERMISSION_DENIED",
  [ErrorKind.notFound]: "NOT_FOUND",
  [ErrorKind.conflict]: "FAILED_PRECONDITION",
  [ErrorKind.precondition]: "FAILED_PRECONDITION",
  [ErrorKind.payloadTooLarge]: "INVALID_ARGUMENT",
  [ErrorKind.rateLimit]: "RESOURCE_EXHAUSTED",
  [ErrorKind.upstream]: "UNAVAILABLE",
  [ErrorKind.internal]: "INTERNAL",
};

/** Renders an error as Google's `{error:{code, message, status}}`. */
export const renderGenAiError = (error: GatewayError) =>
  json(error.statusCode, { error: { code: error.statusCode, message: error.message, status: statusOf[error.kind] } });

/**
 * The Google GenAI SDK's front door at `{GW}/genai` (Gemini Developer API paths: `v1beta/…`, uploads under
 * `upload/v1beta/…`, downloads under `download/v1beta/…` or `v1beta/files/{id}:download`).
 */
export const genAiDialect = (deps: BatchDeps): DialectDefinition => {
  const files = genAiFileRoutes(deps);
  const batches = genAiBatchRoutes(deps);
  return {
    name: "genai",
    renderError: renderGenAiError,
    presented: genAiPresented,
    routes: [
      { method: "POST", path: "/genai/upload/v1beta/files", handler: files.upload },
      { method: "GET", path: "/genai/v1beta/files", handler: files.list },
      { method: "GET", path: "/genai/v1beta/files/{fileId}", handler: files.get },
      { method: "DELETE", path: "/genai/v1beta/files/{fileId}", handler: files.delete },
      { method: "GET", path: "/genai/download/v1beta/files/{fileId}", handler: files.download },
      { method: "POST", path: "/genai/v1beta/models/{model}", handler: batches.create },
      { method: "GET", path: "/genai/v1beta/batches", handler: batches.list },
      { method: "GET", path: "/genai/v1beta/batches/{batchId}", handler: batches.get },
      { method: "POST", path: "/genai/v1beta/batches/{batchId}", handler: batches.cancel },
      { method: "DELETE", path: "/genai/v1beta/batches/{batchId}", handler: batches.delete },
    ],
  };
};
