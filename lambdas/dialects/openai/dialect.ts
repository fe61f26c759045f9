import type { BatchDeps } from "../../core/batches";
import type { DialectDefinition } from "../../http/dialect-handler";
import { openAiBatchRoutes } from "./batches";
import { renderOpenAiError } from "./errors";
import { openAiFileRoutes, openAiPresented } from "./files";

/** The OpenAI SDK's front door at `{GW}/openai` (the SDK adds no `/v1`). */
export const openAiDialect = (deps: BatchDeps): DialectDefinition => {
  const files = openAiFileRoutes(deps);
  const batches = openAiBatchRoutes(deps);
  return {
    name: "openai",
    renderError: renderOpenAiError,
    presented: openAiPresented,
    routes: [
      { method: "POST", path: "/openai/files", handler: files.create },
      { method: "GET", path: "/openai/files", handler: files.list },
      { method: "GET", path: "/openai/files/{fileId}", handler: files.retrieve },
      { method: "DELETE", path: "/openai/files/{fileId}", handler: files.delete },
      { method: "GET", path: "/openai/files/{fileId}/content", handler: files.content },
      { method: "POST", path: "/openai/batches", handler: batches.create },
      { method: "GET", path: "/openai/batches", handler: batches.list },
      { method: "GET", path: "/openai/batches/{batchId}", handler: batches.retrieve },
      { method: "POST", path: "/openai/batches/{batchId}/cancel", handler: batches.cancel },
    ],
  };
};
