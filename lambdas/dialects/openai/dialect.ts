import type { GatewayDeps } from "../../core/deps";
import type { FrontDoor } from "../../http/dialect-handler";
import type { DialectModule } from "../dialect-module";
import { openAiBatchRoutes } from "./batches";
import { renderOpenAiError } from "./errors";
import { openAiFileRoutes, openAiPresented } from "./files";
import { openAiResultSink } from "./results";
import { openAiUploadRoutes } from "./uploads";

/** The OpenAI SDK's front door at `{GW}/openai` (the SDK adds no `/v1`). */
const openAiFrontDoor = (deps: GatewayDeps): FrontDoor => {
  const files = openAiFileRoutes(deps);
  const batches = openAiBatchRoutes(deps);
  const uploads = openAiUploadRoutes(deps);
  return {
    name: "openai",
    renderError: renderOpenAiError,
    presented: openAiPresented,
    routes: [
      { method: "POST", path: "/files", handler: files.create },
      { method: "GET", path: "/files", handler: files.list },
      { method: "GET", path: "/files/{fileId}", handler: files.retrieve },
      { method: "DELETE", path: "/files/{fileId}", handler: files.delete },
      { method: "GET", path: "/files/{fileId}/content", handler: files.content },
      { method: "POST", path: "/uploads", handler: uploads.create },
      { method: "POST", path: "/uploads/{uploadId}/parts", handler: uploads.addPart },
      { method: "POST", path: "/uploads/{uploadId}/complete", handler: uploads.complete },
      { method: "POST", path: "/uploads/{uploadId}/cancel", handler: uploads.cancel },
      { method: "POST", path: "/batches", handler: batches.create },
      { method: "GET", path: "/batches", handler: batches.list },
      { method: "GET", path: "/batches/{batchId}", handler: batches.retrieve },
      { method: "POST", path: "/batches/{batchId}/cancel", handler: batches.cancel },
    ],
  };
};

/** The OpenAI SDK dialect: Files, Uploads and Batches, results as OpenAI's output and error files. */
export const openAiDialect: DialectModule<"openai"> = {
  dialect: "openai",
  frontDoors: { openai: openAiFrontDoor },
  stagedRoutes: {},
  resultSink: openAiResultSink,
};
