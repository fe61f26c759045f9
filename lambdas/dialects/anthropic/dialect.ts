import type { GatewayDeps } from "../../core/deps";
import type { FrontDoor } from "../../http/dialect-handler";
import { batchIdIn } from "../batch-ids";
import type { DialectModule } from "../dialect-module";
import { anthropicBatchRoutes } from "./batches";
import { renderAnthropicError } from "./errors";
import { anthropicFileRoutes, anthropicPresented } from "./files";
import { anthropicResultSink } from "./results";

/**
 * The Anthropic SDK's front door at `{GW}/anthropic` (the SDK adds `/v1`). The same paths serve the GA and
 * beta namespaces; `?beta=true`, `anthropic-beta` and any `anthropic-version` are accepted and ignored.
 */
const anthropicFrontDoor = (deps: GatewayDeps): FrontDoor => {
  const files = anthropicFileRoutes(deps);
  const batches = anthropicBatchRoutes(deps);
  return {
    name: "anthropic",
    renderError: renderAnthropicError,
    presented: anthropicPresented,
    routes: [
      { method: "POST", path: "/v1/files", handler: files.upload },
      { method: "GET", path: "/v1/files", handler: files.list },
      { method: "GET", path: "/v1/files/{fileId}", handler: files.retrieve },
      { method: "DELETE", path: "/v1/files/{fileId}", handler: files.delete },
      { method: "GET", path: "/v1/files/{fileId}/content", handler: files.download },
      { method: "POST", path: "/v1/messages/batches", handler: batches.create },
      { method: "GET", path: "/v1/messages/batches", handler: batches.list },
      { method: "GET", path: "/v1/messages/batches/{batchId}", handler: batches.retrieve },
      { method: "POST", path: "/v1/messages/batches/{batchId}/cancel", handler: batches.cancel },
      { method: "DELETE", path: "/v1/messages/batches/{batchId}", handler: batches.delete },
      { method: "GET", path: "/v1/messages/batches/{batchId}/results", handler: batches.results },
    ],
  };
};

/** The Anthropic SDK dialect: Files and Message Batches, results as Anthropic's results JSONL. */
export const anthropicDialect: DialectModule<"anthropic"> = {
  dialect: "anthropic",
  frontDoors: { anthropic: anthropicFrontDoor },
  stagedRoutes: {},
  resultSink: anthropicResultSink,
  batchId: batchIdIn.anthropic,
};
