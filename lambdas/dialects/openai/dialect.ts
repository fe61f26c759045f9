import type { FileDeps } from "../../core/files";
import type { DialectDefinition } from "../../http/dialect-handler";
import { renderOpenAiError } from "./errors";
import { openAiFileRoutes } from "./files";

/** The OpenAI SDK's front door at `{GW}/openai` (the SDK adds no `/v1`). */
export const openAiDialect = (deps: FileDeps): DialectDefinition => {
  const files = openAiFileRoutes(deps);
  return {
    name: "openai",
    renderError: renderOpenAiError,
    routes: [
      { method: "POST", path: "/openai/files", handler: files.create },
      { method: "GET", path: "/openai/files", handler: files.list },
      { method: "GET", path: "/openai/files/{fileId}", handler: files.retrieve },
      { method: "DELETE", path: "/openai/files/{fileId}", handler: files.delete },
      { method: "GET", path: "/openai/files/{fileId}/content", handler: files.content },
    ],
  };
};
