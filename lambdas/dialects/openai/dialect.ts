import type { GatewayDeps } from "../../core/deps";
import type { FrontDoor } from "../../http/dialect-handler";
import { batchIdIn } from "../batch-ids";
import type { DialectModule } from "../dialect-module";
import { openAiBatchRoutes } from "./batches";
import { renderOpenAiError } from "./errors";
import { openAiFileRoutes, openAiPresented } from "./files";
import { finOpsPresented, finOpsRoutes } from "./finops";
import { openAiResultSink } from "./results";
import { openAiUploadRoutes } from "./uploads";

/**
 * The OpenAI SDK's front door at `{GW}/openai` (the SDK adds no `/v1`). The same routes answer under `/v1` too:
 * `{GW}/openai/v1` is the base URL every OpenAI user types (as `https://api.openai.com/v1`), and the one LiteLLM
 * and Portkey write.
 */
const openAiFrontDoor = (deps: GatewayDeps): FrontDoor => {
  const routes = openAiRoutes(deps);
  return {
    name: "openai",
    renderError: renderOpenAiError,
    presented: openAiPresented,
    routes: [...routes, ...routes.map((route) => ({ ...route, path: `/v1${route.path}` }))],
  };
};

const openAiRoutes = (deps: GatewayDeps): FrontDoor["routes"] => {
  const files = openAiFileRoutes(deps);
  const batches = openAiBatchRoutes(deps);
  const uploads = openAiUploadRoutes(deps);
  return [
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
  ];
};

/** The FinOps API at `{GW}/finops` (README "FinOps"), for the key of every SDK, in OpenAI's error envelope. */
const finOpsFrontDoor = (deps: GatewayDeps): FrontDoor => {
  const finops = finOpsRoutes(deps);
  return {
    name: "finops",
    renderError: renderOpenAiError,
    presented: finOpsPresented,
    routes: [
      { method: "GET", path: "/console", handler: finops.console, public: true },
      { method: "GET", path: "/console/{file}", handler: finops.console, public: true },
      { method: "GET", path: "/v1/batches", handler: finops.batches },
      { method: "GET", path: "/v1/budget", handler: finops.budget },
      { method: "GET", path: "/v1/batches/{batchId}", handler: finops.batch },
      { method: "GET", path: "/v1/costs", handler: finops.costs },
      { method: "POST", path: "/v1/estimate", handler: finops.estimate },
      { method: "GET", path: "/v1/focus", handler: finops.focus },
    ],
  };
};

/** The OpenAI SDK dialect: Files, Uploads and Batches, results as OpenAI's output and error files. */
export const openAiDialect: DialectModule<"openai"> = {
  dialect: "openai",
  frontDoors: { openai: openAiFrontDoor, finops: finOpsFrontDoor },
  stagedRoutes: {},
  resultSink: openAiResultSink,
  batchId: batchIdIn.openai,
};
