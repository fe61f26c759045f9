import type { BatchDeps } from "../../core/batches";
import type { DialectDefinition } from "../../http/dialect-handler";
import { anthropicBatchRoutes } from "./batches";
import { renderAnthropicError } from "./errors";
import { anthropicFileRoutes, anthropicPresented } from "./files";

export { renderAnthropicError };

/**
 * The Anthropic SDK's front door at `{GW}/anthropic` (the SDK adds `/v1`). The same paths serve the GA and
 * beta namespaces; `?beta=true`, `anthropic-beta` and any `anthropic-version` are accepted and ignored.
 */
export const anthropicDialect = (deps: BatchDeps): DialectDefinition => {
  const files = anthropicFileRoutes(deps);
  const batches = anthropicBatchRoutes(deps);
  return {
    name: "anthropic",
    renderError: renderAnthropicError,
    presented: anthropicPresented,
    routes: [
      { method: "POST", path: "/anthropic/v1/files", handler: files.upload },
      { method: "GET", path: "/anthropic/v1/files", handler: files.list },
      { method: "GET", path: "/anthropic/v1/files/{fileId}", handler: files.retrieve },
      { method: "DELETE", path: "/anthropic/v1/files/{fileId}", handler: files.delete },
      { method: "GET", path: "/anthropic/v1/files/{fileId}/content", handler: files.download },
      { method: "POST", path: "/anthropic/v1/messages/batches", handler: batches.create },
      { method: "GET", path: "/anthropic/v1/messages/batches", handler: batches.list },
      { method: "GET", path: "/anthropic/v1/messages/batches/{batchId}", handler: batches.retrieve },
      { method: "POST", path: "/anthropic/v1/messages/batches/{batchId}/cancel", handler: batches.cancel },
      { method: "DELETE", path: "/anthropic/v1/messages/batches/{batchId}", handler: batches.delete },
      { method: "GET", path: "/anthropic/v1/messages/batches/{batchId}/results", handler: batches.results },
    ],
  };
};
