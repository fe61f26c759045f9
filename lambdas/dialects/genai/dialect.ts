import type { GatewayDeps } from "../../core/deps";
import type { FrontDoor } from "../../http/dialect-handler";
import { batchIdIn } from "../batch-ids";
import type { DialectModule } from "../dialect-module";
import { genAiBatchRoutes } from "./batches";
import { renderGenAiError } from "./errors";
import { genAiChunkAdmitter, genAiFileRoutes, genAiPresented } from "./files";
import { genAiResultSink } from "./results";

/**
 * The Google GenAI SDK's front door at `{GW}/genai` (Gemini Developer API paths: `v1beta/…`, uploads under
 * `upload/v1beta/…`, downloads under `download/v1beta/…` or `v1beta/files/{id}:download`).
 */
const genAiFrontDoor = (deps: GatewayDeps): FrontDoor => {
  const files = genAiFileRoutes(deps);
  const batches = genAiBatchRoutes(deps);
  return {
    name: "genai",
    renderError: renderGenAiError,
    presented: genAiPresented,
    routes: [
      { method: "POST", path: "/upload/v1beta/files", handler: files.upload },
      { method: "GET", path: "/v1beta/files", handler: files.list },
      { method: "GET", path: "/v1beta/files/{fileId}", handler: files.get },
      { method: "DELETE", path: "/v1beta/files/{fileId}", handler: files.delete },
      { method: "GET", path: "/download/v1beta/files/{fileId}", handler: files.download },
      { method: "POST", path: "/v1beta/models/{model}", handler: batches.create },
      { method: "GET", path: "/v1beta/batches", handler: batches.list },
      { method: "GET", path: "/v1beta/batches/{batchId}", handler: batches.get },
      { method: "POST", path: "/v1beta/batches/{batchId}", handler: batches.cancel },
      { method: "DELETE", path: "/v1beta/batches/{batchId}", handler: batches.delete },
    ],
  };
};

/** The Google GenAI SDK dialect: files, and batches as long-running Operations with file or inline results. */
export const genAiDialect: DialectModule<"genai"> = {
  dialect: "genai",
  frontDoors: { genai: genAiFrontDoor },
  stagedRoutes: { genaiChunks: genAiChunkAdmitter },
  resultSink: genAiResultSink,
  batchId: batchIdIn.genai,
};
